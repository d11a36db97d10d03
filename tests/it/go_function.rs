//! Rendered Go functions started as their StatefulSets say (issue 29), on the
//! Apache Pulsar standalone, both ways `fmc build` renders them:
//! - the operator's way (the default): the main container's `bash -c`
//!   command — download step, `${SHARD_ID}`, the single-quoted instance
//!   configuration, `exec` — run on this machine by the Java tests' harness
//!   (`java_function::start_mapped`: the image's `/pulsar` is a folder of the
//!   pod's own, where the binary is put as the Go runner image would have it);
//! - fmc's runner image as the launcher (`runner: fmc`, the annotation, or
//!   `--go-runner fmc`): the pod run under runc from the runner image by
//!   digest (`pods::run_statefulset`), its init container copying the binary
//!   out of the team's image, the runner filling in the ordinal and the broker
//!   URL, then executing the binary.
//!
//! The Go function is `tests/go-function`: Apache Pulsar's Go client behind
//! the Go Functions SDK's configuration, standing in for a function built with
//! the SDK, which the Go module proxy here does not serve (403 for
//! `github.com/apache/pulsar/pulsar-function-go`, every version tried).

use crate::java_function::{Instance, backlog, exchange_as, start_mapped};
use crate::native_runtime::free_port;
use crate::pods::{self, Images, World};
use crate::support::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `tests/go-function` built (static) from the module cache `scripts/setup.sh`
/// filled; `None` (skip) outside CI without Go or the standalone.
fn bed() -> Option<(&'static Path, String, String)> {
    static BINARY: OnceLock<Option<PathBuf>> = OnceLock::new();
    let binary = BINARY.get_or_init(|| {
        Command::new("go").arg("version").output().ok()?;
        let out = project_root().join("target/fmc-test-go/go-words");
        let status = Command::new("go")
            .args(["build", "-trimpath", "-o"])
            .arg(&out)
            .arg(".")
            .current_dir(project_root().join("tests/go-function"))
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-mod=readonly")
            .env("GOPROXY", "off")
            .status()
            .unwrap();
        assert!(status.success(), "go build of tests/go-function (its modules come from scripts/setup.sh)");
        Some(out)
    });
    let urls = standalone_url("FMC_PULSAR_URL").zip(standalone_url("FMC_PULSAR_ADMIN_URL"));
    match (binary, urls) {
        (Some(binary), Some((url, admin))) => Some((binary.as_path(), url, admin)),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "no Go or no standalone (scripts/setup.sh, test.sh)");
            eprintln!("skipping: needs go and bash scripts/pulsar-standalone.sh start");
            None
        }
    }
}

fn cluster(url: &str) -> String {
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata: {{name: local-pulsar, namespace: default}}
data: {{brokerServiceURL: '{url}', webServiceURL: 'http://127.0.0.1:8080'}}
"
    )
}

/// A Go Function as a team writes it; `annotations` choose its runner.
fn go_function(name: &str, suffix: &str, annotations: &str) -> String {
    format!(
        "apiVersion: compute.functionmesh.io/v1alpha1
kind: Function
metadata:
  name: {name}
  namespace: default
  annotations: {{{annotations}}}
spec:
  className: exclaim
  replicas: 1
  image: registry.example.com/team/go-words:1.0
  input:
    topics: [persistent://public/default/{name}-in-{suffix}]
  output:
    topic: persistent://public/default/{name}-out-{suffix}
  subscriptionName: {name}-sub
  golang:
    go: /pulsar/go-words
  pulsar:
    pulsarConfig: local-pulsar
  resources:
    requests: {{cpu: 100m, memory: 64Mi}}
    limits: {{memory: 128Mi}}
"
    )
}

/// `fmc build` of `text` (with `args`): the rendered objects.
fn build(dir: &Path, text: &str, args: &[&str]) -> Vec<Value> {
    let input = dir.join("functions.yaml");
    std::fs::write(&input, text).unwrap();
    let out = Command::new(fmc_bin()).arg("build").arg(&input).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crate::modes::documents(&String::from_utf8_lossy(&out.stdout))
}

/// Messages through the function, then its input fully acknowledged.
fn messages_flow(url: &str, admin: &str, name: &str, suffix: &str, log: impl Fn() -> String) {
    let topic = |end: &str| format!("persistent://public/default/{name}-{end}-{suffix}");
    let inputs: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
    // The function declares no schema (`sinkSchemaType` empty): bytes both ways.
    let mut got = exchange_as("bytes", url, None, &topic("in"), &inputs, &topic("out"), 20, &[]);
    let mut want: Vec<String> = inputs.iter().map(|w| format!("{w}!")).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{}", log());
    let deadline = Instant::now() + Duration::from_secs(30);
    while backlog(admin, &topic("in"), &format!("{name}-sub")) != Some(0) {
        assert!(Instant::now() < deadline, "inputs acknowledged\n{}", log());
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_rendered_go_function_runs_from_the_operators_command_on_apache_pulsar() {
    let Some((binary, url, admin)) = bed() else { return };
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("{}-{}", std::process::id(), free_port());
    let text = format!("{}---\n{}", go_function("go-words", &suffix, ""), cluster(&url));
    let objects = build(dir.path(), &text, &[]);
    let sts = objects.iter().find(|o| o["kind"] == "StatefulSet").unwrap();
    let command = sts["spec"]["template"]["spec"]["containers"][0]["command"].to_string();
    assert!(command.contains("exec /pulsar/go-words -instance-conf"), "the operator's command: {command}");
    // The Go runner image has the binary at /pulsar/go-words: so does the pod's own /pulsar.
    let home = dir.path().join("go-words-function-0/pulsar");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(binary, home.join("go-words")).unwrap();
    let running: Instance = start_mapped(&objects, &BTreeMap::new(), "go-words-function", dir.path(), &[]);
    messages_flow(&url, &admin, "go-words", &suffix, || running.log());
    assert!(running.log().contains("instance 0 of public/default/go-words"), "{}", running.log());
}

/// The team's image the binary is copied out of: busybox's `cp` and the binary.
fn team_image(dir: &Path, binary: &Path) -> PathBuf {
    pods::team_image(&dir.join("team-image"), "1.0", |image| image.add_file(binary, "/pulsar/go-words").unwrap())
}

/// A native mesh's Go function on fmc's runner (`runner: fmc`).
fn go_mesh(url: &str, suffix: &str) -> String {
    format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {{name: words, namespace: default}}
spec:
  clusters:
    local: {{brokerServiceUrl: '{url}', webServiceUrl: 'http://127.0.0.1:8080'}}
  topics:
    in: {{topic: 'persistent://public/default/go-mesh-in-{suffix}', external: true}}
    out: {{topic: 'persistent://public/default/go-mesh-out-{suffix}', external: true}}
  functions:
    go-mesh:
      runtime: go
      runner: fmc
      image: registry.example.com/team/go-words:1.0
      file: /pulsar/go-words
      inputs: [in]
      output: out
      subscription: {{name: go-mesh-sub}}
"
    )
}

#[test]
fn rendered_go_functions_start_from_the_runner_image_under_runc_on_apache_pulsar() {
    let Some((binary, url, admin)) = bed() else { return };
    if !pods::available() {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root with runc (scripts/setup.sh)");
        return;
    }
    let _one_at_a_time = pods::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("{}-{}", std::process::id(), free_port());
    let runner_images = crate::images::built().0.join("runner-images.json");
    let runner_images = runner_images.display().to_string();
    let mut images = Images::default();
    images.add(&crate::images::built().0.join("native"));
    images.add_tagged("registry.example.com/team/go-words:1.0", &team_image(dir.path(), binary));
    // Operator input chooses by annotation; a native mesh by `runner: fmc`.
    let operator =
        format!("{}---\n{}", go_function("go-annotated", &suffix, "fmc.functionmesh.io/runner: fmc"), cluster(&url));
    let mut objects = build(dir.path(), &operator, &["--runner-images-file", &runner_images]);
    objects.extend(build(dir.path(), &go_mesh(&url, &suffix), &["--runner-images-file", &runner_images]));
    let world = World {
        objects: &objects,
        images: &images,
        secrets: BTreeMap::new(),
        work: dir.path().join("pods"),
        loopback_names: vec![],
    };
    std::fs::create_dir_all(&world.work).unwrap();
    for (workload, name) in [("go-annotated-function", "go-annotated"), ("go-mesh-function", "go-mesh")] {
        let sts = objects.iter().find(|o| o["kind"] == "StatefulSet" && o["metadata"]["name"] == workload).unwrap();
        let main = &sts["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(main["command"][1], "launch-go", "{workload} starts from the runner: {main}");
        assert!(main["image"].as_str().unwrap().contains("@sha256:"), "the runner image by digest: {}", main["image"]);
        let pod = pods::run_statefulset(&world, workload);
        let log = || {
            let out = std::fs::read_to_string(&pod.log).unwrap_or_default();
            out + &std::fs::read_to_string(pod.log.with_extension("stderr")).unwrap_or_default()
        };
        messages_flow(&url, &admin, name, &suffix, log);
        assert!(log().contains("starting the Go function"), "{}", log());
        assert!(log().contains(&format!("instance 0 of public/default/{name}")), "{}", log());
    }
}

/// The main container and init containers `fmc build` renders for `text`'s Go function.
fn rendered(text: &str, options: &fmc::options::BuildOptions) -> (Value, Vec<Value>) {
    let out = fmc::pipeline::compile(&sources_from_text("input.yaml", text), options);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let sts = out.manifests.iter().find(|m| m.kind == "StatefulSet").expect("a StatefulSet").value();
    let spec = &sts["spec"]["template"]["spec"];
    let init = spec["initContainers"].as_array().cloned().unwrap_or_default();
    (spec["containers"][0].clone(), init)
}

fn words(command: &Value) -> Vec<&str> {
    command.as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect()
}

/// The launcher takes the binary from where each way of shipping it leaves it,
/// passes the pin, and starts nothing through a shell; the default stays the
/// operator's Go runner image and `bash` command.
#[test]
fn the_launcher_finds_the_binary_where_each_package_puts_it() {
    let function = |annotations: &str, golang: &str| {
        go_function("go-words", "t", annotations).replace("    go: /pulsar/go-words\n", golang)
            + "---\n"
            + &cluster("pulsar://b:6650")
    };
    let defaults = fmc::options::BuildOptions::default();
    let (main, _) = rendered(&function("", "    go: /pulsar/go-words\n"), &defaults);
    assert_eq!(main["image"], "registry.example.com/team/go-words:1.0", "the team's image, as the operator runs it");
    assert_eq!(main["command"][0], "bash", "operator-exact by default");
    let by_option = fmc::options::BuildOptions { go_runner: fmc::options::RunnerChoice::Fmc, ..defaults.clone() };
    let (main, init) = rendered(&function("", "    go: /pulsar/go-words\n"), &by_option);
    let command = words(&main["command"]);
    assert_eq!(&command[..3], ["/fmc-runner", "launch-go", "--instance-conf"]);
    assert_eq!(&command[4..], ["--binary", "/pulsar/download/go-words", "--work-dir", "/pulsar/download"]);
    assert_eq!(words(&init[0]["command"]), ["cp", "/pulsar/go-words", "/pulsar/download/go-words"]);
    assert_eq!(main["securityContext"]["readOnlyRootFilesystem"], true);
    // A package the package service serves: the operator's downloader fetches it.
    let package = "    go: counter\n    goLocation: function://public/default/counter@1.0.0\n";
    let (main, init) = rendered(&function("", package), &by_option);
    assert_eq!(init[0]["name"], "downloader");
    assert!(words(&main["command"]).contains(&"/pulsar/download/counter"));
    // A pinned https URL: the runner fetches and checks it itself.
    let pin = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let annotations = format!("fmc.functionmesh.io/runner: fmc, fmc.functionmesh.io/code-sha256: {pin}");
    let url = "    go: counter\n    goLocation: https://artifacts.example.com/counter\n";
    let (main, init) = rendered(&function(&annotations, url), &defaults);
    let command = words(&main["command"]);
    assert!(init.is_empty(), "no init container: {init:?}");
    assert_eq!(&command[4..8], ["--url", "https://artifacts.example.com/counter", "--sha256", pin]);
    // With the cluster's CA mounted, the runner trusts it for the URL too.
    let tls = "    pulsarConfig: local-pulsar\n    tlsConfig: {enabled: true, certSecretName: pulsar-ca, certSecretKey: ca.crt}\n";
    let (main, _) =
        rendered(&function(&annotations, url).replacen("    pulsarConfig: local-pulsar\n", tls, 1), &defaults);
    let command = words(&main["command"]);
    let at = command.iter().position(|w| *w == "--tls-trust-certs").expect("the CA is passed");
    let mounted = main["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| command[at + 1].starts_with(m["mountPath"].as_str().unwrap()));
    assert!(mounted, "{} is in a mounted volume: {}", command[at + 1], main["volumeMounts"]);
}

/// The choice applies to Python and Go functions; on a Java function it is refused.
#[test]
fn the_runner_choice_on_a_java_function_is_refused() {
    let java = go_function("java-words", "t", "fmc.functionmesh.io/runner: fmc")
        .replace("  golang:\n    go: /pulsar/go-words\n", "  java:\n    jar: /pulsar/words.jar\n")
        + "---\n"
        + &cluster("pulsar://b:6650");
    let out = fmc::pipeline::compile(&sources_from_text("input.yaml", &java), &fmc::options::BuildOptions::default());
    let r019: Vec<&str> = out.diagnostics.iter().filter(|d| d.code == "R019").map(|d| d.message.as_str()).collect();
    assert_eq!(r019.len(), 1, "{:#?}", out.diagnostics);
    assert!(r019[0].contains("runs Python functions and starts Go functions only"), "{}", r019[0]);
}

/// `fmc dev` runs what fmc's runner runs; a Go function it only starts is
/// named as such and not run (here the only component: nothing to run).
#[test]
fn fmc_dev_names_a_go_function_it_does_not_run() {
    let out = Command::new(fmc_bin())
        .args(["dev", "--go-runner", "fmc"])
        .arg(project_root().join("examples/operator/go-functions.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("function go-exclaim is a Go function (fmc's runner image only starts it); not run"),
        "{stderr}"
    );
    assert!(stderr.contains("no function on fmc's runner to run"), "{stderr}");
}
