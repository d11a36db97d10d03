//! The runner images (issue 27): built by `scripts/images.sh` without a
//! container engine, reproducible, equivalent to the Dockerfile, pushed to a
//! registry and pulled back by digest, and — the point of it all — the pods
//! `fmc build` renders run from them under runc and move messages.

use crate::native_runtime::{Killed, LocalBroker, free_port, venv_tool, workspace_binary};
use crate::pods::{self, Images, World};
use crate::support::project_root;
use fmc::options::BuildOptions;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The static runner test.sh builds (what runner/tests/image.rs runs alone).
fn static_runner() -> PathBuf {
    let path = project_root().join("target/x86_64-unknown-linux-gnu/debug/fmc-runner");
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--locked",
                "--target",
                "x86_64-unknown-linux-gnu",
                "-p",
                "fmc-runner",
                "--bin",
                "fmc-runner",
            ])
            .env("RUSTFLAGS", "-C target-feature=+crt-static")
            .current_dir(project_root())
            .status()
            .unwrap();
        assert!(status.success());
    }
    path
}

/// The runner with its Python engine, as the suite built it.
fn python_runner() -> PathBuf {
    let path = workspace_binary("fmc-runner");
    let ldd = Command::new("ldd").arg(&path).output().unwrap();
    assert!(
        String::from_utf8_lossy(&ldd.stdout).contains("libpython3.11"),
        "{} has no Python engine (the suite builds it with --features fmc-runner/python)",
        path.display()
    );
    path
}

/// `scripts/images.sh` run twice on the suite's binaries: two layouts each.
pub(crate) fn built() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        // Measuring images built elsewhere (BENCHMARKS.md): run the pods from them.
        if let Some(dir) = std::env::var_os("FMC_TEST_IMAGES").map(PathBuf::from) {
            return (dir.clone(), dir);
        }
        let base = project_root().join("target/fmc-test-images");
        let (native, python) = (static_runner(), python_runner());
        let run = |name: &str| {
            let out = base.join(name);
            let status = Command::new("bash")
                .arg(project_root().join("scripts/images.sh"))
                .arg(&out)
                .env("FMC_RUNNER_NATIVE_BINARY", &native)
                .env("FMC_RUNNER_PYTHON_BINARY", &python)
                .status()
                .unwrap();
            assert!(status.success(), "scripts/images.sh");
            out
        };
        (run("a"), run("b"))
    })
}

pub(crate) fn references(dir: &Path) -> BTreeMap<String, String> {
    serde_json::from_slice(&std::fs::read(dir.join("runner-images.json")).unwrap()).unwrap()
}

fn layer_paths(layout: &Path) -> Vec<String> {
    let root = tempfile::tempdir().unwrap();
    fmc_images::unpack(layout, root.path()).unwrap();
    let mut out = Vec::new();
    let mut stack = vec![root.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            out.push(format!("/{}", p.strip_prefix(root.path()).unwrap().display()));
            if p.is_dir() && !p.is_symlink() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_images_build_reproducibly_as_non_root_without_a_shell() {
    let (a, b) = built();
    assert_eq!(references(a), references(b), "two builds, the same digests");
    let refs = references(a);
    assert!(refs["native"].starts_with("fmc/runner:0.1.0@sha256:"), "{refs:?}");
    assert!(refs["fmc-python"].starts_with("fmc/runner-python:0.1.0@sha256:"), "{refs:?}");
    for name in ["native", "python"] {
        let (manifest, config) = fmc_images::read_layout(&a.join(name)).unwrap();
        assert_eq!(config["config"]["User"], "65532:65532", "{name}");
        assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/fmc-runner"]), "{name}");
        let revision =
            String::from_utf8(Command::new("git").args(["rev-parse", "HEAD"]).output().unwrap().stdout).unwrap();
        assert_eq!(manifest["annotations"]["org.opencontainers.image.revision"], revision.trim(), "{name}");
        assert!(manifest["annotations"]["org.opencontainers.image.source"].is_string(), "{name}");
        let paths = layer_paths(&a.join(name));
        assert!(!paths.iter().any(|p| p.ends_with("/sh") || p.ends_with("/bash")), "{name} has a shell");
    }
    assert_eq!(layer_paths(&a.join("native")), ["/etc", "/etc/nsswitch.conf", "/fmc-runner"]);
    let python = layer_paths(&a.join("python"));
    for wanted in ["/usr/lib/python3.11/json/__init__.py", "/usr/lib/python3.11/lib-dynload"] {
        assert!(python.iter().any(|p| p == wanted), "{wanted} in the Python image");
    }
    assert!(!python.iter().any(|p| p.starts_with("/usr/lib/python3.11/test/")), "no test suite");
}

/// runner/Dockerfile stays the path for people with Docker: the same binary
/// build, user, entrypoint, port and files as the layout.
#[test]
fn the_dockerfile_says_what_the_native_image_is() {
    let dockerfile = std::fs::read_to_string(project_root().join("runner/Dockerfile")).unwrap();
    let script = std::fs::read_to_string(project_root().join("scripts/images.sh")).unwrap();
    assert!(dockerfile.contains("--profile runner-image") && script.contains("FMC_IMAGE_PROFILE:-runner-image"));
    for build in
        ["--target x86_64-unknown-linux-gnu", "-p fmc-runner --bin fmc-runner", "-C target-feature=+crt-static"]
    {
        let words = |text: &str| text.replace("\\\n", " ").split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words(&dockerfile).contains(build) && words(&script).contains(build),
            "both build the runner with {build}"
        );
    }
    let (_, config) = fmc_images::read_layout(&built().0.join("native")).unwrap();
    let user = config["config"]["User"].as_str().unwrap();
    assert!(dockerfile.contains(&format!("USER {user}")), "USER {user}");
    assert!(dockerfile.contains(r#"ENTRYPOINT ["/fmc-runner"]"#));
    assert!(config["config"]["ExposedPorts"]["9094/tcp"].is_object() && dockerfile.contains("EXPOSE 9094"));
    let nsswitch = std::fs::read_to_string(project_root().join("runner/image/nsswitch.conf")).unwrap();
    let root = tempfile::tempdir().unwrap();
    fmc_images::unpack(&built().0.join("native"), root.path()).unwrap();
    assert_eq!(std::fs::read_to_string(root.path().join("etc/nsswitch.conf")).unwrap(), nsswitch);
    assert!(dockerfile.contains("COPY runner/image/nsswitch.conf /etc/nsswitch.conf"));
}

/// Pushed the way users push (skopeo to a registry), pulled back: the same digest.
#[test]
fn the_images_push_to_a_registry_and_pull_back_by_digest() {
    let (Ok(_), Ok(_)) = (which("skopeo"), which("docker-registry")) else {
        assert!(std::env::var_os("CI").is_none(), "CI installs skopeo and docker-registry (scripts/setup.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = format!(
        "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\nlog:\n  level: error\n",
        dir.path().join("data").display()
    );
    std::fs::write(dir.path().join("config.yml"), config).unwrap();
    let _registry = Killed(
        Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(port);
    let refs = references(&built().0);
    for (name, key) in [("native", "native"), ("python", "fmc-python")] {
        let digest = refs[key].split_once('@').unwrap().1.to_string();
        let repo = refs[key].split_once(':').unwrap().0;
        let remote = format!("docker://127.0.0.1:{port}/{repo}:0.1.0");
        let layout = format!("oci:{}:0.1.0", built().0.join(name).display());
        skopeo(&["copy", "--dest-tls-verify=false", "--preserve-digests", &layout, &remote]);
        let inspected: Value = serde_json::from_slice(&skopeo(&["inspect", "--tls-verify=false", &remote])).unwrap();
        assert_eq!(inspected["Digest"], digest, "{name}: the registry has it by the layout's digest");
        let back = dir.path().join(format!("back-{name}"));
        let pulled = format!("oci:{}:0.1.0", back.display());
        let by_digest = format!("docker://127.0.0.1:{port}/{repo}@{digest}");
        skopeo(&["copy", "--src-tls-verify=false", "--preserve-digests", &by_digest, &pulled]);
        let index: Value = serde_json::from_slice(&std::fs::read(back.join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"][0]["digest"], digest, "{name}: pulled back, the same digest");
    }
}

fn which(tool: &str) -> Result<(), ()> {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| ())
        .ok_or(())
}

fn skopeo(args: &[&str]) -> Vec<u8> {
    let out = Command::new("skopeo").args(args).output().unwrap();
    assert!(out.status.success(), "skopeo {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn wait_port(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The image an init container copies a Python function's code out of: the
/// team's image, here busybox's `cp` and the function.
fn code_image(dir: &Path) -> PathBuf {
    pods::team_image(&dir.join("code-image"), "1", |image| {
        image.add_bytes("/code/exclaim.py", EXCLAIM.as_bytes().to_vec(), 0o644);
    })
}

/// A Python function that needs the standard library an image must carry.
const EXCLAIM: &str = r#"
import base64, collections, dataclasses, datetime, decimal, hashlib, json, logging, re, ssl, struct, typing, uuid, zlib
from pulsar import Function


class Exclaim(Function):
    def process(self, input, context):
        digest = hashlib.sha256(input.encode()).hexdigest()[:8]
        return json.dumps({"word": input + "!", "sha": digest, "token": len(context.get_secret("SHOP_TOKEN"))})
"#;

fn mesh(relay: u16, code: &str) -> String {
    format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {{name: pods, namespace: streaming}}
spec:
  clusters:
    local: {{brokerServiceUrl: 'pulsar://127.0.0.1:{relay}', webServiceUrl: 'http://127.0.0.1:8080'}}
  topics:
    orders: {{external: true}}
    big-orders: {{external: true}}
    words: {{external: true}}
    exclaimed: {{external: true}}
  functions:
    big-spenders:
      runtime: native
      jq: 'select(.cents >= $config.minCents) | {{id, by: $secrets.DESK}}'
      config: {{minCents: 5000}}
      secrets:
        DESK: {{secret: desk-credentials, key: desk}}
      inputs: [orders]
      output: big-orders
      subscription: {{position: earliest}}
    exclaim:
      runtime: python
      runner: fmc
      image: {code}
      file: /code/exclaim.py
      className: exclaim.Exclaim
      secrets:
        SHOP_TOKEN: {{secret: shop, key: token}}
      inputs: [words]
      output: exclaimed
      subscription: {{position: earliest}}
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: ClusterProvided
metadata: {{name: cluster}}
spec:
  secrets: [streaming/desk-credentials, streaming/shop]
"
    )
}

/// What a pod test runs in: runc (root; CI has both), pulsar-lite on loopback,
/// and the pods of no other test; `None` where runc or the broker is missing.
struct PodBed {
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
    dir: tempfile::TempDir,
    broker: LocalBroker,
}

fn pod_bed() -> Option<PodBed> {
    if !pods::available() {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root with runc (scripts/setup.sh)");
        return None;
    }
    let (Some(broker_bin), Some(_)) = (venv_tool("pulsar_lite/bin/pulsar-lite"), venv_tool("pulsar")) else {
        return None;
    };
    let one_at_a_time = pods::one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let broker = LocalBroker::start(&broker_bin, dir.path());
    Some(PodBed { _one_at_a_time: one_at_a_time, dir, broker })
}

/// `fmc build` output, run as rendered: each pod under runc from the images
/// by digest, against pulsar-lite on loopback; messages in, messages out.
#[test]
fn rendered_native_and_python_pods_run_from_the_images_under_runc() {
    let Some(PodBed { _one_at_a_time, dir, broker }) = pod_bed() else { return };
    let mut images = Images::default();
    let code = format!("registry.example.com/shop/functions@{}", images.add(&code_image(dir.path())));
    images.add(&built().0.join("native"));
    images.add(&built().0.join("python"));
    let options = BuildOptions { runner_images: references(&built().0), ..BuildOptions::default() };
    let out = fmc::pipeline::compile(
        &crate::support::sources_from_text("mesh.yaml", &mesh(broker.relay_port, &code)),
        &options,
    );
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let objects: Vec<Value> = out.manifests.iter().map(|m| m.value()).collect();
    let secrets = BTreeMap::from([
        ("desk-credentials".to_string(), BTreeMap::from([("desk".to_string(), "desk-7".to_string())])),
        ("shop".to_string(), BTreeMap::from([("token".to_string(), "s3cret".to_string())])),
    ]);
    let work = dir.path().join("pods");
    std::fs::create_dir_all(&work).unwrap();
    let world = World { objects: &objects, images: &images, secrets, work, loopback_names: Vec::new() };
    // One pod at a time: on the host network they all listen on 9094.
    let native = pods::run_statefulset(&world, "big-spenders-function");
    exchange(
        broker.port,
        "orders",
        &[r#"{"id": 1, "cents": 9000}"#, r#"{"id": 2, "cents": 10}"#, r#"{"id": 3, "cents": 5000}"#],
        "big-orders",
        &[r#"{"by":"desk-7","id":1}"#, r#"{"by":"desk-7","id":3}"#],
        &native,
    );
    eprintln!("images: {} ready {} ms after runc run", native.name, native.ready_after.as_millis());
    drop(native);
    let python = pods::run_statefulset(&world, "exclaim-function");
    eprintln!("images: {} ready {} ms after runc run", python.name, python.ready_after.as_millis());
    exchange(
        broker.port,
        "words",
        &["hello", "pods"],
        "exclaimed",
        &[
            r#"{"word": "hello!", "sha": "2cf24dba", "token": 6}"#,
            r#"{"word": "pods!", "sha": "049c287e", "token": 6}"#,
        ],
        &python,
    );
}

/// Sends `inputs` to one topic and expects `outputs` on another, in order.
fn exchange(broker: u16, input: &str, inputs: &[&str], output: &str, outputs: &[&str], pod: &pods::Pod) {
    let (input, output) =
        (format!("persistent://public/default/{input}"), format!("persistent://public/default/{output}"));
    exchange_on(broker, &input, inputs, &output, outputs, pod);
}

fn exchange_on(broker: u16, input: &str, inputs: &[&str], output: &str, outputs: &[&str], pod: &pods::Pod) {
    let script = format!(
        r#"
import json, sys, pulsar
c = pulsar.Client("pulsar://127.0.0.1:{broker}", logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
out = c.subscribe("{output}", "check", initial_position=pulsar.InitialPosition.Earliest)
p = c.create_producer("{input}", batching_enabled=False)
for text in json.loads(sys.argv[1]):
    p.send(text.encode())
got = []
while len(got) < {n}:
    m = out.receive(timeout_millis=20000)
    got.append(m.data().decode()); out.acknowledge(m)
print("RESULT " + json.dumps(got))
"#,
        n = outputs.len()
    );
    let python = project_root().join(".venv/bin/python");
    let result =
        Command::new(python).arg("-c").arg(script).arg(serde_json::to_string(inputs).unwrap()).output().unwrap();
    let log = std::fs::read_to_string(pod.log.with_extension("stderr")).unwrap_or_default();
    assert!(result.status.success(), "{}\npod log:\n{log}", String::from_utf8_lossy(&result.stderr));
    // The client's console logger writes to stdout too: the result is the marked line.
    let stdout = String::from_utf8_lossy(&result.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).unwrap_or_else(|| panic!("no result: {stdout}"));
    let got: Vec<String> = serde_json::from_str(line).unwrap();
    // JSON compares as values (key order is the writer's), anything else as text.
    let values = |texts: Vec<&str>| {
        texts.into_iter().map(|t| serde_json::from_str::<Value>(t).unwrap_or_else(|_| t.into())).collect::<Vec<_>>()
    };
    assert_eq!(
        values(got.iter().map(String::as_str).collect()),
        values(outputs.to_vec()),
        "{} (pod log:\n{log})",
        pod.name
    );
}

/// The shipped examples' runner functions, from `fmc build` output as it is:
/// native-filters' jq function (its cluster is `pulsar-broker.pulsar.svc:6650`
/// with a token from a Secret: the pod resolves that name to loopback, as the
/// cluster's DNS would to the broker, and the broker listens on 6650), and
/// python-functions' `exclaim` on fmc's runner, its code copied out of the
/// image the resource names — which this test serves under that tag, with an
/// exclamation function of its own at the resource's path. native-filters'
/// `normalise` is a module inside the team's image, which no test has: not run.
#[test]
fn the_examples_runner_functions_run_as_rendered_under_runc() {
    let Some(PodBed { _one_at_a_time, dir, broker }) = pod_bed() else { return };
    if std::net::TcpListener::bind("127.0.0.1:6650").is_err() {
        assert!(std::env::var_os("CI").is_none(), "port 6650 is taken");
        return;
    }
    let _relay = Killed(
        Command::new(workspace_binary("fmc-pulsar-relay"))
            .args(["127.0.0.1:6650".to_string(), format!("127.0.0.1:{}", broker.port)])
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(6650);
    let mut images = Images::default();
    images.add(&built().0.join("native"));
    images.add(&built().0.join("python"));
    let upstream = pods::team_image(&dir.path().join("upstream"), "3.2.2.1", |image| {
        let path = "/pulsar/examples/python-examples/exclamation_function.py";
        image.add_bytes(path, EXCLAMATION.as_bytes().to_vec(), 0o644);
    });
    images.add_tagged("streamnative/pulsar-functions-python-runner:3.2.2.1", &upstream);
    let options = BuildOptions { runner_images: references(&built().0), ..BuildOptions::default() };
    let mut objects: Vec<Value> = Vec::new();
    for example in ["examples/dsl/native-filters/mesh.yaml", "examples/operator/python-functions.yaml"] {
        let out = crate::support::build_file(&project_root().join(example), &options);
        assert!(!out.has_errors(), "{example}: {:#?}", out.diagnostics);
        objects.extend(out.manifests.iter().map(|m| m.value()));
    }
    let token = BTreeMap::from([("token".to_string(), "any-jwt".to_string())]);
    let work = dir.path().join("pods");
    std::fs::create_dir_all(&work).unwrap();
    let world = World {
        objects: &objects,
        images: &images,
        secrets: BTreeMap::from([("shop-pulsar-token".to_string(), token)]),
        work,
        loopback_names: vec!["pulsar-broker.pulsar.svc".into()],
    };
    let pod = pods::run_statefulset(&world, "big-orders-function");
    let orders = [
        r#"{"id": "o-1", "cents": 150000, "country": "de"}"#,
        r#"{"id": "o-2", "cents": 99, "country": "fr"}"#,
        r#"{"id": "o-3", "cents": 100000, "country": "nl"}"#,
    ];
    let big =
        [r#"{"id": "o-1", "euros": 1500.0, "country": "de"}"#, r#"{"id": "o-3", "euros": 1000.0, "country": "nl"}"#];
    exchange_on(
        broker.port,
        "persistent://shop/orders/orders",
        &orders,
        "persistent://shop/orders/big-orders",
        &big,
        &pod,
    );
    drop(pod);
    let pod = pods::run_statefulset(&world, "exclaim-function");
    exchange(broker.port, "words", &["fmc", "runs"], "exclaimed", &["fmc!", "runs!"], &pod);
}

/// The test's own exclamation function, where the upstream image keeps its example.
const EXCLAMATION: &str = "from pulsar import Function


class ExclamationFunction(Function):
    def process(self, input, context):
        return input + '!'
";
