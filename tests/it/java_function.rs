//! Rendered Java functions, a source and a sink started as their StatefulSets
//! say (issue 29): the operator resources below go through `fmc build`, and
//! each one's main container command runs — the shell it names, with its environment
//! materialised from the rendered objects and the test's Secret as the
//! kubelet would (`pods::environment`: literal values, `secretKeyRef`,
//! `fieldRef` to the pod name, `envFrom` the cluster ConfigMap) — against the
//! Apache Pulsar standalone, with Pulsar's real Java instance
//! (`JavaInstanceStarter` from Maven Central, `scripts/java-instance.sh`).
//!
//! The command is run on this machine rather than in the runner image, so
//! three things are mapped, and only these:
//! - [`PULSAR_HOME`]: the image's `/pulsar` is a folder of the pod's own
//!   whose libraries come from `.pulsar/java` (the layout
//!   `scripts/java-instance.sh` assembles: the instance libraries under
//!   Pulsar's distribution names, a `java-instance.jar` launcher written here
//!   because Maven Central does not serve `pulsar-functions-runtime-all`, and
//!   the tests' functions because `pulsar-functions-api-examples` is not
//!   served either);
//! - [`INSTANCE_PORTS`]: the instance's gRPC and metrics ports (9093, 9094 in
//!   every pod) become free ports, as each pod has its own network and this
//!   machine has one;
//! - volume mounts: a mounted volume's path in the command is the folder the
//!   pod harness materialised it in (`pods::volumes`: the rendered
//!   ConfigMaps, the test's Secrets).
//!
//! A container field the harness cannot honour (a volume mount, a probe)
//! fails the test by name.

use crate::native_runtime::free_port;
use crate::support::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Mapping 1: the runner image's Pulsar home, on this machine (one per pod:
/// [`pulsar_home`]).
const PULSAR_HOME: (&str, &str) = ("/pulsar/", ".pulsar/java");
/// Mapping 2: the instance's fixed ports, to free ones.
const INSTANCE_PORTS: [&str; 2] = ["--port 9093", "--metrics_port 9094"];

/// The layout, or `None` (skip) outside CI when it or the standalone is missing.
fn bed() -> Option<(PathBuf, String, String)> {
    let layout = project_root().join(PULSAR_HOME.1);
    let ready = layout.join(".version").is_file();
    let urls = standalone_url("FMC_PULSAR_URL").zip(standalone_url("FMC_PULSAR_ADMIN_URL"));
    match (ready, urls) {
        (true, Some((url, admin))) => Some((layout, url, admin)),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "no Java instance layout or standalone (scripts/setup.sh)");
            eprintln!("skipping: bash scripts/java-instance.sh install and bash scripts/pulsar-standalone.sh start");
            None
        }
    }
}

/// A rendered pod's main container running on this machine; killed on drop.
pub(crate) struct Instance {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Instance {
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CONTAINER_FIELDS: &[&str] = &[
    "name",
    "image",
    "command",
    "args",
    "env",
    "envFrom",
    "ports",
    "resources",
    "securityContext",
    "imagePullPolicy",
    "volumeMounts",
];

/// Starts replica 0 of the StatefulSet `name` as its main container says.
fn start(objects: &[Value], secrets: &BTreeMap<String, BTreeMap<String, String>>, name: &str, work: &Path) -> Instance {
    start_mapped(objects, secrets, name, work, &INSTANCE_PORTS)
}

/// [`start`], with `ports` the fixed-port flags the command holds (mapping 2;
/// a Go instance takes its ports inside its JSON configuration and listens on
/// none here).
pub(crate) fn start_mapped(
    objects: &[Value],
    secrets: &BTreeMap<String, BTreeMap<String, String>>,
    name: &str,
    work: &Path,
    ports: &[&str],
) -> Instance {
    let sts = objects
        .iter()
        .find(|o| o["kind"] == "StatefulSet" && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no StatefulSet {name}"));
    let container = main_container(sts);
    for field in container.as_object().expect("container").keys() {
        assert!(CONTAINER_FIELDS.contains(&field.as_str()), "the harness does not honour the container's `{field}`");
    }
    let pod = format!("{name}-0");
    let images = crate::pods::Images::default();
    let world = crate::pods::World {
        objects,
        images: &images,
        secrets: secrets.clone(),
        work: work.to_path_buf(),
        loopback_names: vec![],
    };
    let env = crate::pods::environment(&world, container, &pod, &Value::Null);
    let words: Vec<String> =
        container["command"].as_array().expect("command").iter().map(|w| w.as_str().unwrap().to_string()).collect();
    assert!(container["args"].is_null(), "the Java runner's command carries everything");
    let (shell, script) = match words.as_slice() {
        [shell, flag, script] if flag == "-c" => (shell.clone(), script.clone()),
        other => panic!("not a shell command: {other:?}"),
    };
    let dir = work.join(&pod);
    let home = pulsar_home(&dir.join("pulsar"));
    let mut script = script.replace(PULSAR_HOME.0, &format!("{}/", home.display()));
    // Mapping 3: each volume mount's path is its volume's folder here.
    let volumes = crate::pods::volumes(&world, &sts["spec"]["template"]["spec"], &pod);
    for mount in container["volumeMounts"].as_array().into_iter().flatten() {
        let path = mount["mountPath"].as_str().unwrap();
        let folder = &volumes[mount["name"].as_str().unwrap()];
        assert!(mount.get("subPath").is_none(), "the harness does not honour subPath: {mount}");
        script = script.replace(path, &folder.display().to_string());
    }
    for flag in ports {
        assert!(script.contains(flag), "the command has `{flag}`");
        let (name, _) = flag.split_once(' ').unwrap();
        script = script.replace(flag, &format!("{name} {}", free_port()));
    }
    let log = dir.join("container.log");
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(&shell)
        .arg("-c")
        .arg(&script)
        .env_clear()
        .envs(env.iter().map(|kv| kv.split_once('=').unwrap()))
        .current_dir(&dir)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    Instance { name: name.to_string(), child, log }
}

/// The pod's own `/pulsar`: the layout's libraries, launcher and functions
/// (symbolic links; read-only in the image too) beside folders of its own for
/// what the command writes (`logs`, `tmp`, `conf`), as each pod has its own.
fn pulsar_home(home: &Path) -> PathBuf {
    let layout = project_root().join(PULSAR_HOME.1);
    std::fs::create_dir_all(home).unwrap();
    for shared in ["lib", "instances", "examples"] {
        std::os::unix::fs::symlink(layout.join(shared), home.join(shared)).unwrap();
    }
    for own in ["logs", "tmp", "conf"] {
        std::fs::create_dir_all(home.join(own)).unwrap();
    }
    home.to_path_buf()
}

/// Sends `inputs` (STRING schema) to `input`, returns what `output` carries
/// (STRING schema) once `n` messages came, through the official Python client
/// (with `auth`: a token, over TLS trusting a CA file).
pub(crate) fn exchange(
    url: &str,
    auth: Option<(&str, &str)>,
    input: &str,
    inputs: &[String],
    output: &str,
    n: usize,
    running: &[&Instance],
) -> Vec<String> {
    exchange_as("string", url, auth, input, inputs, output, n, running)
}

/// [`exchange`] with `schema` `string`, or `bytes` (UTF-8 text with no
/// schema, as a function that declares none reads and writes it).
#[allow(clippy::too_many_arguments, reason = "exchange's arguments, and the schema")]
pub(crate) fn exchange_as(
    schema: &str,
    url: &str,
    auth: Option<(&str, &str)>,
    input: &str,
    inputs: &[String],
    output: &str,
    n: usize,
    running: &[&Instance],
) -> Vec<String> {
    let script = r#"
import json, sys, pulsar
from pulsar.schema import BytesSchema, StringSchema
url, inp, out, n, schema = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[5]), sys.argv[6]
secure = {}
if len(sys.argv) > 7:
    secure = {"authentication": pulsar.AuthenticationToken(sys.argv[7]), "tls_trust_certs_file_path": sys.argv[8]}
typed = schema == "string"
c = pulsar.Client(url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error), **secure)
kind = StringSchema() if typed else BytesSchema()
consumer = c.subscribe(out, "check", schema=kind, initial_position=pulsar.InitialPosition.Earliest)
producer = c.create_producer(inp, schema=kind)
for text in json.loads(sys.argv[4]):
    producer.send(text if typed else text.encode())
got = []
while len(got) < n:
    m = consumer.receive(timeout_millis=90000)
    got.append(m.value() if typed else m.value().decode()); consumer.acknowledge(m)
print("RESULT " + json.dumps(got))
"#;
    let inputs = serde_json::to_string(inputs).unwrap();
    let result = Command::new(project_root().join(".venv/bin/python"))
        .args(["-c", script, url, input, output, &inputs, &n.to_string(), schema])
        .args(auth.iter().flat_map(|(token, ca)| [token, ca]))
        .output()
        .unwrap();
    let logs: Vec<String> = running.iter().map(|i| format!("--- {}:\n{}", i.name, i.log())).collect();
    assert!(result.status.success(), "{}\n{}", String::from_utf8_lossy(&result.stderr), logs.join("\n"));
    let stdout = String::from_utf8_lossy(&result.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).unwrap_or_else(|| panic!("{stdout}"));
    serde_json::from_str(line).unwrap()
}

/// The backlog of `subscription` on `topic`: 0 once every message was acknowledged.
pub(crate) fn backlog(admin: &str, topic: &str, subscription: &str) -> Option<u64> {
    let path = topic.replace("persistent://", "persistent/");
    let out = Command::new("curl").args(["-sf", &format!("{admin}/admin/v2/{path}/stats")]).output().unwrap();
    let stats: Value = serde_json::from_slice(&out.stdout).ok()?;
    stats["subscriptions"][subscription]["msgBacklog"].as_u64()
}

fn resources(url: &str, suffix: &str) -> String {
    format!(
        r#"
apiVersion: compute.functionmesh.io/v1alpha1
kind: Function
metadata:
  name: java-append
  namespace: default
spec:
  className: fmc.test.AppendFunction
  image: streamnative/pulsar-functions-java-runner:4.2.4
  replicas: 1
  processingGuarantee: atleast_once
  subscriptionName: java-append-sub
  input:
    topics: [persistent://public/default/java-in-{suffix}]
    typeClassName: java.lang.String
  output:
    topic: persistent://public/default/java-out-{suffix}
    typeClassName: java.lang.String
  funcConfig:
    suffix: "+config"
  secretsMap:
    pwd:
      path: java-secret
      key: password
  pulsar:
    pulsarConfig: local-pulsar
  java:
    jar: /pulsar/examples/fmc-test-functions.jar
  resources:
    requests: {{cpu: "0.1", memory: 1G}}
    limits: {{memory: 1.1G}}
  clusterName: standalone
  autoAck: true
---
apiVersion: compute.functionmesh.io/v1alpha1
kind: FunctionMesh
metadata:
  name: java-chain
  namespace: default
spec:
  functions:
    - name: exclaim
      className: fmc.test.ExclamationFunction
      image: streamnative/pulsar-functions-java-runner:4.2.4
      replicas: 1
      input:
        topics: [persistent://public/default/chain-in-{suffix}]
        typeClassName: java.lang.String
      output:
        topic: persistent://public/default/chain-mid-{suffix}
        typeClassName: java.lang.String
      pulsar:
        pulsarConfig: local-pulsar
      java:
        jar: /pulsar/examples/fmc-test-functions.jar
      resources:
        requests: {{cpu: "0.1", memory: 1G}}
        limits: {{memory: 1.1G}}
      clusterName: standalone
      autoAck: true
    - name: append
      className: fmc.test.AppendFunction
      image: streamnative/pulsar-functions-java-runner:4.2.4
      replicas: 1
      input:
        topics: [persistent://public/default/chain-mid-{suffix}]
        typeClassName: java.lang.String
      output:
        topic: persistent://public/default/chain-out-{suffix}
        typeClassName: java.lang.String
      funcConfig:
        suffix: "?"
      pulsar:
        pulsarConfig: local-pulsar
      java:
        jar: /pulsar/examples/fmc-test-functions.jar
      resources:
        requests: {{cpu: "0.1", memory: 1G}}
        limits: {{memory: 1.1G}}
      clusterName: standalone
      autoAck: true
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-pulsar
  namespace: default
data:
  brokerServiceURL: {url}
  webServiceURL: http://127.0.0.1:8080
"#
    )
}

#[test]
fn rendered_java_functions_and_a_mesh_of_two_run_on_apache_pulsar() {
    let Some((_layout, url, admin)) = bed() else { return };
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("{}-{}", std::process::id(), free_port());
    let input = dir.path().join("functions.yaml");
    std::fs::write(&input, resources(&url, &suffix)).unwrap();
    let out = Command::new(fmc_bin()).arg("build").arg(&input).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let objects = crate::modes::documents(&String::from_utf8_lossy(&out.stdout));
    let secrets =
        BTreeMap::from([("java-secret".to_string(), BTreeMap::from([("password".into(), "s3cr3t-value".into())]))]);

    let append = start(&objects, &secrets, "java-append-function", dir.path());
    let inputs: Vec<String> = (0..20).map(|i| format!("m{i}")).collect();
    let topic = |name: &str| format!("persistent://public/default/{name}-{suffix}");
    let got = exchange(&url, None, &topic("java-in"), &inputs, &topic("java-out"), 20, &[&append]);
    let want: Vec<String> = inputs.iter().map(|m| format!("{m}+config pwd=12")).collect();
    assert_eq!(sorted(got), sorted(want.clone()), "user config and the secret reached the function");
    assert!(!append.log().contains("s3cr3t-value"), "the secret's value is not logged");
    // ATLEAST_ONCE with autoAck: each input is acknowledged once its output is stored.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while backlog(&admin, &topic("java-in"), "java-append-sub") != Some(0) {
        assert!(std::time::Instant::now() < deadline, "inputs not acknowledged:\n{}", append.log());
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    let exclaim = start(&objects, &secrets, "java-chain-exclaim-function", dir.path());
    let chained = start(&objects, &secrets, "java-chain-append-function", dir.path());
    let got = exchange(&url, None, &topic("chain-in"), &inputs, &topic("chain-out"), 20, &[&exclaim, &chained]);
    let want: Vec<String> = inputs.iter().map(|m| format!("{m}!? pwd=none")).collect();
    assert_eq!(sorted(got), sorted(want), "the mesh's two functions, in order");
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn connectors(url: &str, suffix: &str, sink_file: &Path) -> String {
    format!(
        r#"
apiVersion: compute.functionmesh.io/v1alpha1
kind: Source
metadata:
  name: java-sequence
  namespace: default
spec:
  className: fmc.test.SequenceSource
  image: streamnative/pulsar-functions-java-runner:4.2.4
  replicas: 1
  output:
    topic: persistent://public/default/connected-{suffix}
    typeClassName: java.lang.String
  sourceConfig:
    prefix: seq
    count: "25"
  java:
    jar: /pulsar/examples/fmc-test-functions.jar
  resources:
    requests: {{cpu: "0.1", memory: 1G}}
    limits: {{memory: 1.1G}}
  pulsar:
    pulsarConfig: local-pulsar
  clusterName: standalone
---
apiVersion: compute.functionmesh.io/v1alpha1
kind: Sink
metadata:
  name: java-file
  namespace: default
spec:
  className: fmc.test.FileSink
  image: streamnative/pulsar-functions-java-runner:4.2.4
  replicas: 1
  input:
    topics: [persistent://public/default/connected-{suffix}]
    typeClassName: java.lang.String
  subscriptionPosition: earliest
  sinkConfig:
    path: {sink}
  java:
    jar: /pulsar/examples/fmc-test-functions.jar
  resources:
    requests: {{cpu: "0.1", memory: 1G}}
    limits: {{memory: 1.1G}}
  pulsar:
    pulsarConfig: local-pulsar
  clusterName: standalone
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-pulsar
  namespace: default
data:
  brokerServiceURL: {url}
  webServiceURL: http://127.0.0.1:8080
"#,
        sink = sink_file.display()
    )
}

#[test]
fn a_rendered_java_source_and_sink_run_on_apache_pulsar() {
    let Some((_layout, url, _admin)) = bed() else { return };
    let dir = tempfile::tempdir().unwrap();
    let suffix = format!("{}-{}", std::process::id(), free_port());
    let sink_file = dir.path().join("sink.txt");
    let input = dir.path().join("connectors.yaml");
    std::fs::write(&input, connectors(&url, &suffix, &sink_file)).unwrap();
    let out = Command::new(fmc_bin()).arg("build").arg(&input).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let objects = crate::modes::documents(&String::from_utf8_lossy(&out.stdout));
    let sink = start(&objects, &BTreeMap::new(), "java-file-sink", dir.path());
    let source = start(&objects, &BTreeMap::new(), "java-sequence-source", dir.path());
    let want: Vec<String> = (0..25).map(|i| format!("seq-{i}")).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let lines: Vec<String> =
            std::fs::read_to_string(&sink_file).unwrap_or_default().lines().map(str::to_string).collect();
        if sorted(lines.clone()) == sorted(want.clone()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sink wrote {lines:?}\n--- source:\n{}\n--- sink:\n{}",
            source.log(),
            sink.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// Pulsar's own token tool (`TokensCliUtils`, in the broker's jars).
fn pulsar_tokens(args: &[&str]) -> String {
    let out = Command::new("java")
        .arg("-cp")
        .arg(project_root().join(".pulsar/lib/*"))
        .arg("org.apache.pulsar.utils.auth.tokens.TokensCliUtils")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "TokensCliUtils {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A token for `role`, signed with the secret key in `key_file`.
fn token_for(key_file: &Path, role: &str) -> String {
    pulsar_tokens(&["create", "--secret-key", &format!("file://{}", key_file.display()), "--subject", role])
}

/// A standalone of this test's own with TLS on its binary port (a
/// self-signed certificate for 127.0.0.1) and token authentication and
/// authorization (`scripts/pulsar-standalone.sh`'s settings); stopped on drop.
struct SecurePulsar {
    env: Vec<(String, String)>,
    tls_url: String,
    admin: String,
    admin_token: String,
    cert: PathBuf,
    key_file: PathBuf,
}

impl SecurePulsar {
    fn start(dir: &Path) -> SecurePulsar {
        let (cert, tls_key, key_file) = (dir.join("cert.pem"), dir.join("key.pem"), dir.join("token.key"));
        let subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"];
        let out = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .args(subject)
            .arg("-keyout")
            .arg(&tls_key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
        pulsar_tokens(&["create-secret-key", "--output", &key_file.display().to_string()]);
        let admin_token = token_for(&key_file, "admin");
        let (broker, web, bookie, tls) = (free_port(), free_port(), free_port(), free_port());
        let env: Vec<(String, String)> = [
            ("FMC_PULSAR_INSTANCE", format!("java-secure-{}", std::process::id())),
            ("FMC_PULSAR_BROKER_PORT", broker.to_string()),
            ("FMC_PULSAR_WEB_PORT", web.to_string()),
            ("FMC_PULSAR_BOOKIE_PORT", bookie.to_string()),
            ("FMC_PULSAR_HEAP", "256m".to_string()),
            ("FMC_PULSAR_BROKER_TLS_PORT", tls.to_string()),
            ("FMC_PULSAR_TLS_CERT", cert.display().to_string()),
            ("FMC_PULSAR_TLS_KEY", tls_key.display().to_string()),
            ("FMC_PULSAR_TOKEN_SECRET_KEY", key_file.display().to_string()),
            ("FMC_PULSAR_ADMIN_TOKEN", admin_token.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let pulsar = SecurePulsar {
            env,
            tls_url: format!("pulsar+ssl://127.0.0.1:{tls}"),
            admin: format!("http://127.0.0.1:{web}"),
            admin_token,
            cert,
            key_file,
        };
        let out = pulsar.script(&["start"]);
        assert!(out.status.success(), "pulsar-standalone.sh start: {}", String::from_utf8_lossy(&out.stderr));
        pulsar
    }

    /// `scripts/pulsar-standalone.sh ARGS` for this instance.
    fn script(&self, args: &[&str]) -> std::process::Output {
        Command::new("bash")
            .arg(project_root().join("scripts/pulsar-standalone.sh"))
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap()
    }

    fn token(&self, role: &str) -> String {
        token_for(&self.key_file, role)
    }
}

impl Drop for SecurePulsar {
    fn drop(&mut self) {
        self.script(&["stop", "--purge"]);
    }
}

#[test]
/// The TLS and authentication flags of a rendered Java command, for real: a
/// Function whose `pulsar` block names an `authSecret` (plugin and token
/// parameters reach the command as environment variables, quoted by fmc) and
/// a `tlsConfig` (the CA mounted from a Secret) runs against a standalone
/// that requires TLS and a token, with a role granted produce and consume.
fn a_rendered_java_function_with_tls_and_token_auth_runs_on_apache_pulsar() {
    let Some(_) = bed() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pulsar = SecurePulsar::start(dir.path());
    let grant = Command::new("curl")
        .args(["-sf", "-X", "POST", "-H", &format!("Authorization: Bearer {}", pulsar.admin_token)])
        .args(["-H", "Content-Type: application/json", "--data", r#"["produce","consume"]"#])
        .arg(format!("{}/admin/v2/namespaces/public/default/permissions/java-fn", pulsar.admin))
        .status()
        .unwrap();
    assert!(grant.success(), "granting the function's role");
    let function = format!(
        r#"
apiVersion: compute.functionmesh.io/v1alpha1
kind: Function
metadata: {{name: java-secure, namespace: default}}
spec:
  className: fmc.test.ExclamationFunction
  image: streamnative/pulsar-functions-java-runner:4.2.4
  replicas: 1
  input: {{topics: [persistent://public/default/secure-in], typeClassName: java.lang.String}}
  output: {{topic: persistent://public/default/secure-out, typeClassName: java.lang.String}}
  java: {{jar: /pulsar/examples/fmc-test-functions.jar}}
  resources: {{requests: {{cpu: "0.1", memory: 1G}}, limits: {{memory: 1.1G}}}}
  pulsar:
    pulsarConfig: secure-pulsar
    authSecret: java-auth
    tlsConfig: {{enabled: true, allowInsecure: false, hostnameVerification: true, certSecretName: broker-ca, certSecretKey: ca.pem}}
  clusterName: standalone
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: secure-pulsar, namespace: default}}
data: {{brokerServiceURL: "{url}", webServiceURL: "{admin}"}}
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: ClusterProvided
metadata: {{name: cluster}}
spec:
  secrets: [default/java-auth, default/broker-ca]
"#,
        url = pulsar.tls_url,
        admin = pulsar.admin
    );
    let input = dir.path().join("secure.yaml");
    std::fs::write(&input, function).unwrap();
    let out = Command::new(fmc_bin()).arg("build").arg(&input).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let objects = crate::modes::documents(&String::from_utf8_lossy(&out.stdout));
    let fn_token = pulsar.token("java-fn");
    let secrets = BTreeMap::from([
        (
            "java-auth".to_string(),
            BTreeMap::from([
                (
                    "clientAuthenticationPlugin".to_string(),
                    "org.apache.pulsar.client.impl.auth.AuthenticationToken".to_string(),
                ),
                ("clientAuthenticationParameters".to_string(), format!("token:{fn_token}")),
            ]),
        ),
        (
            "broker-ca".to_string(),
            BTreeMap::from([("ca.pem".to_string(), std::fs::read_to_string(&pulsar.cert).unwrap())]),
        ),
    ]);
    let secure = start(&objects, &secrets, "java-secure-function", dir.path());
    let ca = pulsar.cert.display().to_string();
    let (input, output) = ("persistent://public/default/secure-in", "persistent://public/default/secure-out");
    let inputs: Vec<String> = (0..10).map(|i| format!("s{i}")).collect();
    let got = exchange(&pulsar.tls_url, Some((&pulsar.admin_token, &ca)), input, &inputs, output, 10, &[&secure]);
    assert_eq!(sorted(got), sorted((0..10).map(|i| format!("s{i}!")).collect()));
    assert!(!secure.log().contains(&fn_token), "the token never reaches the log");
}
