//! The native runtime end to end, driven by what `fmc build` renders: the pod's
//! command, its environment (the cluster ConfigMap it imports, `POD_NAME`) and
//! its mounted runner ConfigMap are materialised as the kubelet would, then the
//! runner binary runs against a real broker (pulsar-lite, behind the checksum
//! relay) and a Python client checks what comes out.

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) fn venv_tool(rel: &str) -> Option<PathBuf> {
    let lib = project_root().join(".venv/lib");
    let found =
        std::fs::read_dir(&lib).ok()?.flatten().map(|e| e.path().join("site-packages").join(rel)).find(|p| p.exists());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "{rel} not installed (run scripts/setup.sh)");
        eprintln!("skipping: {rel} not installed (run scripts/setup.sh)");
    }
    found
}

/// `target/<profile>/<name>` of the workspace, built if `cargo test` did not build it yet.
pub(crate) fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
    let path = profile_dir.join(name);
    if !path.exists() {
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "fmc-runner", "--bins", "--features", "python"])
            .status()
            .expect("cargo");
        assert!(status.success());
    }
    path
}

/// A free port below the kernel's ephemeral range (32768+), so no port-0 bind
/// or outgoing connection of a parallel test takes it before the broker binds
/// it (runner/tests/support has the same helper for the runner's tests).
pub(crate) fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let start = (std::process::id() % 600) as u16 * 20 + 6_000;
    (0..6_000u16)
        .map(|_| 26_000 + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % 6_000)
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .unwrap_or_else(|| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port())
}

fn wait_port(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "nothing on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// pulsar-lite with its data in `dir`, behind the checksum relay; both ended on drop.
pub(crate) struct LocalBroker {
    pub(crate) port: u16,
    pub(crate) relay_port: u16,
    _processes: [Killed; 2],
}

impl LocalBroker {
    pub(crate) fn start(broker_bin: &Path, dir: &Path) -> LocalBroker {
        let (port, relay_port) = (free_port(), free_port());
        std::fs::write(dir.join("lite.toml"), format!("[metrics]\naddr = \"127.0.0.1:{}\"\n", free_port())).unwrap();
        let broker = Killed(
            Command::new(broker_bin)
                .args(["--config", &dir.join("lite.toml").display().to_string()])
                .args(["--addr", &format!("127.0.0.1:{port}"), "--log-level", "warn"])
                .args(["--db-path", &dir.join("db").display().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_port(port);
        let relay = Killed(
            Command::new(workspace_binary("fmc-pulsar-relay"))
                .args([format!("127.0.0.1:{relay_port}"), format!("127.0.0.1:{port}")])
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        wait_port(relay_port);
        LocalBroker { port, relay_port, _processes: [broker, relay] }
    }
}

fn mesh(relay: u16) -> String {
    format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {{name: native, namespace: streaming}}
spec:
  clusters:
    local: {{brokerServiceUrl: 'pulsar://127.0.0.1:{relay}', webServiceUrl: 'http://127.0.0.1:8080'}}
  schemas:
    Order:
      type: JSON
      definition: {{type: record, name: Order, fields: [{{name: id, type: long}}, {{name: cents, type: long}}]}}
  topics:
    orders: {{schema: Order, external: true}}
    big-orders: {{external: true}}
    rejects: {{external: true}}
  functions:
    big-spenders:
      runtime: native
      jq: 'select(.cents >= $config.minCents) | {{id, euros: (.cents / 100), by: $secrets.DESK}}'
      config: {{minCents: 5000}}
      secrets:
        DESK: {{secret: desk-credentials, key: desk}}
      inputs: [orders]
      output: big-orders
      subscription: {{position: earliest}}
      retries: {{max: 2, deadLetterTopic: rejects}}
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: ClusterProvided
metadata: {{name: cluster}}
spec:
  secrets: [streaming/desk-credentials]
"
    )
}

#[test]
fn a_native_function_runs_as_rendered() {
    let (Some(broker_bin), Some(_)) = (venv_tool("pulsar_lite/bin/pulsar-lite"), venv_tool("pulsar")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let broker = LocalBroker::start(&broker_bin, dir.path());
    let (broker_port, relay_port) = (broker.port, broker.relay_port);

    // What fmc renders.
    let out = build_text(&mesh(relay_port));
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let sts = object(&out, "StatefulSet", "big-spenders-function");
    let runner_cm = object(&out, "ConfigMap", "big-spenders-function-runner");
    let cluster_cm = object(&out, "ConfigMap", "native-cluster-local");
    let pod = &sts["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    // Mount the runner ConfigMap where the container expects it.
    let mount =
        container["volumeMounts"].as_array().unwrap().iter().find(|m| m["name"] == "fmc-runner-config").unwrap();
    let mount_dir = dir.path().join("mnt");
    std::fs::create_dir_all(&mount_dir).unwrap();
    let mut config: serde_json::Value =
        serde_json::from_str(runner_cm["data"]["runner.json"].as_str().unwrap()).unwrap();
    let http_port = free_port();
    config["httpAddr"] = format!("127.0.0.1:{http_port}").into(); // one pod per host in a cluster; tests share one
    std::fs::write(mount_dir.join("runner.json"), config.to_string()).unwrap();
    let command: Vec<String> =
        container["command"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    assert_eq!(command[0], "/fmc-runner");
    let mount_path = mount["mountPath"].as_str().unwrap();
    let args: Vec<String> =
        command[1..].iter().map(|a| a.replace(mount_path, &mount_dir.display().to_string())).collect();
    // The environment: the imported cluster ConfigMap and POD_NAME.
    let mut cmd = Command::new(workspace_binary("fmc-runner"));
    cmd.args(&args).env_clear().env("POD_NAME", "big-spenders-function-0");
    for (k, v) in cluster_cm["data"].as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    assert_eq!(container["envFrom"][0]["configMapRef"]["name"], "native-cluster-local");
    // The secret: a variable Kubernetes fills from the Secret key; the
    // runner's configuration names the variable and holds no value.
    let desk = container["env"].as_array().unwrap().iter().find(|e| e["name"] == "DESK").expect("DESK in env");
    assert_eq!(desk["valueFrom"]["secretKeyRef"], serde_json::json!({"name": "desk-credentials", "key": "desk"}));
    assert_eq!(
        (&config["secrets"], &config["userConfig"]),
        (&serde_json::json!(["DESK"]), &serde_json::json!({"minCents": 5000}))
    );
    cmd.env("DESK", "desk-7");
    let log = std::fs::File::create(dir.path().join("runner.log")).unwrap();
    let _runner = Killed(cmd.stdout(Stdio::null()).stderr(log).spawn().unwrap());
    let start = Instant::now();
    loop {
        let ready = Command::new("curl").args(["-sf", &format!("http://127.0.0.1:{http_port}/readyz")]).output();
        if ready.is_ok_and(|o| o.status.success()) {
            break;
        }
        let log = std::fs::read_to_string(dir.path().join("runner.log")).unwrap_or_default();
        assert!(start.elapsed() < Duration::from_secs(20), "runner not ready:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Orders in, big spenders out (through the broker directly: the Python client needs no relay).
    let script = format!(
        r#"
import json, pulsar
c = pulsar.Client("pulsar://127.0.0.1:{broker_port}", logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
out = c.subscribe("persistent://public/default/big-orders", "check", initial_position=pulsar.InitialPosition.Earliest)
dead = c.subscribe("persistent://public/default/rejects", "check", initial_position=pulsar.InitialPosition.Earliest)
p = c.create_producer("persistent://public/default/orders", batching_enabled=False)
# Payloads that break the declared Order schema: dead-lettered by the runner, never run.
bad = [b'{{"id": 7000, "cents": "lots"}}', b"not json", b'{{"cents": 9000}}']
for i in range(1000):
    p.send(json.dumps({{"id": i, "cents": i * 10}}).encode())
    if i % 300 == 150:
        p.send(bad[i // 300])
got, desks = {{}}, set()
while len(got) < 500:
    m = out.receive(timeout_millis=20000)
    d = json.loads(m.data()); got[d["id"]] = d["euros"]; desks.add(d["by"]); out.acknowledge(m)
assert sorted(got) == list(range(500, 1000)), sorted(got)[:5]
assert all(got[i] == i * 10 / 100 for i in got)
assert all(d == "desk-7" for d in desks), desks
letters = set()
while len(letters) < 3:
    m = dead.receive(timeout_millis=20000)
    letters.add(m.data()); dead.acknowledge(m)
    assert m.properties()["REAL_TOPIC"] == "persistent://public/default/orders", m.properties()
assert letters == set(bad), letters
print("ok", len(got))
"#
    );
    let python = project_root().join(".venv/bin/python");
    let result = Command::new(python).arg("-c").arg(script).output().unwrap();
    let log = std::fs::read_to_string(dir.path().join("runner.log")).unwrap_or_default();
    assert!(
        result.status.success(),
        "{}\n{}\nrunner log:\n{log}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    // The client's own logger may add lines (e.g. a disconnect at exit).
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(stdout.lines().any(|l| l == "ok 500"), "{stdout}");
    let metrics =
        Command::new("curl").args(["-sf", &format!("http://127.0.0.1:{http_port}/metrics")]).output().unwrap();
    let metrics = String::from_utf8_lossy(&metrics.stdout);
    let counter = |name: &str| {
        metrics.lines().find(|l| l.starts_with(name)).and_then(|l| l.rsplit(' ').next()).unwrap_or("?").to_string()
    };
    assert_eq!(counter("fmc_runner_schema_rejected_total{"), "3", "{metrics}");
    assert_eq!(counter("pulsar_function_user_exceptions_total{"), "0", "the function never saw them\n{metrics}");
}

/// `fmc dev`: a two-function native mesh runs locally against a pulsar-lite it
/// finds where pip installed it; messages flow end to end and the live lines
/// count them.
#[test]
fn fmc_dev_runs_a_native_mesh_against_a_local_pulsar_lite() {
    dev_runs_the_mesh(None);
}

/// The same mesh with `fmc dev --broker` on Apache Pulsar (the standalone of
/// `scripts/pulsar-standalone.sh`).
#[test]
fn fmc_dev_runs_the_mesh_against_apache_pulsar() {
    if crate::broker_schemas::admin_address().is_none() {
        return;
    }
    dev_runs_the_mesh(Some(crate::provision_applied::broker_url()));
}

/// `fmc dev` on a mesh of every runner function kind, against `broker` or,
/// without one, the pulsar-lite it finds on PATH.
fn dev_runs_the_mesh(broker: Option<String>) {
    use std::io::BufRead;
    let (Some(broker_bin), Some(_)) = (venv_tool("pulsar_lite/bin/pulsar-lite"), venv_tool("pulsar")) else { return };
    let runner_dir = workspace_binary("fmc-runner").parent().unwrap().to_path_buf();
    let dir = tempfile::tempdir().unwrap();
    let mesh = dir.path().join("mesh.yaml");
    std::fs::write(
        &mesh,
        "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: dev, namespace: streaming}
spec:
  clusters:
    prod: {brokerServiceUrl: 'pulsar://pulsar.prod.svc:6650', webServiceUrl: 'http://pulsar.prod.svc:8080'}
  schemas:
    Reading:
      type: AVRO
      definition: {type: record, name: Reading, fields: [{name: id, type: long}, {name: v, type: string}]}
    Line: {type: STRING}
  topics:
    raw: {external: true}
    mid: {}
    out: {external: true}
    shouted: {external: true}
    exclaimed: {external: true}
    readings: {schema: Reading, external: true}
    lines: {schema: Line, external: true}
  functions:
    typed:
      runtime: native
      jq: '(.id | tostring) + \":\" + .v'
      inputs: [readings]
      output: lines
      subscription: {position: earliest}
    upper:
      runtime: native
      jq: '{id, v: (.v | ascii_upcase)}'
      inputs: [raw]
      output: mid
      subscription: {position: earliest}
    count:
      runtime: native
      jq: '{id, n: (.v | length)}'
      inputs: [mid]
      output: out
      subscription: {position: earliest}
    shout:
      runtime: native
      file: /functions/upper.wasm
      inputs: [raw]
      output: shouted
      subscription: {position: earliest}
    exclaim:
      runtime: python
      runner: fmc
      file: exclaim.py
      className: exclaim.Exclaim
      inputs: [raw]
      output: exclaimed
      subscription: {position: earliest}
",
    )
    .unwrap();
    // A Python function on fmc's runner: its code beside the mesh (in the pod,
    // copied out of an image), run by the runner's Python engine.
    std::fs::write(
        dir.path().join("exclaim.py"),
        "from pulsar import Function\n\nclass Exclaim(Function):\n    def process(self, input, context):\n        return input + '!'\n",
    )
    .unwrap();
    // The module lives in the image; --module gives this machine's file.
    let module = project_root().join("engine/tests/fixtures/upper.wat");
    let without = Command::new(env!("CARGO_BIN_EXE_fmc"))
        .arg("dev")
        .arg(&mesh)
        .args(["--broker", "pulsar://127.0.0.1:1"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&without.stderr);
    assert_eq!(without.status.code(), Some(2), "{said}");
    assert!(
        said.contains("`shout`: its module /functions/upper.wasm lives in the image") && said.contains("--module"),
        "{said}"
    );
    // As after `pip install pulsar-lite` in a venv: its python3 on PATH, no
    // `pulsar-lite` there (the binary stays inside the package); fmc dev finds it.
    assert!(broker_bin.is_file());
    let venv_bin = project_root().join(".venv/bin");
    assert!(!venv_bin.join("pulsar-lite").exists(), "pip put no pulsar-lite on PATH");
    let path = format!("{}:{}", venv_bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut fmc = Killed(
        Command::new(env!("CARGO_BIN_EXE_fmc"))
            .arg("dev")
            .arg(&mesh)
            .args(["--duration", "15", "--runner-dir", &runner_dir.display().to_string()])
            .arg("--module")
            .arg(format!("shout={}", module.display()))
            .arg("--work-dir")
            .arg(dir.path().join("work"))
            .args(broker.iter().flat_map(|url| ["--broker", url.as_str()]))
            .env("PATH", path)
            .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = std::io::BufReader::new(fmc.0.stderr.take().unwrap()).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("fmc dev: broker ").map(|r| r.split(';').next().unwrap().to_string()))
        .expect("fmc dev names its broker");
    let ready = |name: &str| {
        // Runners bind port 0 and log the address.
        let log = std::fs::read_to_string(dir.path().join(format!("work/{name}.log"))).unwrap_or_default();
        let line = log.lines().find(|l| l.contains("\"msg\":\"listening\""))?;
        let http = serde_json::from_str::<serde_json::Value>(line).ok()?["addr"].as_str()?.to_string();
        Command::new("curl")
            .args(["-sf", &format!("http://{http}/readyz")])
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let start = Instant::now();
    let names = ["upper-function", "count-function", "shout-function", "typed-function", "exclaim-function"];
    while names.iter().any(|n| ready(n).is_none()) {
        if start.elapsed() > Duration::from_secs(20) {
            let log = |n: &&str| std::fs::read_to_string(dir.path().join(format!("work/{n}.log"))).unwrap_or_default();
            let waiting: Vec<String> =
                names.iter().filter(|n| ready(n).is_none()).map(|n| format!("{n}:\n{}", log(n))).collect();
            panic!("runners not ready:\n{}", waiting.join("\n"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let script = format!(
        r#"
import json, pulsar
c = pulsar.Client("{url}", logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
out = c.subscribe("persistent://public/default/out", "check", initial_position=pulsar.InitialPosition.Earliest)
p = c.create_producer("persistent://public/default/raw", batching_enabled=False)
for i in range(1000):
    p.send(json.dumps({{"id": i, "v": "x" * (i % 7)}}).encode())
# A message `upper` cannot process (ascii_upcase of a number): its errors show on the status line.
p.send(json.dumps({{"id": 5000, "v": 5}}).encode())
got = {{}}
while len(got) < 1000:
    m = out.receive(timeout_millis=20000)
    d = json.loads(m.data()); got[d["id"]] = d["n"]; out.acknowledge(m)
assert all(got[i] == i % 7 for i in range(1000))
# `exclaim` is Python: every message comes out with its "!".
exclaimed = c.subscribe("persistent://public/default/exclaimed", "check", initial_position=pulsar.InitialPosition.Earliest)
loud = set()
while len(loud) < 1001:
    m = exclaimed.receive(timeout_millis=20000); loud.add(m.data()); exclaimed.acknowledge(m)
assert all(x.endswith(b"}}!") for x in loud), loud
# `typed` reads AVRO and writes STRING: Avro binary in, the jq string's text out.
def zigzag(n):
    n, out = (n << 1) ^ (n >> 63), b""
    while n > 0x7f:
        out += bytes([(n & 0x7f) | 0x80]); n >>= 7
    return out + bytes([n])
lines = c.subscribe("persistent://public/default/lines", "check", initial_position=pulsar.InitialPosition.Earliest)
avro = c.create_producer("persistent://public/default/readings", batching_enabled=False)
for i in range(100):
    v = "r" * (i % 5)
    avro.send(zigzag(i) + zigzag(len(v)) + v.encode())
seen = set()
while len(seen) < 100:
    m = lines.receive(timeout_millis=20000); seen.add(m.data()); lines.acknowledge(m)
assert seen == {{f"{{i}}:{{'r' * (i % 5)}}".encode() for i in range(100)}}, seen
print("ok")
"#
    );
    let result = Command::new(project_root().join(".venv/bin/python")).arg("-c").arg(script).output().unwrap();
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let status = fmc.0.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let said: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(!said.iter().any(|l| l.contains("No such process")), "nothing about processes already gone: {said:?}");
    let stdout = std::fs::read_to_string(dir.path().join("stdout")).unwrap();
    assert_eq!(stdout.lines().next(), Some(format!("broker {url}").as_str()), "the broker's URL comes first on stdout");
    let last = |name: &str| stdout.lines().rev().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{stdout}"));
    let count = last("count-function");
    assert!(count.contains("ready") && count.ends_with("(total in 1000, errors 0, dead-lettered 0)"), "{count}");
    // The failing message is redelivered (no dead-letter topic): errors count, and the line shows the last one.
    let upper = last("upper-function");
    assert!(upper.contains("ready") && !upper.contains(", errors 0,"), "{upper}");
    assert!(upper.contains("last error: ") && upper.contains("jq"), "{upper}");
}

/// What the runner is told about where its module comes from and how it
/// reaches the cluster: a pinned `https` package, a module from a ConfigMap
/// (mounted where the configuration points), the cluster's CA (TLS) and OAuth2
/// key file (both mounted from Secrets, never inlined).
#[test]
fn native_packages_tls_and_oauth2_reach_the_runner_configuration() {
    let mesh = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: secure, namespace: streaming}
spec:
  clusters:
    prod:
      brokerServiceUrl: pulsar+ssl://pulsar.prod.svc:6651
      webServiceUrl: https://pulsar.prod.svc:8443
      tls: {caCert: {secret: pulsar-ca, key: ca.crt}, hostnameVerification: true}
      auth:
        oauth2: {issuerUrl: 'https://auth.example.com', audience: 'urn:pulsar', privateKey: {secret: fn-key, key: key.json}}
  topics:
    raw: {external: true}
    mid: {}
    out: {external: true}
  functions:
    fetched:
      runtime: native
      package: https://artifacts.example.com/fns/normalise-1.2.0.wasm
      sha256: 6f1c0e3b7f9e2a4d5c8b1a0f3e2d4c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d
      timeoutMs: 30000
      inputs: [raw]
      output: mid
    mounted:
      runtime: native
      package: configmap://enrich-module/enrich.wasm
      sha256: 0f1c0e3b7f9e2a4d5c8b1a0f3e2d4c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d
      processingGuarantee: manual
      inputs: [mid]
      output: out
";
    let out = build_text(mesh);
    // Only warnings: the Secrets live in the cluster, not in this input.
    assert!(!out.diagnostics.iter().any(|d| d.is_error()), "{:#?}", out.diagnostics);
    let runner_config = |name: &str| -> serde_json::Value {
        let cm = object(&out, "ConfigMap", &format!("{name}-function-runner"));
        serde_json::from_str(cm["data"]["runner.json"].as_str().unwrap()).unwrap()
    };
    let fetched = runner_config("fetched");
    assert_eq!(fetched["function"]["wasm"]["url"], "https://artifacts.example.com/fns/normalise-1.2.0.wasm");
    assert_eq!(fetched["tlsTrustCertsFile"], "/etc/tls/pulsar-functions/ca.crt");
    assert_eq!(fetched["tlsHostnameVerification"], true);
    assert_eq!(fetched["oauth2"]["issuerUrl"], "https://auth.example.com");
    assert_eq!(fetched["oauth2"]["audience"], "urn:pulsar");
    assert_eq!(fetched["oauth2"]["privateKey"], "/etc/oauth2/key.json");
    assert_eq!(fetched["ackTimeoutMs"], 30000);

    let mounted = runner_config("mounted");
    assert_eq!(mounted["function"]["wasm"]["path"], "/etc/fmc/package/enrich.wasm");
    assert_eq!(mounted["processingGuarantee"], "manual", "a module acknowledges inputs itself");
    let pod = &object(&out, "StatefulSet", "mounted-function")["spec"]["template"]["spec"];
    let volume =
        pod["volumes"].as_array().unwrap().iter().find(|v| v["name"] == "fmc-package").expect("package volume");
    assert_eq!(volume["configMap"]["name"], "enrich-module");
    assert_eq!(volume["configMap"]["items"][0]["key"], "enrich.wasm");
    let mounts = pod["containers"][0]["volumeMounts"].as_array().unwrap();
    let mount_of = |path: &str| mounts.iter().find(|m| m["mountPath"] == path).map(|m| m["name"].clone());
    assert!(mount_of("/etc/fmc/package").is_some(), "{mounts:?}");
    assert!(mount_of("/etc/tls/pulsar-functions").is_some(), "the CA is mounted where the runner reads it: {mounts:?}");
    assert!(mount_of("/etc/oauth2").is_some(), "the OAuth2 key is mounted: {mounts:?}");

    // An unpinned URL, and two module sources, are refused.
    let unpinned = mesh.replace("      sha256: 6f1c0e3b7f9e2a4d5c8b1a0f3e2d4c6b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d\n", "");
    let out = build_text(&unpinned);
    let r013: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "R013").collect();
    assert!(r013.iter().any(|d| d.message.contains("sha256")), "{:#?}", out.diagnostics);
    let both = mesh.replace("      package: configmap://", "      jq: '.'\n      package: configmap://");
    let out = build_text(&both);
    assert!(out.diagnostics.iter().any(|d| d.code == "R013"), "{:#?}", out.diagnostics);
}

/// `route:` makes each route topic an output of the function in the stream
/// graph (typed as the input it forwards) and names them in the runner's
/// configuration; native-only fields on another runtime are refused.
#[test]
fn a_native_route_is_an_output_per_topic_and_native_fields_elsewhere_are_refused() {
    let mesh = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: routes, namespace: streaming}
spec:
  schemas:
    Order: {type: JSON, definition: {type: record, name: Order, fields: [{name: country, type: string}]}}
  topics:
    orders: {schema: Order, external: true}
    orders-de: {schema: Order, external: true}
    orders-rest: {external: true}
  functions:
    by-country:
      runtime: native
      route:
        jq: 'if .country == \"DE\" then \"de\" else \"rest\" end'
        topics: {de: orders-de, rest: orders-rest}
      inputs: [orders]
";
    let out = build_text(mesh);
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let cm = object(&out, "ConfigMap", "by-country-function-runner");
    let config: serde_json::Value = serde_json::from_str(cm["data"]["runner.json"].as_str().unwrap()).unwrap();
    let route = &config["function"]["route"];
    assert_eq!(route["topics"]["de"], "persistent://public/default/orders-de");
    assert_eq!(route["topics"]["rest"], "persistent://public/default/orders-rest");
    assert!(config.get("output").is_none(), "{config}");
    // Both route topics are written by the function: no "never produced" warning, and
    // a route topic whose schema the input cannot satisfy is a type error.
    let clash = mesh.replace("orders-de: {schema: Order, external: true}", "orders-de: {schema: Clash, external: true}").replace(
        "  topics:\n",
        "    Clash: {type: JSON, definition: {type: record, name: Clash, fields: [{name: n, type: long}]}}\n  topics:\n",
    );
    let out = build_text(&clash);
    assert!(out.diagnostics.iter().any(|d| d.code == "C018" || d.code == "C019"), "{:#?}", out.diagnostics);

    // What a Pulsar Functions instance uses and the runner has nothing for is refused.
    let foreign = mesh.replace(
        "      inputs: [orders]",
        "      inputs: [orders]\n      config: {threshold: 5}\n      logTopic: orders\n      processingGuarantee: manual",
    );
    let out = build_text(&foreign);
    let r013: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "R013").collect();
    assert!(!r013.iter().any(|d| d.message.contains("`config`")), "config reaches $config: {:#?}", out.diagnostics);
    assert!(r013.iter().any(|d| d.message.contains("`logTopic`")), "{:#?}", out.diagnostics);
    assert!(r013.iter().any(|d| d.message.contains("`manual` only for WebAssembly")), "{:#?}", out.diagnostics);

    let java = mesh.replace("runtime: native", "runtime: java\n      file: /fn.jar\n      className: x.Y");
    let out = build_text(&java);
    let r013: Vec<_> = out.diagnostics.iter().filter(|d| d.code == "R013").collect();
    assert!(r013.iter().any(|d| d.message.contains("`route`")), "{:#?}", out.diagnostics);
}

/// Issue 15's guest SDKs: each language's template function is compiled from
/// source with the toolchain `scripts/setup.sh` installs, checked by its own
/// `fmc test` file, then run by fmc-runner, as `fmc build` renders it, against
/// the real broker (config, a secret, a named output and a user error).
#[test]
fn each_sdk_template_builds_from_source_and_runs_in_fmc_test_and_on_the_broker() {
    let (Some(broker_bin), Some(_)) = (venv_tool("pulsar_lite/bin/pulsar-lite"), venv_tool("pulsar")) else { return };
    let dir = tempfile::tempdir().unwrap();
    let broker = LocalBroker::start(&broker_bin, dir.path());
    let (broker_port, relay_port) = (broker.port, broker.relay_port);
    for lang in ["rust", "assemblyscript"] {
        let sdk = project_root().join("sdk").join(lang);
        let module = dir.path().join(format!("{lang}.wasm"));
        let built = Command::new("bash")
            .arg(sdk.join("build.sh"))
            .arg(sdk.join(template_entry(lang)))
            .arg(&module)
            .output()
            .unwrap();
        assert!(built.status.success(), "{lang}: {}", String::from_utf8_lossy(&built.stderr));
        // The template's own tests, with the module it builds where its test file names it.
        let into_template = Command::new("bash").arg(sdk.join("build.sh")).output().unwrap();
        assert!(into_template.status.success(), "{lang}: {}", String::from_utf8_lossy(&into_template.stderr));
        let tested = Command::new(fmc_bin()).arg("test").arg(sdk.join("template")).output().unwrap();
        let shown = String::from_utf8_lossy(&tested.stdout);
        assert!(tested.status.success() && shown.ends_with("3 passed, 0 failed\n"), "{lang}: {shown}");
        run_template_on_the_broker(lang, &module, dir.path(), relay_port, broker_port);
    }
}

fn template_entry(lang: &str) -> &'static str {
    if lang == "rust" { "template/src/lib.rs" } else { "template/assembly/index.ts" }
}

fn run_template_on_the_broker(lang: &str, module: &Path, dir: &Path, relay_port: u16, broker_port: u16) {
    let mesh = project_root().join("sdk").join(lang).join("template/mesh.yaml");
    let out = build_file(&mesh, &fmc::options::BuildOptions::default());
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let cm = object(&out, "ConfigMap", "shout-function-runner");
    let mut config: serde_json::Value = serde_json::from_str(cm["data"]["runner.json"].as_str().unwrap()).unwrap();
    assert_eq!(config["function"]["wasm"]["topics"]["alerts"], "persistent://public/default/alerts");
    let http_port = free_port();
    config["function"]["wasm"]["path"] = module.display().to_string().into();
    config["serviceUrl"] = format!("pulsar://127.0.0.1:{relay_port}").into();
    config["httpAddr"] = format!("127.0.0.1:{http_port}").into();
    config["subscriptionPosition"] = "earliest".into();
    config.as_object_mut().unwrap().remove("journalDir");
    let path = dir.join(format!("{lang}.json"));
    std::fs::write(&path, config.to_string()).unwrap();
    let log_path = dir.join(format!("{lang}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let _runner = Killed(
        Command::new(workspace_binary("fmc-runner"))
            .arg("--config")
            .arg(&path)
            .env("SIGNER", format!("ci-{lang}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while !Command::new("curl")
        .args(["-sf", &format!("http://127.0.0.1:{http_port}/readyz")])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert!(start.elapsed() < Duration::from_secs(20), "{lang}: runner not ready:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let script = format!(
        r#"
import pulsar
c = pulsar.Client("pulsar://127.0.0.1:{broker_port}", logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
sub = lambda t: c.subscribe("persistent://public/default/" + t, "check-{lang}", initial_position=pulsar.InitialPosition.Latest)
shouted, alerts, rejected = sub("shouted"), sub("alerts"), sub("rejected")
p = c.create_producer("persistent://public/default/words", batching_enabled=False)
for w in [b"hello", b"urgent help", b""]:
    p.send(w)
m = shouted.receive(timeout_millis=20000)
assert (m.data(), m.properties()) == (b"HELLO", {{"signed-by": "ci-{lang}"}}), (m.data(), m.properties())
m = alerts.receive(timeout_millis=20000)
assert m.data() == b"URGENT HELP", m.data()
m = rejected.receive(timeout_millis=20000)
assert m.data() == b"" and m.properties()["REAL_TOPIC"] == "persistent://public/default/words", m.properties()
print("ok")
"#
    );
    let result = Command::new(project_root().join(".venv/bin/python")).arg("-c").arg(script).output().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(result.status.success(), "{lang}: {}\nrunner log:\n{log}", String::from_utf8_lossy(&result.stderr));
}
