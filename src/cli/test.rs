//! `fmc test [PATH…]`: run every `kind: MeshTest` file (`*.test.yaml`) found
//! under the paths against the mesh it names (see [`crate::meshtest`]).

use super::{EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, FormatArg, ReportArgs, load_sources};
use crate::diagnostics::Diagnostics;
use crate::meshtest::report::{self, SuiteOutcome};
use crate::meshtest::{self, harness::Mesh};
use crate::options::BuildOptions;
use crate::pipeline::{CompileOutput, compile};
use crate::source::SourceMap;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn test(paths: &[PathBuf], report: &ReportArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let files = match test_files(paths) {
        Ok(f) if f.is_empty() => {
            let _ = writeln!(stderr, "fmc test: no test files (*.test.yaml) under the given paths");
            return EXIT_USAGE;
        }
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(stderr, "fmc test: {e}");
            return EXIT_USAGE;
        }
    };
    let mut suites = Vec::new();
    for file in &files {
        match self::suites(file, report, stderr) {
            Ok(outcomes) => suites.extend(outcomes),
            Err(e) => {
                let _ = writeln!(stderr, "fmc test: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let text = match report.error_format {
        FormatArg::Human => report::human(&suites),
        FormatArg::Json => report::json(&suites),
        FormatArg::Github => report::github(&suites),
    };
    let _ = stdout.write_all(text.as_bytes());
    if report::totals(&suites).1 == 0 { EXIT_OK } else { EXIT_DIAGNOSTICS }
}

/// One test file: its diagnostics on stderr, each suite's (document's) cases' results.
fn suites(path: &Path, args: &ReportArgs, stderr: &mut dyn Write) -> Result<Vec<SuiteOutcome>, String> {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let Some(suites) = meshtest::load(path, &mut sources, &mut diags)? else {
        print(&diags, &sources, args, stderr);
        return Ok(vec![broken(path, "?", "the test file has errors (above)")]);
    };
    let mut outcomes = Vec::with_capacity(suites.len());
    for suite in &suites {
        let mut diags = Diagnostics::default();
        outcomes.push(one_suite(path, suite, &sources, &mut diags, args, stderr)?);
    }
    Ok(outcomes)
}

fn broken(path: &Path, name: &str, why: &str) -> SuiteOutcome {
    SuiteOutcome {
        file: path.display().to_string(),
        name: name.to_string(),
        cases: Vec::new(),
        broken: Some(why.to_string()),
    }
}

/// One `MeshTest` document: its mesh compiled, its names checked, its cases run.
fn one_suite(
    path: &Path,
    suite: &meshtest::Suite,
    sources: &SourceMap,
    diags: &mut Diagnostics,
    args: &ReportArgs,
    stderr: &mut dyn Write,
) -> Result<SuiteOutcome, String> {
    let mesh_path = suite.mesh_path()?;
    let mesh_sources = load_sources(std::slice::from_ref(&mesh_path))?;
    let options =
        BuildOptions { environment: suite.spec.env.clone(), keep_components: true, ..BuildOptions::default() };
    let out = compile(&mesh_sources, &options);
    super::print_diagnostics(&out, &mesh_sources, args, stderr);
    let (Some(graph), false) = (&out.streams, out.has_errors()) else {
        return Ok(broken(path, &suite.name, &format!("the mesh {} has errors (above)", suite.spec.mesh)));
    };
    let mesh_folder = mesh_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut mesh = Mesh::new(graph, &out.components, suite.root.clone(), mesh_folder);
    meshtest::refer(suite, &mesh, diags);
    print(diags, sources, args, stderr);
    if diags.has_errors() {
        return Ok(broken(path, &suite.name, "the test file has errors (above)"));
    }
    let cases = run_cases(suite, &mut mesh, sources);
    Ok(SuiteOutcome { file: path.display().to_string(), name: suite.name.clone(), cases, broken: None })
}

fn run_cases(
    suite: &meshtest::Suite,
    mesh: &mut Mesh,
    sources: &SourceMap,
) -> Vec<(meshtest::run::CaseResult, usize, usize)> {
    use crate::ast::PathSeg;
    let mut out = Vec::new();
    for (i, case) in suite.spec.tests.iter().enumerate() {
        let result = meshtest::run::run_case(mesh, &suite.spec, i, case);
        let path =
            [PathSeg::Key("spec".into()), PathSeg::Key("tests".into()), PathSeg::Index(i), PathSeg::Key("name".into())];
        let span = suite.doc.root.lookup(&path).span;
        let (line, col) = sources.get(span.file).line_col(span.start);
        out.push((result, line, col));
    }
    out
}

fn print(diags: &Diagnostics, sources: &SourceMap, args: &ReportArgs, stderr: &mut dyn Write) {
    let out = CompileOutput { diagnostics: diags.clone(), ..CompileOutput::default() };
    super::print_diagnostics(&out, sources, args, stderr);
}

/// `*.test.yaml` / `*.test.yml` files: those named, and those under each
/// directory (sorted; hidden folders, `target` and `node_modules` skipped).
fn test_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut out)?;
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(format!("no such file or directory: {}", p.display()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| Some(e.ok()?.path()))
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let file_type = std::fs::symlink_metadata(&path).map(|m| m.file_type());
        if file_type.as_ref().is_ok_and(|t| t.is_dir()) {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&path, out)?;
            }
        } else if file_type.is_ok_and(|t| t.is_file()) && (name.ends_with(".test.yaml") || name.ends_with(".test.yml"))
        {
            out.push(path);
        }
    }
    Ok(())
}
