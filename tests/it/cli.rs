//! The binary's contract: exit codes, output streams and formats.

use crate::support::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn fmc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fmc"))
}

fn fixture(rel: &str) -> String {
    project_root().join("fixtures/diagnostics").join(rel).display().to_string()
}

#[test]
fn build_prints_yaml_and_exits_zero() {
    if !conformance() {
        return;
    }
    let file = corpus_root().join("integration/java-function/manifests.yaml");
    let out = fmc().arg("build").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("---\n"));
    assert!(text.contains("kind: StatefulSet"));
}

#[test]
fn errors_exit_one_with_nothing_on_stdout_and_json_on_stderr() {
    let out = fmc()
        .args(["build", "--error-format", "json", &fixture("P007-unknown-field/misspelt-replicas.yaml")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let first: serde_json::Value = serde_json::from_str(stderr.lines().next().unwrap()).unwrap();
    for key in ["code", "severity", "message", "file", "line", "column", "help"] {
        assert!(first.get(key).is_some(), "missing {key} in {first}");
    }
    assert_eq!(first["code"], "P007");
    assert_eq!((first["line"].as_u64(), first["column"].as_u64()), (Some(8), Some(3)));
}

#[test]
fn github_format_emits_workflow_commands() {
    let out = fmc()
        .args(["check", "--error-format", "github", &fixture("R001-missing-configmap/typo-in-pulsar-config.yaml")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("::error file="), "{stderr}");
    assert!(stderr.contains(",line=15,col=19,"), "{stderr}");
}

#[test]
fn io_and_usage_errors_exit_two() {
    let missing = fmc().args(["build", "/nonexistent/fmc.yaml"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let bad_flag = fmc().args(["build", "--no-such-flag"]).output().unwrap();
    assert_eq!(bad_flag.status.code(), Some(2));
    let bad_code = fmc().args(["explain", "Z999"]).output().unwrap();
    assert_eq!(bad_code.status.code(), Some(2));
}

#[test]
fn stdin_and_directories_are_inputs() {
    if !conformance() {
        return;
    }
    let file = corpus_root().join("integration/java-function/manifests.yaml");
    let mut child = fmc().args(["build", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read(&file).unwrap()).unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    assert_eq!(from_stdin.status.code(), Some(0));
    let from_file = fmc().arg("build").arg(&file).output().unwrap();
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let dir = fmc().arg("build").arg(file.parent().unwrap()).output().unwrap();
    assert_eq!(dir.stdout, from_file.stdout);
}

#[test]
fn check_prints_no_manifests() {
    if !conformance() {
        return;
    }
    let file = corpus_root().join("integration/java-function/manifests.yaml");
    let out = fmc().arg("check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
}

#[test]
fn explain_prints_the_docs() {
    let out = fmc().args(["explain", "r001"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("R001 (missing-configmap)"));
    assert!(text.contains("ClusterProvided"));
}

#[test]
fn human_output_has_no_colour_when_not_a_terminal() {
    let out = fmc().args(["check", &fixture("P005-duplicate-key/replicas-twice.yaml")]).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
    assert!(stderr.contains("duplicate key `replicas`"));
}

#[test]
fn controller_config_file_applies_like_the_operator() {
    if !conformance() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "runnerImages:\n  java: registry.example/java-runner:3.2\nrunnerImagePullSecrets:\n- name: regcred\nrunnerImagePullPolicy: Always\nresourceLabels:\n  team: streaming\nresourceAnnotations:\n  owner: data\n",
    )
    .unwrap();
    let file = corpus_root().join("integration/health-check/manifests.yaml");
    let out = fmc().arg("build").arg("--controller-config").arg(&config).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("team: streaming") && text.contains("owner: data"));
    assert!(text.contains("imagePullSecrets:\n      - name: regcred"), "{text}");
    assert!(text.contains("imagePullPolicy: Always"));
    let missing = fmc().args(["build", "--controller-config", "/nonexistent.yaml"]).arg(&file).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn graph_draws_dot_and_mermaid() {
    let mesh = project_root().join("examples/dsl/payment-retries/mesh.yaml");
    let dot = fmc().arg("graph").arg(&mesh).output().unwrap();
    assert_eq!(dot.status.code(), Some(0), "{}", String::from_utf8_lossy(&dot.stderr));
    assert_eq!(
        String::from_utf8(dot.stdout).unwrap(),
        std::fs::read_to_string(mesh.with_file_name("graph.dot")).unwrap()
    );
    let mermaid = fmc().args(["graph", "--format", "mermaid"]).arg(&mesh).output().unwrap();
    assert_eq!(mermaid.status.code(), Some(0));
    assert!(String::from_utf8(mermaid.stdout).unwrap().starts_with("flowchart LR\n"));
}

#[test]
fn graph_of_a_type_error_draws_it_red_and_exits_one() {
    let out = fmc().arg("graph").arg(fixture("C018-incompatible-schema/missing-default.yaml")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.contains("label=\"orders · OrderV1 → OrderV2 (incompatible)\", color=red"), "{dot}");
    assert!(String::from_utf8(out.stderr).unwrap().contains("C018"));
}

#[test]
fn check_types_lists_every_pair_with_its_verdict() {
    if !conformance() {
        return;
    }
    let mesh = project_root().join("examples/dsl/clickstream-analytics/mesh.yaml");
    let out = fmc().args(["check", "--types"]).arg(&mesh).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("source mobile-clicks writes ClickV1 → function sessionize reads ClickV2: compatible"),
        "{text}"
    );
    assert!(text.ends_with("9 pairs: 9 compatible, 0 incompatible, 0 unchecked\n"), "{text}");
    // Operator resources say less: their pairs are unchecked, with the reason.
    let corpus = corpus_root().join("samples/compute_v1alpha1_functionmesh.yaml");
    let out = fmc().args(["check", "--types"]).arg(&corpus).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("writes STRING (class java.lang.String)"), "{text}");
}

#[test]
fn convert_prints_the_dsl_and_build_reads_it_back() {
    let file = project_root().join("examples/operator/pipeline-mesh.yaml");
    let out = fmc().arg("convert").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dsl = out.stdout;
    assert!(String::from_utf8_lossy(&dsl).contains("kind: Mesh"));
    let mut child = fmc().args(["build", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&dsl).unwrap();
    let rebuilt = child.wait_with_output().unwrap();
    let direct = fmc().arg("build").arg(&file).output().unwrap();
    assert_eq!(rebuilt.status.code(), Some(0));
    assert_eq!(rebuilt.stdout, direct.stdout);
    let bad = fmc().arg("convert").arg(fixture("P007-unknown-field/misspelt-replicas.yaml")).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn unknown_environment_is_a_diagnostic_and_target_operator_emits_crs() {
    let mesh = project_root().join("examples/dsl/cdc-pipeline/mesh.yaml");
    let out = fmc().args(["build", "--env", "prod"]).arg(&mesh).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("R010"));
    let out = fmc().args(["build", "--target", "operator"]).arg(&mesh).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8(out.stdout).unwrap().contains("kind: Function\n"));
}

/// Every example `fmc --help` shows runs as shown (output redirections
/// aside), from the project root: a broken example cannot ship.
#[test]
fn every_example_in_the_help_runs() {
    let help = Command::new(env!("CARGO_BIN_EXE_fmc")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    let examples: Vec<&str> = help
        .split("Examples:")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fmc "))
        .collect();
    assert!(examples.len() >= 5, "{help}");
    for example in examples {
        let args: Vec<&str> = example.split(" > ").next().unwrap().split_whitespace().collect();
        let out = Command::new(env!("CARGO_BIN_EXE_fmc")).args(&args).current_dir(project_root()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "fmc {example}\n{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The compiler links no Pulsar client, no async runtime and no protoc-built
/// code: `fmc test` runs native functions through `fmc-engine`, not the runner.
#[test]
fn the_compiler_links_no_pulsar_client() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "-p", "fmc", "-e", "normal", "--prefix", "none", "--offline", "--locked"])
        .current_dir(crate::support::project_root())
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && tree.contains("fmc-engine"), "{tree}{}", String::from_utf8_lossy(&out.stderr));
    for forbidden in ["pulsar ", "tokio ", "prost-build ", "fmc-runner "] {
        assert!(!tree.lines().any(|l| l.starts_with(forbidden)), "fmc depends on {forbidden}:\n{tree}");
    }
}

/// The legacy kustomize plug-in names its own input in diagnostics (it was
/// labelled as Helm's post-render input).
#[test]
fn kustomize_plugin_diagnostics_name_the_kustomize_input() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("meshbuild.yaml");
    std::fs::write(
        &config,
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: MeshBuild\nmetadata: {name: fmc}\nspec: {}\n",
    )
    .unwrap();
    let bad = "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {className: C, replica: 1, java: {jar: /x.jar}}\n";
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fmc"));
    cmd.arg("kustomize-plugin").arg(&config).env("FMC_DIAGNOSTICS_FILE", dir.path().join("diag.txt"));
    let out = crate::support::run_with_stdin(&mut cmd, bad);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("<kustomize plug-in input>") && !stderr.contains("helm"), "{stderr}");
    assert!(stderr.contains("fmc kustomize-plugin failed"), "{stderr}");
}

/// A file holding only a BackendConfig is not "no objects": it is told that
/// fmc consumes the document and nothing uses it.
#[test]
fn a_backend_config_alone_is_told_why_nothing_renders() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bc.yaml");
    std::fs::write(&input, "apiVersion: compute.functionmesh.io/v1alpha1\nkind: BackendConfig\nmetadata: {name: backend-config, namespace: default}\nspec: {env: {A: b}}\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fmc")).arg("build").arg(&input).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 document(s) render no objects: fmc consumes BackendConfig"), "{stderr}");
    assert!(!stderr.contains("holds no objects"), "{stderr}");
}
