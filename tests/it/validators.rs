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
    if !conformance() {
        return;
    }
    let Some(kv) = tool("kubernetes-validate", "FMC_KUBERNETES_VALIDATE") else { return };
    let dir = tempfile::tempdir().unwrap();
    let modes = [
        ("default", BuildOptions::default()),
        ("init-hooks", BuildOptions { enable_init_containers: true, cleanup_hooks: true, ..BuildOptions::default() }),
    ];
    let mut files = Vec::new();
    for (mode, options) in &modes {
        for (rel, path) in corpus_files().into_iter().chain(example_files()) {
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
            // The custom resources around workloads are checked against their own
            // CRDs (tests/it/provision.rs).
            [
                "VerticalPodAutoscaler",
                "Elasticsearch",
                "StorageClass with api version storage.k8s.io/v1beta1",
                "ScaledObject",
                "TriggerAuthentication",
                "PodMonitor",
                "ServiceMonitor",
            ]
            .iter()
            .any(|k| line.contains(k)),
            "unexpected skip: {line}"
        );
    }
    assert!(!report.contains("ERROR") && !report.contains("FAIL"), "{report}");
}

/// The fmc documents of `text`, one per file (check-jsonschema takes one
/// document per file), written into `dir` under `stem`.
fn fmc_documents(text: &str, dir: &std::path::Path, stem: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (i, doc) in text.split("\n---\n").enumerate() {
        let api = |group: &str| doc.lines().any(|l| l.starts_with(&format!("apiVersion: {group}/")));
        if api("compute.functionmesh.io") || api("fmc.functionmesh.io") {
            let file = dir.join(format!("{}-{i}.yaml", stem.replace('/', "__")));
            std::fs::write(&file, doc).unwrap();
            files.push(file);
        }
    }
    files
}

/// Every example and every corpus file passes the editor schema.
#[test]
fn examples_and_the_corpus_validate_against_the_checked_in_schema() {
    if !conformance() {
        return;
    }
    let Some(cj) = tool("check-jsonschema", "FMC_CHECK_JSONSCHEMA") else { return };
    let schema = project_root().join("schemas/fmc-input.schema.json");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (rel, path) in example_files().into_iter().chain(corpus_files()) {
        files.extend(fmc_documents(&std::fs::read_to_string(&path).unwrap(), dir.path(), &rel));
    }
    assert!(files.len() > 50, "{} documents", files.len());
    let out = Command::new(&cj).arg("--schemafile").arg(&schema).args(&files).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// Every shipped mesh test file (`*.test.yaml`, examples and SDK templates)
/// passes the editor schema, which covers `MeshTest`.
#[test]
fn every_shipped_test_file_validates_against_the_schema() {
    let Some(cj) = tool("check-jsonschema", "FMC_CHECK_JSONSCHEMA") else { return };
    let schema = project_root().join("schemas/fmc-input.schema.json");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut todo = vec![project_root().join("examples"), project_root().join("sdk")];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() && name != "node_modules" && !name.starts_with('.') && name != "target" {
                todo.push(path);
            } else if name.ends_with(".test.yaml") {
                let rel = path.strip_prefix(project_root()).unwrap().display().to_string();
                files.extend(fmc_documents(&std::fs::read_to_string(&path).unwrap(), dir.path(), &rel));
            }
        }
    }
    assert!(files.len() >= 5, "{} test documents", files.len());
    let out = Command::new(&cj).arg("--schemafile").arg(&schema).args(&files).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// The editor schema is as strict as fmc: every document fmc refuses with
/// P007 (an unknown field) fails check-jsonschema too.
#[test]
fn the_schema_refuses_every_unknown_field_fmc_refuses() {
    let Some(cj) = tool("check-jsonschema", "FMC_CHECK_JSONSCHEMA") else { return };
    let schema = project_root().join("schemas/fmc-input.schema.json");
    let dir = tempfile::tempdir().unwrap();
    let fixtures = project_root().join("fixtures/diagnostics/P007-unknown-field");
    let mut checked = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let out = build_file(&path, &BuildOptions::default());
        assert!(out.diagnostics.iter().any(|d| d.code == "P007"), "{stem}: fmc refuses it with P007");
        let files = fmc_documents(&text, dir.path(), &stem);
        let out = Command::new(&cj).arg("--schemafile").arg(&schema).args(&files).output().unwrap();
        assert!(!out.status.success(), "{stem}: check-jsonschema accepts what fmc refuses");
        checked += 1;
    }
    assert!(checked >= 4, "{checked} fixtures");
}

/// Check IDs listed in docs/security.md (first column of its table).
fn accepted_checks() -> Vec<String> {
    let doc = std::fs::read_to_string(project_root().join("docs/security.md")).unwrap();
    doc.lines()
        .filter_map(|l| l.strip_prefix("| CKV"))
        .map(|rest| format!("CKV{}", rest.split('|').next().unwrap().trim()))
        .collect()
}

/// Every object fmc generates for the corpus and the examples, one file per input.
fn write_generated(dir: &std::path::Path, options: &BuildOptions) {
    let mut inputs = corpus_files();
    inputs.extend(example_files().into_iter().map(|(rel, p)| (format!("examples/{rel}"), p)));
    for (rel, path) in inputs {
        let out = build_file(&path, options);
        let generated: Vec<_> = out.manifests.iter().filter(|m| m.provenance.is_generated()).cloned().collect();
        if !generated.is_empty() {
            std::fs::write(dir.join(rel.replace('/', "__")), fmc::emit::emit(&generated)).unwrap();
        }
    }
}

fn checkov_failures(checkov: &std::path::Path, dir: &std::path::Path) -> Vec<(String, String)> {
    let args = [
        "-d",
        dir.to_str().unwrap(),
        "--framework",
        "kubernetes",
        "--skip-download",
        "--compact",
        "--quiet",
        "-o",
        "json",
    ];
    let isolated = Command::new("unshare")
        .arg("-n")
        .arg(checkov)
        .args(args)
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .output();
    let out = match isolated {
        Ok(o) if !o.stdout.is_empty() => o,
        _ => Command::new(checkov)
            .args(args)
            .env("BC_SKIP_MAPPING", "TRUE")
            .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
            .output()
            .unwrap(),
    };
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("checkov output: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let reports = if report.is_array() { report.as_array().unwrap().clone() } else { vec![report] };
    let mut failures = Vec::new();
    for r in reports {
        for f in r["results"]["failed_checks"].as_array().into_iter().flatten() {
            failures
                .push((f["check_id"].as_str().unwrap().to_string(), f["resource"].as_str().unwrap_or("").to_string()));
        }
    }
    failures
}

#[test]
fn checkov_finds_nothing_unlisted() {
    if !conformance() {
        return;
    }
    let Some(checkov) = tool("checkov", "FMC_CHECKOV") else { return };
    let accepted = accepted_checks();
    assert!(accepted.len() >= 10, "{accepted:?}");
    // checkov skips hidden directories, and tempfile's default names start with a dot.
    let visible = || tempfile::Builder::new().prefix("fmc-checkov-").tempdir().unwrap();
    let default_dir = visible();
    write_generated(default_dir.path(), &BuildOptions::default());
    let failures = checkov_failures(&checkov, default_dir.path());
    assert!(!failures.is_empty(), "checkov ran no checks");
    let unlisted: Vec<_> = failures.iter().filter(|(id, _)| !accepted.contains(id)).collect();
    assert!(unlisted.is_empty(), "checkov failures not listed in docs/security.md: {unlisted:#?}");

    let policy_dir = visible();
    write_generated(policy_dir.path(), &BuildOptions { network_policy: true, ..BuildOptions::default() });
    let with_policy = checkov_failures(&checkov, policy_dir.path());
    assert!(!with_policy.iter().any(|(id, _)| id == "CKV2_K8S_6"), "--network-policy must satisfy CKV2_K8S_6");
}

#[test]
fn generated_pods_meet_the_restricted_pod_security_standard() {
    if !conformance() {
        return;
    }
    let mut checked = 0;
    for (rel, path) in corpus_files() {
        let out = build_file(
            &path,
            &BuildOptions { enable_init_containers: true, cleanup_hooks: true, ..BuildOptions::default() },
        );
        for m in
            out.manifests.iter().filter(|m| m.provenance.is_generated() && (m.kind == "StatefulSet" || m.kind == "Job"))
        {
            let value = m.value();
            let pod = &value["spec"]["template"]["spec"];
            let sc = &pod["securityContext"];
            if sc["runAsUser"] != 10000 {
                continue; // the resource replaced the pod security context itself
            }
            assert_eq!(sc["runAsNonRoot"], true, "{rel} {}", m.name);
            assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault", "{rel} {}", m.name);
            for c in pod["containers"]
                .as_array()
                .unwrap()
                .iter()
                .chain(pod["initContainers"].as_array().into_iter().flatten())
            {
                assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false, "{rel} {} {}", m.name, c["name"]);
                assert_eq!(
                    c["securityContext"]["capabilities"]["drop"],
                    serde_json::json!(["ALL"]),
                    "{rel} {} {}",
                    m.name,
                    c["name"]
                );
                assert!(c["securityContext"].get("privileged").is_none_or(|p| p == false));
            }
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked}");
}

/// The `openAPIV3Schema` of the operator's CRD for `kind`, as a JSON Schema file.
fn crd_schema(dir: &std::path::Path, kind: &str) -> PathBuf {
    let plural = match kind {
        "Function" => "functions",
        "Source" => "sources",
        "Sink" => "sinks",
        _ => "backendconfigs",
    };
    crd_json_schema(dir, &corpus_root().join(format!("crds/compute.functionmesh.io_{plural}.yaml")))
}

#[test]
fn target_operator_output_validates_against_the_operators_crds() {
    if !conformance() {
        return;
    }
    let Some(cj) = tool("check-jsonschema", "FMC_CHECK_JSONSCHEMA") else { return };
    let dir = tempfile::tempdir().unwrap();
    let options = BuildOptions { target_operator: true, ..BuildOptions::default() };
    let mut by_kind: std::collections::BTreeMap<String, Vec<PathBuf>> = Default::default();
    for (rel, path) in example_files().into_iter().chain(corpus_files()) {
        let out = build_file(&path, &options);
        assert!(!out.has_errors(), "{rel}: {:#?}", out.diagnostics);
        for (i, m) in out.manifests.iter().enumerate() {
            if !matches!(m.kind.as_str(), "Function" | "Source" | "Sink" | "BackendConfig") {
                continue;
            }
            let file = dir.path().join(format!("{}-{i}.yaml", rel.replace('/', "__")));
            std::fs::write(&file, &m.yaml).unwrap();
            by_kind.entry(m.kind.clone()).or_default().push(file);
        }
    }
    assert!(by_kind.get("Function").is_some_and(|f| f.len() > 20), "{by_kind:?}");
    for (kind, files) in by_kind {
        let schema = crd_schema(dir.path(), &kind);
        let out = Command::new(&cj).arg("--schemafile").arg(&schema).args(&files).output().unwrap();
        assert!(
            out.status.success(),
            "{kind}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
