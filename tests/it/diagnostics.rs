//! One fixture per diagnostic code under `fixtures/diagnostics/<CODE>-<slug>/`.
//! Each fixture's first line says what to expect (`# expect: CODE at LINE:COL`);
//! the rendered report (miette, no colour) is snapshotted. A meta-test fails when
//! a registered code has no fixture, or a fixture names an unknown code.
//! See fixtures/README.md for how to add a case.

use crate::support::*;
use fmc::diagnostics::codes::REGISTRY;
use fmc::diagnostics::report::{ErrorFormat, render, render_json};
use fmc::options::BuildOptions;
use fmc::pipeline::compile;
use std::path::PathBuf;

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = project_root().join("fixtures/diagnostics");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).expect("fixtures/diagnostics") {
        let dir = dir.unwrap().path();
        for f in std::fs::read_dir(&dir).unwrap() {
            let f = f.unwrap().path();
            // A mesh a test-file fixture (T codes) names, or a schema file a
            // mesh names: not a fixture itself.
            if f.to_string_lossy().ends_with(".mesh.yaml") || f.extension().is_some_and(|e| e != "yaml") {
                continue;
            }
            let name =
                format!("{}/{}", dir.file_name().unwrap().to_string_lossy(), f.file_stem().unwrap().to_string_lossy());
            out.push((name, f));
        }
    }
    out.sort();
    out
}

/// Parses `# expect: CODE at LINE:COL`.
fn expectation(text: &str) -> (String, usize, usize) {
    let header = text.lines().next().unwrap_or("");
    let rest = header.strip_prefix("# expect: ").unwrap_or_else(|| panic!("no expect header: {header}"));
    let (code, pos) = rest.split_once(" at ").expect("`CODE at L:C`");
    let (line, col) = pos.split_once(':').expect("L:C");
    (code.to_string(), line.parse().unwrap(), col.parse().unwrap())
}

#[test]
fn every_fixture_reports_its_code_at_the_right_place() {
    for (name, path) in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (code, line, col) = expectation(&text);
        // T codes are about `fmc test`'s files: checked as `fmc test` checks them.
        let (sources, out) = if code.starts_with('T') {
            let (sources, diagnostics) = fmc::meshtest::check_file(&path).unwrap();
            (sources, fmc::pipeline::CompileOutput { diagnostics, ..Default::default() })
        } else if text.lines().nth(1) == Some("# mode: krm") {
            // A ResourceList, as `fmc krm` reads it (P016, P017: the package itself).
            let (sources, found) = fmc::gitops::krm::package_diagnostics(&text, &BuildOptions::default());
            let mut diagnostics = fmc::diagnostics::Diagnostics::default();
            found.into_iter().for_each(|d| diagnostics.push(d));
            (sources, fmc::pipeline::CompileOutput { diagnostics, ..Default::default() })
        } else {
            let sources = sources_from_files(&[&path]);
            // Optional header lines: `# env: NAME` selects an environment,
            // `# provision: resources-operator` turns provisioning on.
            let header = |key: &str| text.lines().skip(1).take(2).find_map(|l| l.strip_prefix(key)).map(str::to_string);
            let environment = header("# env: ");
            let provision = header("# provision: ").and_then(|p| fmc::options::Provisioner::parse(&p));
            let out = compile(&sources, &BuildOptions { environment, provision, ..BuildOptions::default() });
            (sources, out)
        };
        let found = out
            .diagnostics
            .iter()
            .find(|d| d.code == code)
            .unwrap_or_else(|| panic!("{name}: no {code} in {:#?}", out.diagnostics));
        let json = render_json(found, &sources);
        assert_eq!(
            (json["line"].as_u64().unwrap() as usize, json["column"].as_u64().unwrap() as usize),
            (line, col),
            "{name}"
        );
        assert!(found.help.is_some(), "{name}: every diagnostic has a help line");
        if found.is_error() {
            assert!(out.manifests.is_empty(), "{name}: errors must stop the build");
        }
        let mut report = String::new();
        for d in out.diagnostics.clone().into_sorted() {
            report.push_str(
                &render(&d, &sources, ErrorFormat::Human, false).replace(&path.display().to_string(), "FIXTURE"),
            );
            report.push('\n');
        }
        insta::assert_snapshot!(format!("diag__{}", name.replace('/', "__")), report);
    }
}

#[test]
fn every_code_has_a_fixture_and_every_fixture_a_code() {
    let dirs: Vec<String> = fixtures().into_iter().map(|(n, _)| n.split('/').next().unwrap().to_string()).collect();
    for info in REGISTRY {
        let dir = format!("{}-{}", info.code, info.slug);
        assert!(dirs.contains(&dir), "code {} has no fixture directory fixtures/diagnostics/{dir}", info.code);
    }
    for dir in &dirs {
        assert!(
            REGISTRY.iter().any(|c| format!("{}-{}", c.code, c.slug) == *dir),
            "fixture {dir} names no registered code"
        );
    }
}

#[test]
fn unknown_field_suggests_the_closest_name() {
    let out = build_text(
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  classname: X\n",
    );
    let d = out.diagnostics.iter().find(|d| d.code == "P007").expect("P007");
    assert_eq!(d.help.as_deref(), Some("did you mean `className`?"));
}

#[test]
fn malformed_inputs_never_panic() {
    // A grab bag of hostile or truncated inputs: each must give diagnostics, not a panic.
    let cases = [
        "",
        "---",
        "\u{feff}",
        "[",
        "{a: ",
        "a: *x",
        "!!binary x",
        "? [a]: b",
        "kind: 3\napiVersion: []",
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: 3",
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: FunctionMesh\nmetadata: {name: m}\nspec: {functions: [3, {name: x}]}",
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {replicas: 99999999999999}",
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {resources: {limits: {memory: 99999999999999999999999999E}}}",
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {java: {jar: x, jarLocation: 'function://'}, className: C}",
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Sink\nmetadata: {name: s}\nspec: {java: {jar: x}, className: C, input: {topicPattern: 'a'}, cleanupSubscription: true}",
    ];
    for case in cases {
        let result = std::panic::catch_unwind(|| build_text(case));
        assert!(result.is_ok(), "panicked on {case:?}");
    }
}
