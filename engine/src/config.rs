//! The runner's configuration: one JSON document, rendered by `fmc build` into
//! a ConfigMap and mounted at `/etc/fmc/runner.json` (or given with `--config`).
//!
//! Unknown fields are refused: a misspelt option must not silently fall back
//! to a default in production.

use crate::validate::PayloadSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub tenant: String,
    pub namespace: String,
    pub name: String,
    /// `pulsar://host:6650` (or `pulsar+ssl://`); when absent, the environment's
    /// `brokerServiceURL` (the cluster ConfigMap `fmc build` imports into the pod).
    #[serde(default)]
    pub service_url: String,
    /// Pulsar cluster name, for metric labels.
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// Fully qualified input topics.
    pub inputs: Vec<String>,
    /// Fully qualified output topic; none for a function that only consumes.
    pub output: Option<String>,
    /// Defaults to the function's FQFN, as Pulsar does.
    pub subscription: Option<String>,
    #[serde(default)]
    pub subscription_type: SubscriptionType,
    #[serde(default)]
    pub subscription_position: Position,
    #[serde(default)]
    pub processing_guarantee: Guarantee,
    #[serde(default = "default_queue")]
    pub receiver_queue_size: u32,
    /// Messages processed but not yet acknowledged, at most.
    #[serde(default = "default_in_flight")]
    pub max_in_flight: usize,
    /// Messages already received that are handed to the function in one call, at most.
    #[serde(default = "default_batch")]
    pub max_batch_size: usize,
    /// Batch what the function writes (its output and `publish` topics) as
    /// Pulsar Functions' instances do; each message is written on its own when absent.
    pub output_batching: Option<OutputBatching>,
    /// Deliveries after the first before a message goes to the dead-letter topic.
    pub max_retries: Option<u32>,
    /// Defaults to `<first input>-<subscription>-DLQ` when `maxRetries` is set.
    pub dead_letter_topic: Option<String>,
    /// An input not acknowledged within this many milliseconds is delivered again.
    pub ack_timeout_ms: Option<u64>,
    /// Wait before a failed message is handed back for redelivery, milliseconds.
    #[serde(default = "default_backoff")]
    pub retry_backoff_ms: u64,
    pub function: FunctionConfig,
    /// `host:port` of the HTTP endpoint (`/metrics`, `/healthz`, `/readyz`).
    #[serde(default = "default_http")]
    pub http_addr: String,
    /// A file holding a JWT (mounted from a Secret).
    pub token_file: Option<String>,
    /// OAuth2 client credentials (Pulsar's `AuthenticationOAuth2`).
    pub oauth2: Option<OAuth2Config>,
    /// PEM CA certificates trusted for `pulsar+ssl://` and https downloads.
    pub tls_trust_certs_file: Option<String>,
    /// Accept any broker certificate (Pulsar's `tlsAllowInsecureConnection`).
    #[serde(default)]
    pub tls_allow_insecure_connection: bool,
    /// Check the broker certificate's host name (Pulsar's `tlsHostnameVerificationEnable`).
    #[serde(default = "default_true")]
    pub tls_hostname_verification: bool,
    /// How long SIGTERM waits for in-flight messages, in milliseconds.
    #[serde(default = "default_drain")]
    pub drain_timeout_ms: u64,
    /// Instance number (the StatefulSet ordinal), for metric labels.
    #[serde(default)]
    pub instance_id: u32,
    /// A folder that survives container restarts (an `emptyDir`): the crash
    /// journal lives there, so a message that kills the runner is recognised
    /// after the restart and dead-lettered (see `journal`). Off when absent.
    pub journal_dir: Option<String>,
    /// With `journalDir`: one function call taking longer than this many
    /// milliseconds ends the process (the journal then convicts the message
    /// that caused it). 0 turns the watchdog off.
    #[serde(default = "default_processing")]
    pub max_processing_ms: u64,
    /// The schema each input topic's writers write with (the topic's declared
    /// schema); payloads that do not conform go to the dead-letter topic (see
    /// `validate`), and jq and route programs get the value they carry.
    #[serde(default)]
    pub input_schemas: BTreeMap<String, PayloadSchema>,
    /// Where the function's end of an input topic reads with another Avro
    /// schema than the writers': the value is resolved to it (Avro's rules).
    #[serde(default)]
    pub reader_schemas: BTreeMap<String, PayloadSchema>,
    /// The schema of each topic a jq program writes: its results are encoded
    /// with it.
    #[serde(default)]
    pub output_schemas: BTreeMap<String, PayloadSchema>,
    /// The schema declared to the broker for each topic the runner reads or
    /// writes, as Pulsar's admin API shows it: the broker checks it against
    /// the topic's (and a namespace with `schemaValidationEnforced` refuses
    /// clients that declare none). Topics without an entry are BYTES.
    #[serde(default)]
    pub declared_schemas: BTreeMap<String, DeclaredSchema>,
    /// The function's user config (the mesh's `config`, any JSON value):
    /// `$config` in jq and route programs, `fmc_init` for modules.
    #[serde(default)]
    pub user_config: serde_json::Value,
    /// Environment variables that hold the function's secrets (Kubernetes sets
    /// them from Secret keys); read once at start: `$secrets.NAME`. Only the
    /// names are here, never a value (see `function::context`).
    #[serde(default)]
    pub secrets: Vec<String>,
}

/// A schema as Pulsar's admin API takes and returns it (`SchemaInfo`): its
/// type name (`AVRO`, `STRING`, `KEY_VALUE`, …), its definition (the Avro or
/// JSON definition, the PROTOBUF_NATIVE descriptor document, a KEY_VALUE's
/// `{"key": …, "value": …}`; empty for a primitive) and properties.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeclaredSchema {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub schema: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// Producer batching: a batch is sent when it holds `maxMessages` messages or
/// `maxBytes` bytes, or `maxDelayMs` after its first message (the upstream
/// instances' defaults: 1000 messages, 128 KiB, 10 ms).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OutputBatching {
    #[serde(default = "default_batch_messages")]
    pub max_messages: u32,
    #[serde(default = "default_batch_bytes")]
    pub max_bytes: usize,
    #[serde(default = "default_batch_delay")]
    pub max_delay_ms: u64,
}

impl OutputBatching {
    /// A batch is held in memory and sent as one entry: the broker refuses an
    /// entry over its `maxMessageSize` (5 MB by default), and the producer
    /// reserves room for `maxMessages` up front.
    fn validate(&self) -> Result<(), String> {
        let fits = (1..=MAX_BATCH_MESSAGES).contains(&self.max_messages)
            && (1..=MAX_BATCH_BYTES).contains(&self.max_bytes)
            && (1..=MAX_BATCH_DELAY_MS).contains(&self.max_delay_ms);
        if fits {
            return Ok(());
        }
        Err(format!(
            "`outputBatching` takes `maxMessages` 1-{MAX_BATCH_MESSAGES}, `maxBytes` 1-{MAX_BATCH_BYTES} and `maxDelayMs` 1-{MAX_BATCH_DELAY_MS}"
        ))
    }
}

const MAX_BATCH_MESSAGES: u32 = 100_000;
const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;
const MAX_BATCH_DELAY_MS: u64 = 60_000;

fn default_batch_messages() -> u32 {
    1000
}
fn default_batch_bytes() -> usize {
    128 * 1024
}
fn default_batch_delay() -> u64 {
    10
}

/// Pulsar's OAuth2 client-credentials flow: the token endpoint comes from the
/// issuer's `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuth2Config {
    pub issuer_url: String,
    /// A JSON key file `{"client_id": …, "client_secret": …}` mounted from a Secret.
    pub private_key: String,
    pub audience: Option<String>,
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionType {
    #[default]
    Shared,
    Failover,
    KeyShared,
    Exclusive,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    #[default]
    Latest,
    Earliest,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guarantee {
    #[default]
    AtleastOnce,
    AtmostOnce,
    EffectivelyOnce,
    Manual,
}

/// The user function. Field names are camelCase like everywhere else in the
/// configuration (`maxMemory`); `max_memory`, which earlier runners required,
/// is still accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum FunctionConfig {
    /// Passes every message through unchanged.
    Identity {},
    /// A jq program over JSON payloads: each result is one output message, no
    /// result filters the message out.
    Jq {
        program: String,
        /// Address space of the evaluator child, bytes (`isolation: process`);
        /// by default ¾ of the container's memory limit, at most 256 MiB
        /// (`function::isolated::default_max_memory`).
        #[serde(default, alias = "max_memory")]
        max_memory: Option<usize>,
        #[serde(default)]
        isolation: Isolation,
    },
    /// Content-based routing: a jq program names the route(s) per message;
    /// `topics` maps route names to fully qualified topics.
    Route {
        program: String,
        topics: BTreeMap<String, String>,
        #[serde(default, alias = "max_memory")]
        max_memory: Option<usize>,
        #[serde(default)]
        isolation: Isolation,
    },
    /// A WebAssembly module (see `function::wasm` for the ABI), from a file
    /// (the image, or a mounted ConfigMap) or downloaded at start.
    Wasm {
        path: Option<String>,
        /// `http(s)://…`; needs `sha256`.
        url: Option<String>,
        /// Hex SHA-256 the module must have; a mismatch refuses to start.
        sha256: Option<String>,
        #[serde(default)]
        engine: WasmEngine,
        /// Fuel per message (wasmi instruction budget).
        #[serde(default = "default_fuel")]
        fuel: u64,
        /// Linear memory limit, bytes.
        #[serde(default = "default_memory", alias = "max_memory")]
        max_memory: usize,
        /// Named outputs (ABI 3 entry 3): name → fully qualified topic.
        #[serde(default)]
        topics: BTreeMap<String, String>,
    },
    /// A Python function, as Pulsar's Python instance runs it.
    Python(PythonConfig),
}

/// A Python function's code and how its topics' payloads become values
/// (fmc-runner built with the `python` feature; the `fmc-python` crate).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PythonConfig {
    /// `module.Class` (a `pulsar.Function` subclass, or any class with a
    /// `process` method), or `module` whose `process(input)` is the function.
    pub class_name: String,
    /// The user's code: a `.py` file (its folder goes on `sys.path`), or a
    /// `.zip` or `.whl` (the archive goes on `sys.path`: pure-Python
    /// dependencies packed with it import from there; nothing is installed);
    /// in the image or a mounted ConfigMap.
    pub path: Option<String>,
    /// Or `http(s)://…` (needs `sha256`), downloaded at start.
    pub url: Option<String>,
    /// Hex SHA-256 the code must have; a mismatch refuses to start.
    pub sha256: Option<String>,
    /// Per input topic: a SerDe class (`serde.IdentitySerDe` by default).
    #[serde(default)]
    pub input_serde: BTreeMap<String, String>,
    /// Per input topic: STRING, BYTES, JSON or AVRO (then the topic's values
    /// are records of `inputTypeClasses`, or dicts for JSON without one).
    #[serde(default)]
    pub input_schema_types: BTreeMap<String, String>,
    #[serde(default)]
    pub input_type_classes: BTreeMap<String, String>,
    pub output_serde: Option<String>,
    pub output_schema_type: Option<String>,
    pub output_type_class: Option<String>,
    /// Where the function's log lines go besides the runner's log.
    pub log_topic: Option<String>,
}

/// Where a jq or route program is evaluated (see `function::isolated`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// In a child process bounded by `maxMemory` and, per message, by
    /// `maxProcessingMs`: a message past a bound is a user error in place.
    #[default]
    Process,
    /// In the runner's process: no per-message bound but the watchdog's
    /// (with `journalDir`), which ends the process.
    None,
}

/// The smallest `maxMemory` an evaluator child starts with.
pub const MIN_JQ_MEMORY: usize = 32 << 20;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WasmEngine {
    /// An interpreter: small, starts at once (the default).
    #[default]
    Wasmi,
    /// A compiler (cargo feature `wasmtime`): faster code, larger binary.
    Wasmtime,
}

fn default_cluster() -> String {
    "kubernetes".into()
}
fn default_queue() -> u32 {
    1000
}
fn default_in_flight() -> usize {
    1000
}
fn default_true() -> bool {
    true
}
fn default_batch() -> usize {
    100
}
fn default_http() -> String {
    "0.0.0.0:9094".into()
}
fn default_backoff() -> u64 {
    200
}
fn default_drain() -> u64 {
    25_000
}
fn default_processing() -> u64 {
    10_000
}
fn default_fuel() -> u64 {
    10_000_000
}
fn default_memory() -> usize {
    64 << 20
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut config: Config = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        config.apply_environment(|k| std::env::var(k).ok());
        config.validate()?;
        Ok(config)
    }

    /// What the pod's environment supplies: the broker URL and, from the
    /// StatefulSet pod name (`<name>-<ordinal>`), the instance number.
    pub fn apply_environment(&mut self, env: impl Fn(&str) -> Option<String>) {
        if self.service_url.is_empty()
            && let Some(url) = env("brokerServiceURL")
        {
            self.service_url = url;
        }
        if let Some(ordinal) = env("POD_NAME").and_then(|p| p.rsplit('-').next().and_then(|n| n.parse().ok())) {
            self.instance_id = ordinal;
        }
    }

    /// Refuses what cannot work, before connecting to anything.
    pub fn validate(&self) -> Result<(), String> {
        if self.inputs.is_empty() {
            return Err("no input topic".into());
        }
        if self.max_in_flight < 1 {
            return Err("`maxInFlight` must be at least 1 (0 would never process a message)".into());
        }
        if self.max_batch_size < 1 {
            return Err("`maxBatchSize` must be at least 1".into());
        }
        if let Some(b) = &self.output_batching {
            b.validate()?;
        }
        if self.receiver_queue_size < 1 {
            return Err("`receiverQueueSize` must be at least 1".into());
        }
        self.validate_topics()?;
        if self.service_url.is_empty() {
            return Err("no `serviceUrl` and no `brokerServiceURL` in the environment".into());
        }
        if let FunctionConfig::Route { topics, .. } = &self.function
            && topics.is_empty()
        {
            return Err("a route function needs at least one route in `topics`".into());
        }
        if let FunctionConfig::Jq { max_memory, isolation: Isolation::Process, .. }
        | FunctionConfig::Route { max_memory, isolation: Isolation::Process, .. } = &self.function
            && max_memory.is_some_and(|m| m < MIN_JQ_MEMORY)
        {
            return Err(format!("`maxMemory` of a jq or route function must be at least {} MiB", MIN_JQ_MEMORY >> 20));
        }
        let source = match &self.function {
            FunctionConfig::Wasm { path, url, sha256, .. } => Some(("a WebAssembly function", path, url, sha256)),
            FunctionConfig::Python(p) => Some(("a Python function", &p.path, &p.url, &p.sha256)),
            _ => None,
        };
        if let Some((what, path, url, sha256)) = source {
            match (path, url, sha256) {
                (Some(_), Some(_), _) | (None, None, _) => {
                    return Err(format!("{what} needs exactly one of `path` and `url`"));
                }
                (None, Some(u), None) => return Err(format!("`url` {u} needs a `sha256` to pin what is downloaded")),
                _ => {}
            }
        }
        match self.processing_guarantee {
            Guarantee::EffectivelyOnce => Err(
                "EFFECTIVELY_ONCE needs broker-side deduplication, which the runner cannot rely on; use ATLEAST_ONCE"
                    .into(),
            ),
            Guarantee::Manual if !matches!(self.function, FunctionConfig::Wasm { .. } | FunctionConfig::Python(_)) => {
                Err("MANUAL needs a function that acknowledges inputs itself: a WebAssembly module of the batch ABI \
                     or a Python function calling `context.ack` (built-in functions are acknowledged by the runner; \
                     use ATLEAST_ONCE)"
                    .into())
            }
            _ => Ok(()),
        }
    }

    /// Every topic the runner uses must be a full topic name
    /// (`persistent://tenant/namespace/topic` or `non-persistent://…`).
    fn validate_topics(&self) -> Result<(), String> {
        let mut named: Vec<(&str, &str)> = self.inputs.iter().map(|t| ("inputs", t.as_str())).collect();
        named.extend(self.output.as_deref().map(|t| ("output", t)));
        named.extend(self.dead_letter_topic.as_deref().map(|t| ("deadLetterTopic", t)));
        match &self.function {
            FunctionConfig::Route { topics, .. } => {
                named.extend(topics.values().map(|t| ("function.route.topics", t.as_str())));
            }
            FunctionConfig::Wasm { topics, .. } => {
                named.extend(topics.values().map(|t| ("function.wasm.topics", t.as_str())));
            }
            _ => {}
        }
        for (field, topic) in named {
            if let Some(problem) = topic_problem(topic) {
                return Err(format!("`{field}`: {problem}"));
            }
        }
        Ok(())
    }

    pub fn fqfn(&self) -> String {
        format!("{}/{}/{}", self.tenant, self.namespace, self.name)
    }

    pub fn subscription_name(&self) -> String {
        self.subscription.clone().unwrap_or_else(|| self.fqfn())
    }

    /// Where messages go after `maxRetries` failures; none without `maxRetries`.
    pub fn dead_letter(&self) -> Option<String> {
        self.max_retries?;
        Some(self.dead_letter_or_default())
    }

    /// Where payloads that break their input's schema go (no retries apply).
    pub fn dead_letter_or_default(&self) -> String {
        self.dead_letter_topic
            .clone()
            .unwrap_or_else(|| format!("{}-{}-DLQ", self.inputs[0], self.subscription_name().replace('/', "-")))
    }

    /// The schema the runner declares for `topic` (a partition takes its topic's).
    pub fn declared_schema(&self, topic: &str) -> Option<&DeclaredSchema> {
        by_topic(&self.declared_schemas, topic)
    }

    /// The schema the input consumer declares: the inputs' one when they all
    /// declare the same (one consumer subscribes to every input, with one
    /// schema); `Err` with why when they differ.
    pub fn inputs_declared_schema(&self) -> Result<Option<&DeclaredSchema>, String> {
        let mut each = self.inputs.iter().map(|t| self.declared_schema(t));
        let first = each.next().flatten();
        if each.all(|s| s == first) {
            Ok(first)
        } else {
            Err("the inputs declare different schemas, and one consumer reads them all: it declares none".into())
        }
    }

    /// The declared schema of the topic a message came from (a partition of a
    /// partitioned topic has its topic's schema).
    pub fn schema_of(&self, topic: &str) -> Option<&PayloadSchema> {
        by_topic(&self.input_schemas, topic)
    }
}

/// A topic's entry, a partition (`…-partition-N`) taking its topic's.
pub fn by_topic<'a, T>(map: &'a BTreeMap<String, T>, topic: &str) -> Option<&'a T> {
    if map.is_empty() {
        return None;
    }
    map.get(topic).or_else(|| {
        let (base, n) = topic.rsplit_once("-partition-")?;
        n.parse::<u32>().ok().and_then(|_| map.get(base))
    })
}

/// Why `topic` is not a full Pulsar topic name, if it is not.
pub fn topic_problem(topic: &str) -> Option<String> {
    let shown: String = topic.chars().take(80).flat_map(char::escape_debug).collect();
    let Some((scheme, rest)) = topic.split_once("://") else {
        return Some(format!("`{shown}` is not a full topic name (persistent://tenant/namespace/topic)"));
    };
    if scheme != "persistent" && scheme != "non-persistent" {
        return Some(format!("`{shown}`: the domain must be `persistent` or `non-persistent`"));
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let bad_part = |p: &&str| p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control());
    if parts.len() != 3 || parts.iter().any(bad_part) {
        return Some(format!("`{shown}` is not a full topic name (persistent://tenant/namespace/topic)"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, String> {
        let mut c: Config = serde_json::from_str(json).map_err(|e| e.to_string())?;
        c.apply_environment(|k| match k {
            "brokerServiceURL" => Some("pulsar://broker:6650".into()),
            "POD_NAME" => Some("enrich-function-3".into()),
            _ => None,
        });
        c.validate().map(|_| c)
    }

    #[test]
    fn the_environment_fills_in_the_broker_and_the_instance() {
        let c = parse(
            r#"{"tenant":"t","namespace":"n","name":"f","inputs":["persistent://t/n/in"],"function":{"identity":{}}}"#,
        )
        .unwrap();
        assert_eq!(c.service_url, "pulsar://broker:6650");
        assert_eq!(c.instance_id, 3);
        assert_eq!(c.subscription_name(), "t/n/f");
        assert_eq!(c.dead_letter(), None);
    }

    #[test]
    fn unknown_fields_and_unsupported_guarantees_are_refused() {
        let base =
            r#""tenant":"t","namespace":"n","name":"f","inputs":["persistent://t/n/x"],"function":{"identity":{}}"#;
        assert!(parse(&format!("{{{base},\"recieverQueueSize\":5}}")).unwrap_err().contains("unknown field"));
        let e = parse(&format!("{{{base},\"processingGuarantee\":\"effectively_once\"}}")).unwrap_err();
        assert!(e.contains("EFFECTIVELY_ONCE"), "{e}");
    }

    #[test]
    fn bad_limits_and_topics_are_refused_at_start() {
        let with = |extra: &str, inputs: &str| {
            parse(&format!(
                r#"{{"tenant":"t","namespace":"n","name":"f","inputs":[{inputs}],"function":{{"identity":{{}}}}{extra}}}"#
            ))
        };
        let ok = r#""persistent://t/n/in""#;
        assert!(with("", ok).is_ok());
        assert!(with(r#","maxInFlight":0"#, ok).unwrap_err().contains("maxInFlight"));
        assert!(with(r#","maxBatchSize":0"#, ok).unwrap_err().contains("maxBatchSize"));
        assert!(with(r#","outputBatching":{"maxDelayMs":0}"#, ok).unwrap_err().contains("outputBatching"));
        let huge = with(r#","outputBatching":{"maxMessages":4000000000}"#, ok).unwrap_err();
        assert!(huge.contains("`maxMessages` 1-100000"), "a bound, not an allocation of billions: {huge}");
        assert!(with(r#","outputBatching":{"maxBytes":10000000}"#, ok).unwrap_err().contains("maxBytes"));
        assert!(with(r#","outputBatching":{"maxDelay":5}"#, ok).unwrap_err().contains("unknown field"));
        let batching = with(r#","outputBatching":{"maxMessages":50}"#, ok).unwrap().output_batching;
        let upstream = OutputBatching { max_messages: 50, max_bytes: 131072, max_delay_ms: 10 };
        assert_eq!(batching, Some(upstream), "the upstream instance's bytes and delay by default");
        assert!(with("", r#""not a topic""#).unwrap_err().contains("not a full topic name"));
        assert!(with(r#","output":"persistent://""#, ok).unwrap_err().contains("output"));
        assert!(with(r#","output":"http://t/n/x""#, ok).unwrap_err().contains("domain"));
    }

    #[test]
    fn jq_isolation_is_the_default_and_its_memory_bound_has_a_floor() {
        let with = |function: &str| {
            parse(&format!(
                r#"{{"tenant":"t","namespace":"n","name":"f","inputs":["persistent://t/n/in"],"function":{function}}}"#
            ))
        };
        let c = with(r#"{"jq":{"program":"."}}"#).unwrap();
        assert!(matches!(c.function, FunctionConfig::Jq { isolation: Isolation::Process, max_memory: None, .. }));
        let err =
            with(r#"{"route":{"program":".","topics":{"a":"persistent://t/n/a"},"maxMemory":1000}}"#).unwrap_err();
        assert!(err.contains("at least 32 MiB"), "{err}");
        let inline = with(r#"{"jq":{"program":".","isolation":"none","maxMemory":1000}}"#).unwrap();
        assert!(matches!(inline.function, FunctionConfig::Jq { isolation: Isolation::None, .. }), "no child, no floor");
        assert!(with(r#"{"jq":{"program":".","isolation":"thread"}}"#).is_err());
    }

    #[test]
    fn wasm_options_are_camel_case_and_the_old_name_still_works() {
        for field in ["maxMemory", "max_memory"] {
            let json = format!(r#"{{"wasm":{{"path":"/m.wasm","{field}":1024}}}}"#);
            let f: FunctionConfig = serde_json::from_str(&json).unwrap();
            assert!(matches!(f, FunctionConfig::Wasm { max_memory: 1024, .. }), "{field}");
        }
    }
}
