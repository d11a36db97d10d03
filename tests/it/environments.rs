//! Environments are merge patches of the whole mesh (`--env NAME`): each kind
//! of field (defaults, clusters, topics, component maps, scalars and lists,
//! removal by `null`), diagnostics at the override, and `--all-envs`.

use crate::support::*;
use fmc::options::BuildOptions;
use fmc::pipeline::{CompileOutput, compile};
use std::process::Command;

/// `alert` and `tap` read `readings`; `prod` changes the cluster's URLs, the
/// topic's namespace, the default parallelism, part of `alert`'s config,
/// autoscaling and labels, and drops `tap`.
const MESH: &str = "
apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: env}
spec:
  defaults: {parallelism: 2, resources: {requests: {memory: 1G}, limits: {memory: 1G}}}
  clusters:
    main: {brokerServiceUrl: 'pulsar://dev:6650', webServiceUrl: 'http://dev:8080'}
  schemas:
    Reading: {type: AVRO, definition: {type: record, name: Reading, fields: [{name: celsius, type: double}]}}
  topics:
    readings: {schema: Reading, external: true}
    alerts: {external: true}
    debug: {external: true}
  functions:
    alert:
      runtime: java
      file: /f/a.jar
      className: A
      inputs: [readings]
      output: alerts
      labels: {team: sensors}
      config: {thresholdCelsius: 40, unit: C}
      autoscaling: {minParallelism: 2, maxParallelism: 4, cpuPercent: 80}
    tap:
      runtime: java
      file: /f/t.jar
      className: T
      inputs: [readings]
      output: debug
  environments:
    prod:
      defaults: {parallelism: 3}
      clusters:
        main: {brokerServiceUrl: 'pulsar://prod:6650', webServiceUrl: 'http://prod:8080'}
      topics:
        readings: {namespace: prod}
      schemas:
        Reading: {type: STRING, definition: null}
      components:
        alert: {config: {thresholdCelsius: 60}, autoscaling: {maxParallelism: 8}, labels: {tier: gold}}
      functions:
        tap: null
";

fn build(env: Option<&str>, text: &str) -> CompileOutput {
    let options = BuildOptions {
        environment: env.map(str::to_string),
        target_operator: true,
        keep_components: true,
        // The function is autoscaled: keep its replicas, to see them overridden.
        keep_autoscaled_replicas: true,
        ..BuildOptions::default()
    };
    compile(&sources_from_text("mesh.yaml", text), &options)
}

fn function(out: &CompileOutput, name: &str) -> Option<serde_json::Value> {
    out.manifests.iter().map(|m| m.value()).find(|v| v["kind"] == "Function" && v["metadata"]["name"] == name)
}

#[test]
fn an_environment_merges_maps_replaces_scalars_and_removes_nulls_anywhere_in_the_mesh() {
    let base = build(None, MESH);
    let prod = build(Some("prod"), MESH);
    assert!(base.diagnostics.is_empty() && prod.diagnostics.is_empty(), "{:?}", prod.diagnostics);
    let (b, p) = (function(&base, "alert").unwrap(), function(&prod, "alert").unwrap());
    // A map merges key by key: the other config key and minParallelism stay.
    assert_eq!(b["spec"]["funcConfig"], serde_json::json!({"thresholdCelsius": 40, "unit": "C"}));
    assert_eq!(p["spec"]["funcConfig"], serde_json::json!({"thresholdCelsius": 60, "unit": "C"}));
    assert_eq!((&p["spec"]["minReplicas"], &p["spec"]["maxReplicas"]), (&2.into(), &8.into()));
    assert_eq!(p["metadata"]["labels"], serde_json::json!({"team": "sensors", "tier": "gold"}));
    // Defaults, clusters and topics are overridden like any other field.
    assert_eq!((&b["spec"]["replicas"], &p["spec"]["replicas"]), (&2.into(), &3.into()));
    let broker = |out: &CompileOutput| {
        let cm = out.manifests.iter().map(|m| m.value()).find(|v| v["kind"] == "ConfigMap").unwrap();
        cm["data"]["brokerServiceURL"].clone()
    };
    assert_eq!((broker(&base), broker(&prod)), ("pulsar://dev:6650".into(), "pulsar://prod:6650".into()));
    assert_eq!(p["spec"]["input"]["topics"], serde_json::json!(["persistent://public/prod/readings"]));
    // A schema is overridden too (`null` drops the definition a STRING takes none of).
    let schema_type = |f: &serde_json::Value| {
        let specs = f["spec"]["input"]["sourceSpecs"].as_object().unwrap().values().next().unwrap().clone();
        specs["schemaType"].clone()
    };
    assert_eq!((schema_type(&b), schema_type(&p)), ("AVRO".into(), "STRING".into()));
    // `null` removes: no tap in production.
    assert!(function(&base, "tap").is_some() && function(&prod, "tap").is_none());
}

#[test]
fn a_list_replaces_and_an_error_it_causes_points_at_the_override() {
    let broken = MESH.replace(
        "      functions:\n        tap: null\n",
        "      functions:\n        tap: {inputs: [{topic: readings, schema: Missing}]}\n",
    );
    let out = build(Some("prod"), &broken);
    let d = out.diagnostics.iter().find(|d| d.code == "R006").expect("unknown schema");
    let line = broken[..d.primary.span.start as usize].lines().count();
    assert!(broken.lines().nth(line - 1).unwrap().contains("tap: {inputs:"), "line {line}: {d:?}");
    let out = build(Some("prod"), &broken.replace("schema: Missing", "schema: Reading"));
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let tap = function(&out, "tap").unwrap();
    assert_eq!(tap["spec"]["input"]["topics"], serde_json::json!(["persistent://public/prod/readings"]));
}

#[test]
fn all_envs_writes_one_tree_per_environment() {
    let dir = tempfile::tempdir().unwrap();
    let staging = MESH.replace("  environments:\n", "  environments:\n    staging: {defaults: {parallelism: 4}}\n");
    std::fs::write(dir.path().join("mesh.yaml"), &staging).unwrap();
    let deploy = dir.path().join("deploy");
    let run = |args: &[&str]| Command::new(fmc_bin()).args(args).current_dir(dir.path()).output().unwrap();
    let out = run(&["build", "mesh.yaml", "--all-envs", "-o", "deploy"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for env in ["prod", "staging"] {
        let single = run(&["build", "mesh.yaml", "--env", env, "-o", &format!("single-{env}")]);
        assert!(single.status.success());
        let check = run(&["build", "mesh.yaml", "--env", env, "-o", &format!("deploy/{env}"), "--check"]);
        assert!(check.status.success(), "{env}: the tree is what `--env {env} -o` writes");
    }
    assert!(deploy.join("prod/kustomization.yaml").exists() && !deploy.join("kustomization.yaml").exists());
    let again = run(&["build", ".", "--all-envs", "-o", "deploy", "--check"]);
    assert!(again.status.success(), "the written trees are not read back: {}", String::from_utf8_lossy(&again.stderr));
    let check = run(&["check", "mesh.yaml", "--all-envs"]);
    assert!(check.status.success());
    let stdout = run(&["build", "mesh.yaml", "--all-envs"]);
    assert_eq!(stdout.status.code(), Some(2), "--all-envs without -o has nowhere to write");
}

#[test]
fn an_environment_name_that_is_no_folder_name_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = MESH.replace("    prod:\n", "    ../../escape:\n");
    std::fs::write(dir.path().join("mesh.yaml"), hostile).unwrap();
    let out = Command::new(fmc_bin())
        .args(["build", "mesh.yaml", "--all-envs", "-o", "deploy"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot name a folder"));
    assert!(!dir.path().join("deploy").exists() && !dir.path().parent().unwrap().join("escape").exists());
}
