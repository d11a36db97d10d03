//! Python functions on fmc's runner (issue 26, item 7): every way to choose it
//! renders the same workload, the default stays operator-exact, and `fmc test`
//! runs the function for real in the runner binary.

use crate::support::{build_file, build_text, fmc_bin, object, project_root};
use fmc::options::{BuildOptions, RunnerChoice};
use serde_json::Value;
use std::process::Command;

const FUNCTION: &str = "apiVersion: compute.functionmesh.io/v1alpha1
kind: Function
metadata:
  name: exclaim
  namespace: default
  ANNOTATIONS
spec:
  image: registry.example.com/shop/python-functions:1.4.0
  className: exclaim.Exclaim
  input: {topics: [persistent://public/default/words]}
  output: {topic: persistent://public/default/exclaimed}
  maxMessageRetry: 2
  resources: {requests: {memory: 64Mi}, limits: {memory: 128Mi}}
  deadLetterTopic: persistent://public/default/exclaim-dlq
  funcConfig: {suffix: '!!'}
  secretsMap:
    SHOP_TOKEN: {path: shop, key: token}
  pulsar: {pulsarConfig: pulsar}
  python: {py: /pulsar/functions/exclaim.py}
";

const MESH: &str = "apiVersion: compute.functionmesh.io/v1alpha1
kind: FunctionMesh
metadata:
  name: words
  namespace: default
  annotations: {fmc.functionmesh.io/runner: fmc}
spec:
  functions:
    - name: exclaim
      image: registry.example.com/shop/python-functions:1.4.0
      className: exclaim.Exclaim
      input: {topics: [persistent://public/default/words]}
      output: {topic: persistent://public/default/exclaimed}
      pulsar: {pulsarConfig: pulsar}
      python: {py: /pulsar/functions/exclaim.py}
";

/// The cluster both inputs run on: its ConfigMap, and the Secret it provides.
const CLUSTER: &str = "---
apiVersion: v1
kind: ConfigMap
metadata: {name: pulsar, namespace: default}
data: {webServiceURL: 'http://pulsar:8080', brokerServiceURL: 'pulsar://pulsar:6650'}
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: ClusterProvided
metadata: {name: cluster}
spec: {secrets: [default/shop]}
";

fn function(annotations: &str) -> String {
    FUNCTION.replace("ANNOTATIONS", annotations) + CLUSTER
}

fn mesh() -> String {
    MESH.to_string() + CLUSTER
}

fn statefulset(out: &fmc::pipeline::CompileOutput) -> &'static Value {
    let name = out.manifests.iter().find(|m| m.kind == "StatefulSet").expect("a StatefulSet").name.clone();
    object(out, "StatefulSet", &name)
}

/// What a Python workload on fmc's runner is: the runner's image and command,
/// the code copied out of the function's image by an init container into the
/// volume the runner reads, and the function in the runner's configuration.
fn assert_on_fmc_runner(out: &fmc::pipeline::CompileOutput, what: &str) {
    assert!(!out.has_errors(), "{what}: {:#?}", out.diagnostics);
    let pod = &statefulset(out)["spec"]["template"]["spec"];
    let main = &pod["containers"][0];
    assert_eq!(main["image"], "fmc/runner-python:0.1.0", "{what}");
    assert_eq!(main["command"][0], "/fmc-runner", "{what}");
    assert_eq!(main["readinessProbe"]["httpGet"]["path"], "/readyz", "{what}");
    assert_eq!(main["securityContext"]["readOnlyRootFilesystem"], true, "{what}");
    let copier = &pod["initContainers"][0];
    assert_eq!(copier["image"], "registry.example.com/shop/python-functions:1.4.0", "{what}");
    assert_eq!(
        copier["command"],
        serde_json::json!(["cp", "/pulsar/functions/exclaim.py", "/pulsar/download/exclaim.py"]),
        "{what}"
    );
    let mounts = main["volumeMounts"].as_array().unwrap();
    assert!(mounts.iter().any(|m| m["mountPath"] == "/pulsar/download"), "{what}: {mounts:?}");
    let map =
        out.manifests.iter().find(|m| m.kind == "ConfigMap" && m.name.ends_with("-runner")).expect("runner config");
    let config: Value = serde_json::from_str(map.value()["data"]["runner.json"].as_str().unwrap()).unwrap();
    let python = &config["function"]["python"];
    assert_eq!(python["className"], "exclaim.Exclaim", "{what}");
    assert_eq!(python["path"], "/pulsar/download/exclaim.py", "{what}");
    assert_eq!(config["inputs"], serde_json::json!(["persistent://public/default/words"]), "{what}");
}

#[test]
fn every_way_to_choose_fmcs_runner_renders_the_runners_workload() {
    let annotated = build_text(&function("annotations: {fmc.functionmesh.io/runner: fmc}"));
    assert_on_fmc_runner(&annotated, "the annotation");
    let config: Value = serde_json::from_str(
        object(&annotated, "ConfigMap", "exclaim-function-runner")["data"]["runner.json"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(config["maxRetries"], 2);
    assert_eq!(config["deadLetterTopic"], "persistent://public/default/exclaim-dlq");
    assert_eq!(config["userConfig"], serde_json::json!({"suffix": "!!"}));
    assert_eq!(config["secrets"], serde_json::json!(["SHOP_TOKEN"]));
    let env = statefulset(&annotated)["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
    let secret = env.iter().find(|e| e["name"] == "SHOP_TOKEN").expect("the secret as a variable");
    assert_eq!(secret["valueFrom"]["secretKeyRef"], serde_json::json!({"name": "shop", "key": "token"}));

    let options = BuildOptions { python_runner: RunnerChoice::Fmc, ..BuildOptions::default() };
    let by_option = fmc::pipeline::compile(&crate::support::sources_from_text("f.yaml", &function("")), &options);
    assert_on_fmc_runner(&by_option, "--python-runner fmc");
    assert_on_fmc_runner(&build_text(&mesh()), "the annotation on a FunctionMesh");

    let dsl = build_file(&project_root().join("fixtures/python-runner/mesh.yaml"), &BuildOptions::default());
    assert_on_fmc_runner(&dsl, "runner: fmc in a native mesh");
}

#[test]
fn the_default_stays_the_operators_python_instance_and_a_component_may_opt_out() {
    for (what, out) in [
        ("no choice", build_text(&function(""))),
        (
            "runner: operator under --python-runner fmc",
            fmc::pipeline::compile(
                &crate::support::sources_from_text(
                    "f.yaml",
                    &function("annotations: {fmc.functionmesh.io/runner: operator}"),
                ),
                &BuildOptions { python_runner: RunnerChoice::Fmc, ..BuildOptions::default() },
            ),
        ),
    ] {
        let main = &statefulset(&out)["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(main["image"], "registry.example.com/shop/python-functions:1.4.0", "{what}");
        assert!(main["command"][2].as_str().unwrap().contains("python_instance_main.py"), "{what}");
        assert!(!out.manifests.iter().any(|m| m.name.ends_with("-runner")), "{what}: no runner configuration");
    }
}

#[test]
fn a_pinned_https_package_is_fetched_by_the_runner_and_a_package_service_one_by_the_downloader() {
    let pinned = function(
        "annotations: {fmc.functionmesh.io/runner: fmc, fmc.functionmesh.io/code-sha256: 0a000000000000000000000000000000000000000000000000000000000000ff}",
    )
    .replace("python: {py: /pulsar/functions/exclaim.py}", "python: {py: exclaim.py, pyLocation: https://code.example.com/exclaim.py}");
    let out = build_text(&pinned);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let config: Value = serde_json::from_str(
        object(&out, "ConfigMap", "exclaim-function-runner")["data"]["runner.json"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(config["function"]["python"]["url"], "https://code.example.com/exclaim.py");
    assert_eq!(config["function"]["python"]["sha256"].as_str().unwrap().len(), 64);
    assert!(statefulset(&out)["spec"]["template"]["spec"]["initContainers"].is_null(), "no init container");

    let package = function("annotations: {fmc.functionmesh.io/runner: fmc}").replace(
        "python: {py: /pulsar/functions/exclaim.py}",
        "python: {py: exclaim.py, pyLocation: function://public/default/exclaim@1}",
    );
    let out = build_text(&package);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let init = &statefulset(&out)["spec"]["template"]["spec"]["initContainers"][0];
    assert_eq!(init["name"], "downloader");
    let command = init["command"][2].as_str().unwrap();
    assert!(command.contains("packages download function://public/default/exclaim@1"), "{command}");
    assert!(command.contains("--path /pulsar/download/exclaim.py"), "{command}");
}

#[test]
fn fmc_test_runs_a_python_function_in_the_runner_not_a_stand_in() {
    let dir = project_root().join("fixtures/python-runner");
    let out = Command::new(fmc_bin()).arg("test").arg(&dir).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("2 passed, 0 failed"), "{said}");
    // What arrives is what the Python code returns: a wrong expectation shows it.
    let copy = tempfile::tempdir().unwrap();
    for file in ["mesh.yaml", "exclaim.py"] {
        std::fs::copy(dir.join(file), copy.path().join(file)).unwrap();
    }
    let tests = std::fs::read_to_string(dir.join("mesh.test.yaml")).unwrap().replace("hello!! (6)", "hello!");
    std::fs::write(copy.path().join("mesh.test.yaml"), tests).unwrap();
    let out = Command::new(fmc_bin()).arg("test").arg(copy.path()).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("hello!! (6)"), "the function's real output: {said}");
    // A module that does not import fails the test with Python's reason.
    std::fs::write(copy.path().join("exclaim.py"), "import no_such_module\n").unwrap();
    let out = Command::new(fmc_bin()).arg("test").arg(copy.path()).output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("no_such_module"), "{said}");
}
