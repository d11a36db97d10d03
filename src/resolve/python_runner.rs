//! Python functions on fmc's runner (`fmc build --python-runner fmc`, the
//! annotation below, or `runner: fmc` in a native mesh): the component keeps
//! its operator spec, and gets the runner's configuration from it, so that
//! render, `fmc check`, `fmc test` and `fmc dev` treat it as they treat a
//! native function (`Component::native`).
//!
//! Why from the operator spec: both input languages have one by now, so the
//! same fields mean the same thing whichever language wrote them. Every field
//! the runner cannot honour is refused (R019) rather than dropped; fields that
//! the upstream Python instance ignores too (`maxPendingAsyncRequests`,
//! `forwardSourceMessageProperty`) are accepted and mean nothing here either.

use crate::ast::{Document, PathSeg};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::spec::ProcessingGuarantee;
use crate::model::{ComponentKind, ComponentSpec, Meta, NativeRunner, Origin, RunnerCode};
use crate::options::{BuildOptions, RunnerChoice};
use serde_json::{Map, Value, json};

/// `fmc` or `operator`, on a Function or a FunctionMesh (for its members).
pub const RUNNER_ANNOTATION: &str = "fmc.functionmesh.io/runner";
/// The hex SHA-256 the Python code must have (a native mesh says `sha256`).
pub const CODE_SHA256_ANNOTATION: &str = "fmc.functionmesh.io/code-sha256";

/// What a component asked for: said by the component itself (annotation or
/// `runner:`), else the build option of its language decides.
pub struct Choice {
    pub said: Option<RunnerChoice>,
    pub sha256: Option<String>,
}

impl Choice {
    /// What runs it, if it is a Python function.
    pub fn python(&self, options: &BuildOptions) -> RunnerChoice {
        self.said.unwrap_or(options.python_runner)
    }

    /// What starts it, if it is a Go function.
    pub fn go(&self, options: &BuildOptions) -> RunnerChoice {
        self.said.unwrap_or(options.go_runner)
    }
}

/// The choice of an operator resource: its annotations, else the build option.
pub fn of_operator_resource(meta: &Meta) -> Choice {
    let said = meta.annotations.get(RUNNER_ANNOTATION).and_then(|t| RunnerChoice::parse(t));
    Choice { said, sha256: meta.annotations.get(CODE_SHA256_ANNOTATION).cloned() }
}

/// P008 for an annotation value fmc does not take.
pub fn check_annotations(meta: &Meta, doc: usize, docs: &[Document], diags: &mut Diagnostics) {
    let bad_runner = meta.annotations.get(RUNNER_ANNOTATION).is_some_and(|t| RunnerChoice::parse(t).is_none());
    let bad_pin = meta.annotations.get(CODE_SHA256_ANNOTATION).is_some_and(|t| !is_sha256(t));
    let checks = [
        (RUNNER_ANNOTATION, bad_runner, "expected \"fmc\" or \"operator\""),
        (CODE_SHA256_ANNOTATION, bad_pin, "expected 64 hexadecimal digits"),
    ];
    for (key, bad, expected) in checks {
        if bad {
            let path: Vec<PathSeg> =
                ["metadata", "annotations", key].iter().map(|k| PathSeg::Key((*k).to_string())).collect();
            let span = docs[doc].root.lookup(&path).span;
            diags.push(crate::parse::diagnostics::invalid_value(
                span,
                &format!("metadata.annotations.{key}"),
                expected,
            ));
        }
    }
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether the component is a Python function (what the choice applies to).
pub fn is_python_function(kind: ComponentKind, spec: &ComponentSpec) -> bool {
    kind == ComponentKind::Function && spec.python.is_some()
}

/// The runner's configuration for a Python function on fmc's runner, with
/// R019 for what it cannot honour; `None` when the choice does not apply.
pub fn native(
    kind: ComponentKind,
    spec: &ComponentSpec,
    origin: &Origin,
    choice: &Choice,
    options: &BuildOptions,
    docs: &[Document],
    diags: &mut Diagnostics,
) -> Option<NativeRunner> {
    if choice.python(options) != RunnerChoice::Fmc {
        if choice.sha256.is_some() && is_python_function(kind, spec) {
            let why = "is the only runner that checks the code's `sha256`; the operator's Python runner would not";
            diags.push(refused(origin.span(docs, &["python"]), why));
        }
        return None;
    }
    if !is_python_function(kind, spec) {
        if choice.said.is_some() && !super::go_launcher::is_go_function(kind, spec) {
            let why = "runs Python functions and starts Go functions only (the runner choice applies to a function with a `python` or `golang` block)";
            diags.push(refused(origin.span(docs, &[]), why));
        }
        return None;
    }
    let refusals = refusals(spec);
    for (rel, why) in &refusals {
        diags.push(refused(origin.key_span(docs, rel), why));
    }
    let (code, code_config) = code(spec, choice.sha256.as_deref(), options);
    if let Err(why) = &code_config {
        diags.push(refused(origin.key_span(docs, &["python"]), why));
    }
    if !refusals.is_empty() || code_config.is_err() {
        return None;
    }
    let mut config = common_config(spec);
    config.insert("function".into(), json!({"python": python_config(spec, code_config.ok()?)}));
    config.retain(|_, v| !v.is_null());
    Some(NativeRunner { config: Value::Object(config), image: None, module_config_map: None, code })
}

pub fn refused(span: crate::source::Span, why: &str) -> Diagnostic {
    Diagnostic::error("R019", span, format!("fmc's runner {why}"))
        .label("a Python function on fmc's runner")
        .help("change the setting, or run this function on the operator's Python runner (`runner: operator`, annotation `fmc.functionmesh.io/runner: operator`)")
}

/// Fields set that the runner cannot honour, each with why.
fn refusals(spec: &ComponentSpec) -> Vec<(Vec<&'static str>, &'static str)> {
    let input = spec.input.clone().unwrap_or_default();
    let output = spec.output.clone().unwrap_or_default();
    let pulsar = spec.pulsar.clone().unwrap_or_default();
    let specs = input.source_specs.clone().unwrap_or_default();
    let consumer = |f: fn(&crate::model::common::ConsumerConfig) -> bool| specs.values().any(f);
    let guarantee = spec.processing_guarantee;
    let not_empty = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    let foreign_auth = pulsar.auth_config.as_ref().and_then(|a| a.generic_auth.as_ref()).is_some()
        && crate::lower::token_file(spec).is_none();
    let rules: [(&[&'static str], bool, &'static str); 20] = [
        (
            &["statefulConfig"],
            spec.stateful_config.is_some(),
            "keeps no state: Pulsar Functions state needs the BookKeeper table service (`context.incr_counter`, `put_state`, … raise an error there)",
        ),
        (&["windowConfig"], spec.window_config.is_some(), "does not window its input"),
        (
            &["processingGuarantee"],
            guarantee == Some(ProcessingGuarantee::EffectivelyOnce),
            "supports ATLEAST_ONCE and ATMOST_ONCE (EFFECTIVELY_ONCE needs broker-side deduplication the runner cannot rely on)",
        ),
        (
            &["processingGuarantee"],
            guarantee == Some(ProcessingGuarantee::Manual),
            "acknowledges a Python function's inputs itself unless `autoAck` is false (then `context.ack` does): MANUAL is for Java functions",
        ),
        (&["runtimeFlags"], not_empty(&spec.runtime_flags), "runs no separate interpreter to give flags to"),
        (
            &["logTopicAgent"],
            spec.log_topic_agent == Some(crate::model::spec::LogTopicAgent::Sidecar),
            "sends a function's log lines to `logTopic` itself, not through a sidecar",
        ),
        (
            &["python", "log"],
            spec.python.as_ref().is_some_and(|p| p.log.is_some()),
            "logs JSON lines on stdout, not through the Python instance's log config",
        ),
        (
            &["skipToLatest"],
            spec.skip_to_latest == Some(true),
            "resumes from its subscription after a restart (`skipToLatest` is not supported)",
        ),
        (&["input", "topicPattern"], not_empty(&input.topic_pattern), "reads named topics, not a topic pattern"),
        (
            &["input", "sourceSpecs"],
            consumer(|c| c.is_regex_pattern == Some(true)),
            "reads named topics, not a regex pattern",
        ),
        (
            &["input", "sourceSpecs"],
            consumer(|c| c.crypto_config.is_some()),
            "does not decrypt messages (`cryptoConfig`)",
        ),
        (
            &["input", "sourceSpecs"],
            consumer(|c| c.consumer_properties.as_ref().is_some_and(|p| !p.is_empty())),
            "takes no `consumerProperties`",
        ),
        (
            &["input", "sourceSpecs"],
            consumer(|c| c.schema_properties.as_ref().is_some_and(|p| !p.is_empty())),
            "takes no `schemaProperties`",
        ),
        (
            &["output", "producerConf"],
            output.producer_conf.is_some(),
            "uses its own producer settings (batching on, no encryption)",
        ),
        (
            &["output", "customSchemaSinks"],
            output.custom_schema_sinks.as_ref().is_some_and(|m| !m.is_empty()),
            "takes the output's schema from `sinkSchemaType` and `sinkSerdeClassName`, not `customSchemaSinks`",
        ),
        (
            &["pulsar", "authSecret"],
            not_empty(&pulsar.auth_secret),
            "authenticates with a token file or OAuth2 (`authConfig`), not a legacy `authSecret`",
        ),
        (
            &["pulsar", "tlsSecret"],
            not_empty(&pulsar.tls_secret) && pulsar.tls_config.is_none(),
            "takes TLS from `tlsConfig`, not a legacy `tlsSecret`",
        ),
        (
            &["pulsar", "authConfig"],
            foreign_auth,
            "authenticates with the token plug-in (`file://` parameters) or OAuth2 only",
        ),
        (&["sourceConfig"], spec.source_config.is_some(), "runs no connector inside a function"),
        (&["sinkConfig"], spec.sink_config.is_some(), "runs no connector inside a function"),
    ];
    rules.into_iter().filter(|(_, set, _)| *set).map(|(rel, _, why)| (rel.to_vec(), why)).collect()
}

/// Where the runner finds the code (`path`, or a pinned `url`), and which init
/// container puts it there.
fn code(
    spec: &ComponentSpec,
    sha256: Option<&str>,
    options: &BuildOptions,
) -> (Option<RunnerCode>, Result<Map<String, Value>, String>) {
    let python = spec.python.clone().unwrap_or_default();
    let file = python.py.rsplit('/').next().unwrap_or_default().to_string();
    if !file.ends_with(".py") && !file.ends_with(".zip") && !file.ends_with(".whl") {
        let why = "loads a `.py`, `.zip` or `.whl` (`python.py` names the file)".to_string();
        return (None, Err(why));
    }
    let mut config = Map::new();
    config.insert("sha256".into(), json!(sha256));
    let location = python.py_location.filter(|l| !l.is_empty());
    match location {
        Some(url) if sha256.is_some() && crate::model::is_http_url(&url) => {
            if crate::diagnostics::redact::holds_url_credential(&url) {
                return (None, Err("downloads no URL holding a credential".into()));
            }
            config.insert("url".into(), json!(url));
            (None, Ok(config))
        }
        Some(_) => {
            config.insert("path".into(), json!(format!("{}/{file}", crate::model::DOWNLOAD_DIR)));
            (Some(RunnerCode::Download), Ok(config))
        }
        None => {
            let image = spec.image.clone().filter(|i| !i.is_empty());
            let image = image.or_else(|| options.runner_images.get("python").cloned());
            let image = image.unwrap_or_else(|| crate::model::PYTHON_RUNNER_IMAGE.to_string());
            if python.py.starts_with('-') {
                return (None, Err("copies no file whose name starts with `-`".into()));
            }
            config.insert("path".into(), json!(format!("{}/{file}", crate::model::DOWNLOAD_DIR)));
            (Some(RunnerCode::Copy { image, path: python.py }), Ok(config))
        }
    }
}

/// What every function on the runner is configured with (engine/src/config.rs).
fn common_config(spec: &ComponentSpec) -> Map<String, Value> {
    let input = spec.input.clone().unwrap_or_default();
    let mut inputs: Vec<String> = input.topics.clone().unwrap_or_default();
    let named = input.custom_serde_sources.iter().flatten().map(|(t, _)| t);
    let named = named.chain(input.custom_schema_sources.iter().flatten().map(|(t, _)| t));
    for t in named.chain(input.source_specs.iter().flatten().map(|(t, _)| t)) {
        if !inputs.contains(t) {
            inputs.push(t.clone());
        }
    }
    let subscription_type = match (spec.retain_ordering, spec.retain_key_ordering) {
        (Some(true), _) => "failover",
        (_, Some(true)) => "key_shared",
        _ => "shared",
    };
    let position = match spec.subscription_position {
        Some(crate::model::spec::SubscriptionPosition::Earliest) => "earliest",
        _ => "latest",
    };
    let guarantee = match (spec.processing_guarantee, spec.auto_ack) {
        (_, Some(false)) => "manual",
        (Some(ProcessingGuarantee::AtmostOnce), _) => "atmost_once",
        _ => "atleast_once",
    };
    let queue = input.source_specs.iter().flatten().filter_map(|(_, c)| c.receiver_queue_size).filter(|q| *q > 0).min();
    let mut config = Map::new();
    let mut put = |k: &str, v: Value| {
        config.insert(k.to_string(), v);
    };
    put("tenant", json!(spec.tenant.as_deref().unwrap_or("public")));
    put("namespace", json!(spec.namespace.as_deref().unwrap_or("default")));
    put("name", json!(spec.name));
    put("cluster", json!(spec.cluster_name));
    put("inputs", json!(inputs));
    put("output", json!(spec.output.as_ref().and_then(|o| o.topic.clone()).filter(|t| !t.is_empty())));
    put("subscription", json!(spec.subscription_name.clone().filter(|s| !s.is_empty())));
    put("subscriptionType", json!(subscription_type));
    put("subscriptionPosition", json!(position));
    put("processingGuarantee", json!(guarantee));
    put("receiverQueueSize", json!(queue));
    // The upstream Python instance batches its output (the client's 1000
    // messages and 128 KiB, sent 10 ms after the first): so does the runner.
    put("outputBatching", json!({"maxMessages": 1000, "maxBytes": 131072, "maxDelayMs": 10}));
    put("maxRetries", json!(spec.max_message_retry.filter(|n| *n >= 0)));
    put("deadLetterTopic", json!(spec.dead_letter_topic.clone().filter(|t| !t.is_empty())));
    put("ackTimeoutMs", json!(spec.timeout.filter(|t| *t > 0)));
    put("retryBackoffMs", json!(spec.negative_ack_redelivery_delay_ms.filter(|t| *t > 0)));
    put("tokenFile", json!(crate::lower::token_file(spec)));
    put("userConfig", json!(spec.func_config));
    put("secrets", json!(spec.secrets_map.as_ref().map(|m| m.keys().collect::<Vec<_>>())));
    put("httpAddr", json!("0.0.0.0:9094"));
    put("journalDir", json!(crate::model::RUNNER_STATE_DIR));
    if let Some(pulsar) = &spec.pulsar {
        config.extend(crate::lower::connection_settings(pulsar));
    }
    config
}

/// `function.python`: the class, the code and how payloads become values.
fn python_config(spec: &ComponentSpec, code: Map<String, Value>) -> Value {
    let input = spec.input.clone().unwrap_or_default();
    let output = spec.output.clone().unwrap_or_default();
    // Java's `[B` (bytes) is the resolve default of `typeClassName`, no Python class.
    let class = |c: &Option<String>| c.clone().filter(|c| !c.is_empty() && c != super::defaults::BYTES_TYPE);
    let mut serdes: Map<String, Value> = Map::new();
    let mut schemas: Map<String, Value> = Map::new();
    for (topic, serde) in input.custom_serde_sources.iter().flatten() {
        serdes.insert(topic.clone(), json!(serde));
    }
    for (topic, schema) in input.custom_schema_sources.iter().flatten() {
        schemas.insert(topic.clone(), json!(schema));
    }
    for (topic, c) in input.source_specs.iter().flatten() {
        if let Some(serde) = c.serde_classname.clone().filter(|s| !s.is_empty()) {
            serdes.insert(topic.clone(), json!(serde));
        }
        if let Some(schema) = c.schema_type.clone().filter(|s| !s.is_empty()) {
            schemas.insert(topic.clone(), json!(schema));
        }
    }
    let classes: Map<String, Value> = match class(&input.type_class_name) {
        Some(c) => schemas.keys().map(|t| (t.clone(), json!(c))).collect(),
        None => Map::new(),
    };
    let mut python = code;
    python.insert("className".into(), json!(spec.class_name));
    python.insert("inputSerde".into(), Value::Object(serdes));
    python.insert("inputSchemaTypes".into(), Value::Object(schemas));
    python.insert("inputTypeClasses".into(), Value::Object(classes));
    python.insert("outputSerde".into(), json!(output.sink_serde_class_name.filter(|s| !s.is_empty())));
    python.insert("outputSchemaType".into(), json!(output.sink_schema_type.filter(|s| !s.is_empty())));
    python.insert("outputTypeClass".into(), json!(class(&output.type_class_name)));
    python.insert("logTopic".into(), json!(spec.log_topic.clone().filter(|t| !t.is_empty())));
    python.retain(|_, v| !v.is_null() && v.as_object().is_none_or(|m| !m.is_empty()));
    Value::Object(python)
}
