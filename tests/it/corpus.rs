//! Every file of the operator's own corpus builds (exit 0) and its output is
//! snapshotted in full. Warnings are snapshotted too, so a new one shows up in review.

use crate::support::*;
use fmc::options::BuildOptions;

fn snapshot_name(rel: &str) -> String {
    rel.trim_end_matches(".yaml").replace(['/', '.'], "__")
}

#[test]
fn every_corpus_file_builds_and_matches_its_snapshot() {
    if !conformance() {
        return;
    }
    let mut warnings = String::new();
    for (rel, path) in corpus_files() {
        let out = build_file(&path, &BuildOptions::default());
        let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{rel}: {errors:#?}");
        for d in out.diagnostics.clone().into_sorted() {
            let line = fmc::diagnostics::report::render_json(&d, &sources_from_files(&[&path]))["line"].clone();
            warnings.push_str(&format!("{rel}:{line} {} {}\n", d.code, d.message));
        }
        insta::assert_snapshot!(snapshot_name(&rel), out.yaml());
    }
    insta::assert_snapshot!("corpus_warnings", warnings);
}

#[test]
fn corpus_with_cleanup_hooks_and_init_containers() {
    if !conformance() {
        return;
    }
    // The operator's downloader suite runs with --enable-init-containers; the
    // cleanup cases with the controller. Both modes are snapshotted for the
    // cases that exercise them.
    let options = BuildOptions { enable_init_containers: true, cleanup_hooks: true, ..BuildOptions::default() };
    for rel in [
        "integration-oauth2/java-download-function/manifests.yaml",
        "integration-oauth2/java-download-function-with-package-service/manifests.yaml",
        "integration-oauth2/py-download-from-http-function/manifests.yaml",
        "integration-oauth2/batch-source/manifests.yaml",
        "integration/elasticsearch-sink/manifests.yaml",
        "integration/go-download-function/manifests.yaml",
    ] {
        let out = build_file(&corpus_root().join(rel), &options);
        assert!(!out.has_errors(), "{rel}: {:#?}", out.diagnostics);
        insta::assert_snapshot!(format!("init_and_hooks__{}", snapshot_name(rel)), out.yaml());
    }
}

#[test]
fn examples_build_clean_and_match_their_snapshots() {
    let dir = project_root().join("examples/operator");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    // Mesh tests (`fmc test`) are no input of a build.
    for path in files.into_iter().filter(|p| !fmc::source::is_mesh_test(p)) {
        let out = build_file(&path, &BuildOptions::default());
        assert!(
            out.diagnostics.is_empty(),
            "{}: examples build without any diagnostic: {:#?}",
            path.display(),
            out.diagnostics
        );
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("example__{name}"), out.yaml());
    }
}
