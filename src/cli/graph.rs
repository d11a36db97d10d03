//! `fmc graph` (the stream graph as DOT or Mermaid), `fmc convert` (operator
//! resources → native DSL) and the `fmc check --types` report.

use super::{
    EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, GraphFormatArg, OptionArgs, ReportArgs, load_sources, options_or_usage,
    print_diagnostics,
};
use crate::emit::graph::{GraphFormat, render};
use crate::pipeline::{CompileOutput, compile};
use crate::types::Verdict;
use std::io::Write;
use std::path::PathBuf;

pub fn graph(
    paths: &[PathBuf],
    format: GraphFormatArg,
    report: &ReportArgs,
    options: &OptionArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let mut options = match options_or_usage(options, stderr) {
        Ok(o) => o,
        Err(code) => return code,
    };
    options.keep_components = true;
    let sources = match load_sources(paths) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let out = compile(&sources, &options);
    print_diagnostics(&out, &sources, report, stderr);
    let Some(streams) = &out.streams else { return EXIT_DIAGNOSTICS };
    let format = match format {
        GraphFormatArg::Dot => GraphFormat::Dot,
        GraphFormatArg::Mermaid => GraphFormat::Mermaid,
    };
    // Type errors still draw (in red): the picture helps to understand them.
    let _ = stdout.write_all(render(streams, &out.components, format).as_bytes());
    if out.has_errors() { EXIT_DIAGNOSTICS } else { EXIT_OK }
}

pub fn convert(paths: &[PathBuf], report: &ReportArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let sources = match load_sources(paths) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    match crate::convert::convert(&sources) {
        Ok(text) => {
            let _ = stdout.write_all(text.as_bytes());
            EXIT_OK
        }
        Err(diagnostics) => {
            let out = CompileOutput { diagnostics, ..CompileOutput::default() };
            print_diagnostics(&out, &sources, report, stderr);
            EXIT_DIAGNOSTICS
        }
    }
}

/// `fmc check --types`: one line per reader/writer pair, grouped by topic.
pub fn type_report(out: &CompileOutput, stdout: &mut dyn Write) {
    let Some(streams) = &out.streams else { return };
    let name =
        |i: usize| out.components.get(i).map_or("?".to_string(), |c| format!("{} {}", c.kind.component(), c.cr_name));
    let (mut ok, mut bad, mut unchecked) = (0, 0, 0);
    for p in &streams.pairings {
        let writer = p.writer.map_or_else(|| "topic schema".to_string(), name);
        let verdict = match &p.verdict {
            Verdict::Compatible => {
                ok += 1;
                "compatible".to_string()
            }
            Verdict::Incompatible(why) => {
                bad += 1;
                format!("INCOMPATIBLE: {why}")
            }
            Verdict::Unchecked(why) => {
                unchecked += 1;
                format!("unchecked: {why}")
            }
        };
        let cluster = match streams.placement(p.node) {
            Some(place) if streams.clusters > 1 => format!(" on cluster {}", place.name()),
            _ => String::new(),
        };
        let _ = writeln!(
            stdout,
            "{}{cluster}: {writer} writes {} → {} reads {}: {verdict}",
            p.topic,
            p.writer_schema,
            name(p.reader),
            p.reader_schema
        );
    }
    let _ =
        writeln!(stdout, "{} pairs: {ok} compatible, {bad} incompatible, {unchecked} unchecked", ok + bad + unchecked);
}
