//! `fmc build`, `fmc check` (stdout or an output tree) and `fmc diff`.

use super::{
    BuildArgs, EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, OptionArgs, ReportArgs, load_sources, options_or_usage,
    print_diagnostics,
};
use crate::options::BuildOptions;
use crate::pipeline::{CompileOutput, compile};
use std::io::Write;
use std::path::Path;

pub fn build(args: &BuildArgs, print: bool, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let mut options = match options_or_usage(&args.options, stderr) {
        Ok(o) => o,
        Err(code) => return code,
    };
    options.keep_components = args.types;
    let sources = match load_sources(&args.paths) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    if args.all_envs {
        return all_environments(args, print, &options, &sources, stdout, stderr);
    }
    let out = compile(&sources, &options);
    print_diagnostics(&out, &sources, &args.report, stderr);
    if args.types && !print {
        super::graph::type_report(&out, stdout);
    }
    if out.has_errors() {
        return EXIT_DIAGNOSTICS;
    }
    if out.manifests.is_empty() && !args.allow_empty && (print || args.out_dir.is_some()) {
        let what = match out.document_spans.len() {
            0 => "the input holds no objects (empty files, comments only or an empty folder)".to_string(),
            n => format!(
                "the input's {n} document(s) render no objects: fmc consumes BackendConfig and ClusterProvided \
                 documents (they configure the functions, sources and sinks of the same build, and there are none)"
            ),
        };
        let _ = writeln!(
            stderr,
            "fmc: {what}; refusing to render nothing, which a GitOps tool would prune to an empty cluster. \
             Pass --allow-empty if that is meant"
        );
        return EXIT_DIAGNOSTICS;
    }
    if let Some(dir) = &args.out_dir {
        return write_tree(dir, &out, args.check, stdout, stderr);
    }
    if print {
        // Streamed document by document: the output is never held twice.
        let start = std::time::Instant::now();
        let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout);
        let written = out.manifests.iter().try_for_each(|m| {
            w.write_all(b"---\n")?;
            w.write_all(m.yaml.as_bytes())
        });
        if written.and_then(|_| w.flush()).is_err() {
            return EXIT_USAGE;
        }
        if std::env::var_os("FMC_TIMINGS").is_some() {
            eprintln!("fmc timing: emit     {:>8.1} ms", start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    // The process ends right after this: freeing every object one by one would
    // only cost time (a tenth of a 10,000-function build); the OS reclaims it.
    std::mem::forget(out);
    std::mem::forget(sources);
    EXIT_OK
}

/// `--all-envs`: the build (or check) once per environment the input's
/// meshes declare, `-o DIR` writing `DIR/<environment>`. The names become
/// folder names, so each must be a DNS-1123 label.
fn all_environments(
    args: &BuildArgs,
    print: bool,
    options: &BuildOptions,
    sources: &crate::source::SourceMap,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    if print && args.out_dir.is_none() {
        let _ = writeln!(stderr, "fmc: `build --all-envs` writes one tree per environment: give -o DIR");
        return EXIT_USAGE;
    }
    let names = declared_environments(sources);
    if names.is_empty() {
        let _ = writeln!(stderr, "fmc: --all-envs: no mesh of the input declares `environments`");
        return EXIT_USAGE;
    }
    if let Some(bad) = names.iter().find(|n| crate::names::namespace_problem(n).is_some()) {
        let _ = writeln!(stderr, "fmc: environment `{bad}` cannot name a folder: use a DNS-1123 label");
        return EXIT_USAGE;
    }
    // Every environment compiles before anything is written: a build of
    // several environments is all-or-nothing, like a build of one.
    let mut built = Vec::new();
    let mut failed = false;
    for name in names {
        let options = BuildOptions { environment: Some(name.clone()), ..options.clone() };
        let out = compile(sources, &options);
        let _ = writeln!(stderr, "fmc: environment `{name}`");
        print_diagnostics(&out, sources, &args.report, stderr);
        failed |= out.has_errors();
        built.push((name, out));
    }
    if failed {
        return EXIT_DIAGNOSTICS;
    }
    let Some(dir) = &args.out_dir else { return EXIT_OK };
    let planned = built
        .iter()
        .map(|(name, out)| Ok((name.clone(), crate::gitops::tree::plan(&out.manifests)?)))
        .collect::<Result<Vec<_>, String>>()
        .and_then(crate::gitops::tree::nest);
    match planned {
        Ok(tree) => write_planned(dir, &tree, args.check, stdout, stderr),
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            EXIT_USAGE
        }
    }
}

/// The environments the input's native meshes declare, sorted, once each.
fn declared_environments(sources: &crate::source::SourceMap) -> Vec<String> {
    let mut names = std::collections::BTreeSet::new();
    for (id, file) in sources.files() {
        let mut ignored = crate::diagnostics::Diagnostics::default();
        for doc in crate::parse::yaml::read_documents(id, &file.text, &mut ignored) {
            if crate::parse::is_native_mesh(&doc) {
                names.extend(crate::parse::environments::declared(&doc.root));
            }
        }
    }
    names.into_iter().collect()
}

fn write_tree(dir: &Path, out: &CompileOutput, check: bool, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match crate::gitops::tree::plan(&out.manifests) {
        Ok(tree) => write_planned(dir, &tree, check, stdout, stderr),
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            EXIT_USAGE
        }
    }
}

/// Writes (or, with `--check`, compares) a planned tree: the one way any
/// build reaches DIR.
fn write_planned(
    dir: &Path,
    tree: &crate::gitops::tree::Tree,
    check: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    if check {
        return match crate::gitops::tree::changes(dir, tree) {
            Ok((changes, _)) if changes.is_empty() => EXIT_OK,
            Ok((changes, diff)) => {
                let _ = stdout.write_all(diff.as_bytes());
                let _ = writeln!(
                    stderr,
                    "fmc: {} is out of date ({} files differ); run without --check",
                    dir.display(),
                    changes.len()
                );
                EXIT_DIAGNOSTICS
            }
            Err(e) => {
                let _ = writeln!(stderr, "fmc: {e}");
                EXIT_USAGE
            }
        };
    }
    match crate::gitops::tree::write(dir, tree) {
        Ok(_) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            EXIT_USAGE
        }
    }
}

fn compile_paths(
    path: &Path,
    options: &BuildOptions,
    report: &ReportArgs,
    stderr: &mut dyn Write,
) -> Result<CompileOutput, u8> {
    let sources = load_sources(&[path.to_path_buf()]).map_err(|e| {
        let _ = writeln!(stderr, "fmc: {e}");
        EXIT_USAGE
    })?;
    let out = compile(&sources, options);
    print_diagnostics(&out, &sources, report, stderr);
    if out.has_errors() { Err(EXIT_DIAGNOSTICS) } else { Ok(out) }
}

pub fn diff(
    old: &Path,
    new: &Path,
    report: &ReportArgs,
    options: &OptionArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let options = match options_or_usage(options, stderr) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let (a, b) = match (compile_paths(old, &options, report, stderr), compile_paths(new, &options, report, stderr)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let lines = crate::gitops::diff::semantic_diff(&a.manifests, &b.manifests);
    for line in &lines {
        let _ = writeln!(stdout, "{line}");
    }
    if lines.is_empty() { EXIT_OK } else { EXIT_DIAGNOSTICS }
}
