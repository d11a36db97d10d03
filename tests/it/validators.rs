//! Independent validators over everything fmc renders: kubernetes-validate
//! (--strict, Kubernetes 1.32) for every corpus file in both rendering modes,
//! and check-jsonschema for the shipped examples against fmc's own schema.
//! The tools come from the project's venv (`scripts/setup.sh`). Under CI a
//! missing tool fails the test; locally it is reported and skipped.

use crate::support::*;
use fmc::options::BuildOptions;
use std::path::PathBuf;
use std::process::Command;

fn tool(name: &str, env: &str) -> Option<PathBuf> {
    let path = std::env::var_os(env).map(PathBuf::from).unwrap_or_else(|| project_root().join(".venv/bin").join(name));
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "{name} not found at {} (run scripts/setup.sh)", path.display());
    eprintln!("skipping: {name} not installed (run scripts/setup.sh)");
    None
}

#[test]
fn kubernetes_validate_accepts_every_rendered_object() {
    let Some(kv) = tool("kubernetes-validate", "FMC_KUBERNETES_VALIDATE") else { return };
    let dir = tempfile::tempdir().unwrap();
    let modes = [
        ("default", BuildOptions::default()),
        ("init-hooks", BuildOptions { enable_init_containers: true, cleanup_hooks: true, ..BuildOptions::default() }),
    ];
    let mut files = Vec::new();
    for (mode, options) in &modes {
        for (rel, path) in corpus_files() {
            let out = build_file(&path, options);
            assert!(!out.has_errors(), "{rel}");
            let file = dir.path().join(format!("{mode}__{}", rel.replace('/', "__")));
            std::fs::write(&file, out.yaml()).unwrap();
            files.push(file);
        }
    }
    let out = Command::new(&kv).args(["--strict", "--quiet", "-k", "1.32.0"]).args(&files).output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "kubernetes-validate failed:\n{report}");
    // Only custom resources it has no schema for may be skipped, never core kinds.
    for line in report.lines().filter(|l| l.contains("Couldn't find schema")) {
        assert!(
            ["VerticalPodAutoscaler", "Elasticsearch", "StorageClass with api version storage.k8s.io/v1beta1"]
                .iter()
                .any(|k| line.contains(k)),
            "unexpected skip: {line}"
        );
    }
    assert!(!report.contains("ERROR") && !report.contains("FAIL"), "{report}");
}

#[test]
fn examples_validate_against_the_checked_in_schema() {
    let Some(cj) = tool("check-jsonschema", "FMC_CHECK_JSONSCHEMA") else { return };
    let schema = project_root().join("schemas/fmc-input.schema.json");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(project_root().join("examples/operator")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        // check-jsonschema takes one document per file: split on document markers.
        for (i, doc) in text.split("\n---\n").enumerate() {
            if doc.contains("compute.functionmesh.io/") || doc.contains("fmc.functionmesh.io/") {
                let file = dir.path().join(format!("{}-{i}.yaml", path.file_stem().unwrap().to_string_lossy()));
                std::fs::write(&file, doc).unwrap();
                files.push(file);
            }
        }
    }
    assert!(!files.is_empty());
    let out = Command::new(&cj).arg("--schemafile").arg(&schema).args(&files).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
