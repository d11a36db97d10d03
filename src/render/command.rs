//! The main container's command: `bash -c "<download> && SHARD_ID=… && <log
//! config> && exec <instance> <args>"`, per runtime (java, python, go, generic).
//!
//! Every user value that reaches the command is either shell-quoted
//! ([`shell::quote`], for JSON and credentials) or kept as a plain word only when
//! it is one ([`shell::word`]); the operator leaves names and paths unquoted.

use super::connection::Connection;
use super::details::{self, dead_letter_topic};
use super::download::{download_args, join};
use super::logconfig;
use super::shell;
use crate::model::common::{Log4jFileType, RuntimeLogConfig};
use crate::model::spec::{LogTopicAgent, ProcessingGuarantee};
use crate::model::{ComponentKind, ComponentSpec};
use crate::options::BuildOptions;
use crate::quantity::Quantity;
use crate::resolve::Component;

pub const JAVA_RUNNER: &str = "streamnative/pulsar-functions-java-runner:2.10.0.0-rc10";
pub use crate::model::PYTHON_RUNNER_IMAGE as PYTHON_RUNNER;
pub const GO_RUNNER: &str = crate::model::GO_RUNNER_IMAGE;
pub const PULSAR_ALL: &str = "streamnative/pulsar-all:2.10.0.0-rc10";
pub const JAVA_LOG_DIR: &str = "/pulsar/conf/java-log/";
pub const PYTHON_LOG_DIR: &str = "/pulsar/conf/python-log/";
pub const PYTHON_LOG_FILE: &str = "/pulsar/conf/python-log/python_instance_logging.ini";
pub use crate::model::DOWNLOAD_DIR;
const SHARD: &str = "SHARD_ID=${POD_NAME##*-} && echo shardId=${SHARD_ID}";

/// The runtime's package: local path and optional download location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub path: String,
    pub location: Option<String>,
}

pub fn package(spec: &ComponentSpec) -> Option<Package> {
    let mk = |path: &str, loc: &Option<String>| Package {
        path: path.to_string(),
        location: loc.clone().filter(|l| !l.is_empty()),
    };
    if let Some(j) = &spec.java {
        return Some(mk(&j.jar, &j.jar_location));
    }
    if let Some(p) = &spec.python {
        return Some(mk(&p.py, &p.py_location));
    }
    if let Some(g) = &spec.golang {
        return Some(mk(&g.go, &g.go_location));
    }
    spec.generic_runtime.as_ref().map(|g| mk(&g.function_file, &g.function_file_location))
}

/// The main container image (`spec.image`, else the runtime's default runner).
pub fn image(comp: &Component, options: &BuildOptions) -> String {
    let spec = &comp.spec;
    if let Some(img) = spec.image.as_ref().filter(|i| !i.is_empty()) {
        return img.clone();
    }
    let runner =
        |key: &str, default: &str| options.runner_images.get(key).cloned().unwrap_or_else(|| default.to_string());
    match comp.kind {
        ComponentKind::Function => {
            if spec.java.as_ref().is_some_and(|j| !j.jar.is_empty()) {
                runner("java", JAVA_RUNNER)
            } else if spec.python.as_ref().is_some_and(|p| !p.py.is_empty()) {
                runner("python", PYTHON_RUNNER)
            } else if spec.golang.as_ref().is_some_and(|g| !g.go.is_empty()) {
                runner("go", GO_RUNNER)
            } else if let Some(g) = &spec.generic_runtime {
                options
                    .runner_images
                    .get(&format!("generic/{}", g.language))
                    .cloned()
                    .unwrap_or_else(|| generic_image(&g.language))
            } else {
                PULSAR_ALL.into()
            }
        }
        ComponentKind::Source | ComponentKind::Sink => {
            let pkg = spec.java.as_ref().and_then(|j| j.jar_location.as_deref()).unwrap_or("");
            if spec.java.as_ref().is_some_and(|j| !j.jar.is_empty()) && crate::model::is_package_url(pkg) {
                runner("java", JAVA_RUNNER)
            } else {
                PULSAR_ALL.into()
            }
        }
    }
}

fn generic_image(language: &str) -> String {
    match language {
        "nodejs" => "streamnative/pulsar-functions-generic-nodejs-runner:0.1.0".into(),
        "python" => "streamnative/pulsar-functions-generic-python-runner:0.1.0".into(),
        "executable" | "wasm" => "streamnative/pulsar-functions-generic-base-runner:0.1.0".into(),
        _ => String::new(),
    }
}

/// Whether the image has pulsarctl (and wget): the operator matches
/// `pulsar-functions-(pulsarctl|sn|generic)-(java|python|go|nodejs|base)-runner`
/// against `spec.image` only, else reads `imageHasPulsarctl` / `imageHasGet`.
pub fn image_tools(spec: &ComponentSpec) -> (bool, bool) {
    let image = spec.image.as_deref().unwrap_or("");
    let matched = ["pulsarctl", "sn", "generic"].iter().any(|a| {
        ["java", "python", "go", "nodejs", "base"]
            .iter()
            .any(|b| image.contains(&format!("pulsar-functions-{a}-{b}-runner")))
    });
    if matched {
        (true, true)
    } else {
        (spec.image_has_pulsarctl.unwrap_or(false), spec.image_has_get.unwrap_or(false))
    }
}

/// The download connection: the package service when set, else the runtime one.
pub fn download_connection(spec: &ComponentSpec) -> Option<Connection<'_>> {
    match (&spec.pulsar_package_service, &spec.pulsar) {
        (Some(p), _) => Some(Connection::package_service(p)),
        (None, Some(p)) => Some(Connection::runtime(p)),
        _ => None,
    }
}

/// In init-container mode the instance reads the package from the download
/// volume: relative paths go under `/pulsar/`, absolute paths outside `/pulsar/`
/// get their first component replaced by `/pulsar/` (the operator's `extractMountPath`).
pub fn init_mode_path(path: &str) -> String {
    if let Some(rest) = path.strip_prefix('/') {
        if path.starts_with("/pulsar/") { path.to_string() } else { format!("/pulsar/{rest}") }
    } else {
        format!("/pulsar/{path}")
    }
}

pub fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `["bash", "-c", …]` (generic runtime: `sh`).
pub fn main_command(comp: &Component, options: &BuildOptions) -> Vec<String> {
    let spec = &comp.spec;
    let pkg = package(spec);
    let init_mode = options.enable_init_containers && spec.generic_runtime.is_none();
    let local =
        pkg.as_ref().map(|p| if init_mode { init_mode_path(&p.path) } else { p.path.clone() }).unwrap_or_default();
    let mut parts: Vec<String> = Vec::new();
    if let (Some(p), false) = (&pkg, init_mode)
        && let (Some(loc), Some(conn)) = (&p.location, download_connection(spec))
    {
        let (pulsarctl, wget) = image_tools(spec);
        parts.push(join(&download_args(loc, &p.path, &conn, pulsarctl, wget)));
        if spec.golang.is_some() {
            parts.push("ls -al".into());
            parts.push("pwd".into());
        }
    }
    parts.push(SHARD.into());
    let shell_name = if spec.generic_runtime.is_some() { "sh" } else { "bash" };
    if spec.java.is_some() && spec.python.is_none() && spec.golang.is_none() {
        parts.extend(java_log_config(spec));
        parts.push(java_instance(comp, &local));
    } else if let Some(py) = &spec.python {
        parts.extend(python_log_config(comp, py.log.as_ref()));
        parts.push(python_instance(comp, &local));
    } else if spec.golang.is_some() {
        parts.extend(go_command(comp, &local));
    } else if let Some(g) = &spec.generic_runtime {
        parts.push(generic_instance(comp, &local, &g.language));
    }
    vec![shell_name.into(), "-c".into(), parts.join(" && ")]
}

fn sidecar(spec: &ComponentSpec) -> bool {
    spec.log_topic_agent == Some(LogTopicAgent::Sidecar)
}

fn java_log_file(spec: &ComponentSpec) -> String {
    let yaml = java_log_type(spec) == Log4jFileType::Yaml;
    format!("{JAVA_LOG_DIR}java_instance_log4j.{}", if yaml { "yaml" } else { "xml" })
}

pub fn java_log_type(spec: &ComponentSpec) -> Log4jFileType {
    spec.java
        .as_ref()
        .and_then(|j| j.log.as_ref())
        .and_then(|l| l.java_log4j_config_file_type)
        .filter(|t| *t == Log4jFileType::Yaml)
        .unwrap_or(Log4jFileType::Xml)
}

fn java_log_config(spec: &ComponentSpec) -> Vec<String> {
    let log = spec.java.as_ref().and_then(|j| j.log.as_ref());
    if log.is_some_and(|l| l.log_config.is_some()) {
        return Vec::new();
    }
    let text = match java_log_type(spec) {
        Log4jFileType::Yaml => logconfig::java_yaml(log, sidecar(spec)),
        _ => logconfig::java_xml(log, sidecar(spec)),
    };
    vec![format!("mkdir -p {JAVA_LOG_DIR}"), format!("echo {} > {}", shell::quote(&text), java_log_file(spec))]
}

/// `-XX:MaxDirectMemorySize` in plain bytes: a fifth of the memory limit. The
/// operator prints a Kubernetes quantity here (`220M`), which the JVM reads as
/// mebibytes; bytes mean the same thing to everyone.
fn max_direct_memory(spec: &ComponentSpec) -> i64 {
    spec.resources
        .as_ref()
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.get("memory"))
        .and_then(|q| Quantity::parse(&q.0))
        .map_or(0, |q| q.ceil_i64() / 5)
}

fn java_instance(comp: &Component, jar: &str) -> String {
    let spec = &comp.spec;
    let java = spec.java.as_ref().expect("invariant: java runtime");
    let instance = java.instance_path.clone().unwrap_or_else(|| "/pulsar/instances/java-instance.jar".into());
    let mut cp = format!(
        "{}:$(echo /pulsar/lib/com.fasterxml.jackson.dataformat-jackson-dataformat-yaml-*.jar):$(echo /pulsar/lib/org.yaml-snakeyaml-*.jar)",
        shell::word(&instance)
    );
    if let Some(dir) = java.extra_dependencies_dir.as_ref().filter(|d| !d.is_empty()) {
        cp.push_str(&format!(":{}/*", shell::word(dir)));
    }
    let mut a: Vec<String> = vec!["exec java -cp".into(), cp];
    a.push("-Dpulsar.functions.instance.classpath=/pulsar/lib/*".into());
    a.push(format!("-Dlog4j.configurationFile={}", java_log_file(spec)));
    a.push("-Dpulsar.function.log.dir=logs/functions".into());
    a.push(format!("-Dpulsar.function.log.file={}-${{SHARD_ID}}", shell::word(comp.pulsar_name())));
    a.push("-Dpulsar.allocator.exit_on_oom=true".into());
    if let Some(level) = java.log.as_ref().and_then(|l| l.level) {
        let l = logconfig::java_level(Some(level));
        a.push(format!("-Dpulsar.log.level={l} -Dbk.log.level={l}"));
    }
    a.push("-XX:MaxRAMPercentage=70".into());
    a.push(format!("-XX:MaxDirectMemorySize={}", max_direct_memory(spec)));
    a.push("-XX:+UseG1GC -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/pulsar/tmp/heapdump-%p.hprof -XX:+ExitOnOutOfMemoryError -Xlog:gc*:file=/pulsar/logs/gc.log:time,level,tags:filecount=5,filesize=10M".into());
    // Each option item may hold several options separated by blanks (the operator
    // splices them in unquoted): split like the shell would, then quote each word.
    a.extend(java.java_opts.iter().flatten().flat_map(|o| o.split_whitespace()).map(shell::word));
    let entry = java.entry_class.as_deref().unwrap_or("org.apache.pulsar.functions.instance.JavaInstanceMain");
    a.push(shell::word(entry));
    a.extend(["--jar".into(), shell::word(jar)]);
    a.extend(shared_args(comp));
    if comp.kind == ComponentKind::Function && (spec.source_config.is_some() || spec.sink_config.is_some()) {
        a.push("--connectors_directory /pulsar/connectors".into());
    }
    if has_secrets(spec) {
        a.push("--secrets_provider org.apache.pulsar.functions.secretsprovider.EnvironmentBasedSecretsProvider".into());
    }
    a.extend(state_args(spec, true));
    if comp.kind == ComponentKind::Function
        && let Some(n) = spec.max_pending_async_requests
    {
        a.push(format!("--pending_async_requests {n}"));
    }
    join(&a)
}

fn has_secrets(spec: &ComponentSpec) -> bool {
    spec.secrets_map.as_ref().is_some_and(|m| !m.is_empty())
}

fn state_args(spec: &ComponentSpec, java: bool) -> Vec<String> {
    let Some(state) = spec.stateful_config.as_ref().and_then(|s| s.pulsar.as_ref()) else { return Vec::new() };
    let mut a = vec![format!("--state_storage_serviceurl {}", shell::word(&state.service_url))];
    if let (true, Some(p)) = (java, &state.java_provider) {
        a.push(format!("--state_storage_impl_class {}", shell::word(&p.class_name)));
    }
    a
}

/// Arguments every Pulsar instance takes (Java, Python, generic).
fn shared_args(comp: &Component) -> Vec<String> {
    let details = details::to_json(&details::function_details(comp.kind, &comp.spec));
    let mut a = vec![
        "--instance_id ${SHARD_ID}".to_string(),
        format!("--function_id ${{SHARD_ID}}-{}", comp.uid),
        "--function_version 0".into(),
        format!("--function_details {}", shell::quote(&details)),
        "--pulsar_serviceurl $brokerServiceURL".into(),
        "--max_buffered_tuples 100 --port 9093 --metrics_port 9094 --expected_healthcheck_interval 0".into(),
        format!("--cluster_name {}", shell::word(comp.spec.cluster_name.as_deref().unwrap_or(""))),
    ];
    if let Some(p) = &comp.spec.pulsar {
        a.extend(super::connection::instance_args(&Connection::runtime(p)));
    } else {
        a.push("--use_tls false".into());
    }
    a
}

fn python_log_config(comp: &Component, log: Option<&RuntimeLogConfig>) -> Vec<String> {
    let mut parts = vec!["sed -i.bak 's/^  Log.setLevel/#&/' /pulsar/instances/python-instance/log.py".to_string()];
    if log.is_some_and(|l| l.log_config.is_some()) {
        return parts;
    }
    let ini = logconfig::python_ini(comp.pulsar_name(), log, sidecar(&comp.spec));
    parts.push(format!("mkdir -p {PYTHON_LOG_DIR} logs/functions"));
    parts.push(format!("echo {} > {PYTHON_LOG_FILE}", shell::quote(&ini)));
    parts
}

fn python_instance(comp: &Component, py: &str) -> String {
    let mut a = vec![
        "exec python /pulsar/instances/python-instance/python_instance_main.py".to_string(),
        format!("--py {}", shell::word(py)),
        "--logging_directory logs/functions".into(),
        format!("--logging_file {}-${{SHARD_ID}}.log", shell::word(comp.pulsar_name())),
        format!("--logging_config_file {PYTHON_LOG_FILE}"),
        "--install_usercode_dependencies true".into(),
    ];
    a.extend(shared_args(comp));
    if has_secrets(&comp.spec) {
        a.push("--secrets_provider secretsprovider.EnvironmentBasedSecretsProvider".into());
    }
    a.extend(state_args(&comp.spec, false));
    join(&a)
}

fn generic_instance(comp: &Component, file: &str, language: &str) -> String {
    let mut a = vec![
        "exec pulsar_rust_instance".to_string(),
        format!("--function_file {}", shell::word(file)),
        format!("--language {}", shell::word(language)),
    ];
    a.extend(shared_args(comp));
    if has_secrets(&comp.spec) {
        match language {
            "python" => a.push("--secrets_provider secrets_provider.EnvironmentBasedSecretsProvider".into()),
            "nodejs" => a.push("--secrets_provider EnvironmentBasedSecretsProvider".into()),
            _ => {}
        }
    }
    a.extend(state_args(&comp.spec, false));
    join(&a)
}

/// The Go instance takes its whole configuration as one JSON argument. The
/// operator splices it in unquoted with `"` escaped, which breaks on spaces; fmc
/// single-quotes it and leaves only `${SHARD_ID}` and `${brokerServiceURL}` to
/// the shell, as the operator's command effectively does.
fn go_command(comp: &Component, binary: &str) -> Vec<String> {
    let conf = go_conf_json(comp).replacen(GO_INSTANCE_PLACEHOLDER, "\"instanceID\":${SHARD_ID}", 1);
    let bin = shell::word(binary);
    vec![
        format!("GO_FUNCTION_CONF={}", shell::quote_expanding(&conf, &["SHARD_ID", "brokerServiceURL"])),
        "goFunctionConfigs=${GO_FUNCTION_CONF}".into(),
        "echo goFunctionConfigs=\"'${goFunctionConfigs}'\"".into(),
        format!("ls -l {bin}"),
        format!("chmod +x {bin}"),
        format!("exec {bin} -instance-conf \"${{goFunctionConfigs}}\""),
    ]
}

const GO_INSTANCE_PLACEHOLDER: &str = "\"instanceID\":0";

/// The Go instance configuration (`GoFunctionConf`, struct field order).
pub fn go_conf_json(comp: &Component) -> String {
    let s = &comp.spec;
    let input = s.input.clone().unwrap_or_default();
    let requests = s.resources.as_ref().and_then(|r| r.requests.as_ref());
    let q = |k: &str| requests.and_then(|r| r.get(k)).and_then(|v| Quantity::parse(&v.0));
    let guarantee = match s.processing_guarantee {
        Some(ProcessingGuarantee::AtmostOnce) => 1,
        Some(ProcessingGuarantee::EffectivelyOnce) => 2,
        Some(ProcessingGuarantee::Manual) => 3,
        _ => 0,
    };
    let source_topic =
        input.topics.as_ref().and_then(|t| t.first().cloned()).or(input.topic_pattern.clone()).unwrap_or_default();
    // Every input with its schema type, as the SDK's `sourceInputSpecs` (the
    // operator passes only the first topic and no schema types).
    let specs = details::input_specs(s);
    let source_schema_type = specs.get(&source_topic).map(|c| c.schema_type.clone()).unwrap_or_default();
    let source_input_specs = specs.iter().map(|(topic, c)| (topic.clone(), details::go_json(c))).collect();
    let output = s.output.clone().unwrap_or_default();
    let sink_schema_type = output.sink_schema_type.clone().unwrap_or_default();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let conf = GoConf {
        pulsar_service_url: "${brokerServiceURL}",
        instance_id: 0,
        func_id: format!("${{SHARD_ID}}-{}", comp.uid),
        func_version: "0",
        max_buf_tuples: 100,
        port: 9093,
        cluster_name: text(&s.cluster_name),
        kill_after_idle_ms: 0,
        tenant: text(&s.tenant),
        name_space: text(&s.namespace),
        name: text(&s.name),
        log_topic: if sidecar(s) { String::new() } else { text(&s.log_topic) },
        processing_guarantees: guarantee,
        secrets_map: "",
        runtime: 3,
        auto_ack: s.auto_ack.unwrap_or(true),
        parallelism: if s.show_precise_parallelism == Some(true) { s.replicas.unwrap_or(1) } else { 1 },
        subscription_type: 0,
        timeout_ms: s.timeout.unwrap_or(0) as u32 as u64,
        subscription_name: text(&s.subscription_name),
        cleanup_subscription: s.cleanup_subscription.unwrap_or(false),
        source_input_specs,
        source_specs_topic: source_topic,
        source_schema_type,
        is_regex_pattern_subscription: input.topic_pattern.as_deref().is_some_and(|p| !p.is_empty()),
        receiver_queue_size: 0,
        sink_specs_topic: output.topic.clone().unwrap_or_default(),
        sink_schema_type,
        cpu: q("cpu").map_or(0, |q| q.ceil_i64()),
        ram: q("memory").map_or(0, |q| q.ceil_i64()),
        disk: q("storage").map_or(0, |q| q.ceil_i64()),
        max_message_retries: s.max_message_retry.unwrap_or(0),
        dead_letter_topic: dead_letter_topic(s),
        expected_health_check_interval: -1,
        user_config: s.func_config.as_ref().map(details::go_json).unwrap_or_default(),
        metrics_port: 9094,
    };
    details::go_json(&conf)
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct GoConf {
    #[serde(rename = "pulsarServiceURL")]
    pulsar_service_url: &'static str,
    #[serde(rename = "instanceID")]
    instance_id: i32,
    #[serde(rename = "funcID")]
    func_id: String,
    func_version: &'static str,
    max_buf_tuples: i32,
    port: i32,
    cluster_name: String,
    kill_after_idle_ms: i64,
    tenant: String,
    name_space: String,
    name: String,
    log_topic: String,
    processing_guarantees: i32,
    secrets_map: &'static str,
    runtime: i32,
    auto_ack: bool,
    parallelism: i32,
    subscription_type: i32,
    timeout_ms: u64,
    subscription_name: String,
    cleanup_subscription: bool,
    /// topic → the JSON of its `ConsumerSpec`: the Go SDK's `sourceInputSpecs`,
    /// every input (SDKs that predate it read `sourceSpecsTopic` only).
    source_input_specs: std::collections::BTreeMap<String, String>,
    source_specs_topic: String,
    source_schema_type: String,
    is_regex_pattern_subscription: bool,
    receiver_queue_size: i32,
    sink_specs_topic: String,
    sink_schema_type: String,
    cpu: i64,
    ram: i64,
    disk: i64,
    max_message_retries: i32,
    dead_letter_topic: String,
    expected_health_check_interval: i32,
    user_config: String,
    metrics_port: i32,
}
