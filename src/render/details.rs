//! `--function_details`: the Pulsar `FunctionDetails` message as protojson.
//!
//! The structs below mirror `Function.proto` in declaration order, because
//! protojson prints fields in that order; zero values are omitted, enums print as
//! names, 64-bit integers as strings, map keys sorted. Unlike the operator's
//! protojson, the output never contains the random spaces protobuf-go inserts, so
//! it is byte-stable. Nested JSON strings (`userConfig`, `configs`, …) follow Go
//! `encoding/json`: sorted keys, and `<`, `>`, `&` escaped.

use crate::model::common::{ConsumerConfig, CryptoConfig, ProducerConfig, SinkConnectorSpec, SourceConnectorSpec};
use crate::model::spec::{ProcessingGuarantee, SubscriptionPosition};
use crate::model::{ComponentKind, ComponentSpec};
use crate::quantity::Quantity;
use serde::Serialize;
use std::collections::BTreeMap;

pub const WINDOW_EXECUTOR: &str = "org.apache.pulsar.functions.windowing.WindowFunctionExecutor";
pub const IDENTITY_FUNCTION: &str = "org.apache.pulsar.functions.api.utils.IdentityFunction";
pub const BATCH_SOURCE_EXECUTOR: &str = "org.apache.pulsar.functions.source.batch.BatchSourceExecutor";

fn is_false(b: &bool) -> bool {
    !*b
}
fn is_zero(i: &i32) -> bool {
    *i == 0
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionDetails {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tenant: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub class_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub log_topic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_guarantees: Option<&'static str>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub user_config: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub secrets_map: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<&'static str>,
    #[serde(skip_serializing_if = "is_false")]
    pub auto_ack: bool,
    #[serde(skip_serializing_if = "is_zero")]
    pub parallelism: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink: Option<SinkSpec>,
    pub resources: Resources,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_details: Option<RetryDetails>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub runtime_flags: String,
    pub component_type: &'static str,
    #[serde(skip_serializing_if = "is_false")]
    pub retain_ordering: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub retain_key_ordering: bool,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub class_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub configs: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub type_class_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_type: Option<&'static str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub input_specs: BTreeMap<String, ConsumerSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub builtin: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subscription_name: String,
    #[serde(skip_serializing_if = "is_false")]
    pub cleanup_subscription: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_position: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_ack_redelivery_delay_ms: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    pub skip_to_latest: bool,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub schema_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub serde_class_name: String,
    #[serde(skip_serializing_if = "is_false")]
    pub is_regex_pattern: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_queue_size: Option<ReceiverQueueSize>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub schema_properties: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub consumer_properties: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crypto_spec: Option<CryptoSpec>,
}

#[derive(Debug, Default, Serialize)]
pub struct ReceiverQueueSize {
    #[serde(skip_serializing_if = "is_zero")]
    pub value: i32,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SinkSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub class_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub configs: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub type_class_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub topic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_spec: Option<ProducerSpec>,
    #[serde(rename = "serDeClassName", skip_serializing_if = "String::is_empty")]
    pub serde_class_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub builtin: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub schema_type: String,
    #[serde(skip_serializing_if = "is_false")]
    pub forward_source_message_property: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub schema_properties: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub consumer_properties: BTreeMap<String, String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProducerSpec {
    #[serde(skip_serializing_if = "is_zero")]
    pub max_pending_messages: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub max_pending_messages_across_partitions: i32,
    #[serde(skip_serializing_if = "is_false")]
    pub use_thread_local_producers: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crypto_spec: Option<CryptoSpec>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub batch_builder: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CryptoSpec {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub crypto_key_reader_class_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub crypto_key_reader_config: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub producer_encryption_key_name: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_crypto_failure_action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_crypto_failure_action: Option<&'static str>,
}

#[derive(Debug, Default, Serialize)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ram: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<String>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryDetails {
    #[serde(skip_serializing_if = "is_zero")]
    pub max_message_retries: i32,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub dead_letter_topic: String,
}

/// Go `encoding/json` of a JSON value: sorted keys (serde_json's map is a BTreeMap)
/// with `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub fn go_json(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).expect("invariant: JSON values serialize");
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

pub fn processing_guarantee(g: Option<ProcessingGuarantee>) -> Option<&'static str> {
    match g {
        None | Some(ProcessingGuarantee::AtleastOnce) => None,
        Some(ProcessingGuarantee::AtmostOnce) => Some("ATMOST_ONCE"),
        Some(ProcessingGuarantee::EffectivelyOnce) => Some("EFFECTIVELY_ONCE"),
        Some(ProcessingGuarantee::Manual) => Some("MANUAL"),
    }
}

/// Pulsar's rule: ordering (or effectively-once) needs FAILOVER, key ordering KEY_SHARED.
pub fn subscription_type(spec: &ComponentSpec) -> Option<&'static str> {
    let effectively_once = spec.processing_guarantee == Some(ProcessingGuarantee::EffectivelyOnce);
    if spec.retain_ordering == Some(true) || effectively_once {
        Some("FAILOVER")
    } else if spec.retain_key_ordering == Some(true) {
        Some("KEY_SHARED")
    } else {
        None
    }
}

/// The operator defaults the position to EARLIEST (Pulsar's own default is LATEST).
fn subscription_position(p: Option<SubscriptionPosition>) -> Option<&'static str> {
    match p {
        Some(SubscriptionPosition::Latest) => None,
        _ => Some("EARLIEST"),
    }
}

fn failure_action(a: &Option<String>) -> Option<&'static str> {
    match a.as_deref() {
        Some("DISCARD") => Some("DISCARD"),
        Some("CONSUME") => Some("CONSUME"),
        Some("SEND") => Some("SEND"),
        _ => None,
    }
}

fn compression(c: Option<crate::model::common::CompressionType>) -> Option<&'static str> {
    use crate::model::common::CompressionType as C;
    match c {
        None | Some(C::Lz4) => None,
        Some(C::None) => Some("NONE"),
        Some(C::Zlib) => Some("ZLIB"),
        Some(C::Zstd) => Some("ZSTD"),
        Some(C::Snappy) => Some("SNAPPY"),
    }
}

fn crypto_spec(c: &Option<CryptoConfig>) -> Option<CryptoSpec> {
    let c = c.as_ref()?;
    Some(CryptoSpec {
        crypto_key_reader_class_name: opt(&c.crypto_key_reader_class_name),
        crypto_key_reader_config: c.crypto_key_reader_config.as_ref().map(go_json).unwrap_or_default(),
        producer_encryption_key_name: c.encryption_keys.clone().unwrap_or_default(),
        producer_crypto_failure_action: failure_action(&c.producer_crypto_failure_action),
        consumer_crypto_failure_action: failure_action(&c.consumer_crypto_failure_action),
    })
}

fn producer_spec(p: &ProducerConfig) -> ProducerSpec {
    ProducerSpec {
        max_pending_messages: p.max_pending_messages.unwrap_or(0),
        max_pending_messages_across_partitions: p.max_pending_messages_across_partitions.unwrap_or(0),
        use_thread_local_producers: p.use_thread_local_producers.unwrap_or(false),
        crypto_spec: crypto_spec(&p.crypto_config),
        batch_builder: opt(&p.batch_builder),
        compression_type: compression(p.compression_type),
    }
}

fn consumer_spec(c: &ConsumerConfig) -> ConsumerSpec {
    ConsumerSpec {
        schema_type: opt(&c.schema_type),
        serde_class_name: opt(&c.serde_classname),
        is_regex_pattern: c.is_regex_pattern.unwrap_or(false),
        receiver_queue_size: c.receiver_queue_size.map(|value| ReceiverQueueSize { value }),
        schema_properties: c.schema_properties.clone().unwrap_or_default(),
        consumer_properties: c.consumer_properties.clone().unwrap_or_default(),
        crypto_spec: crypto_spec(&c.crypto_config),
    }
}

/// `inputSpecs`: topics, then the pattern, then custom serde, custom schema and
/// full consumer specs, later entries replacing earlier ones for the same topic.
pub(crate) fn input_specs(spec: &ComponentSpec) -> BTreeMap<String, ConsumerSpec> {
    let mut out = BTreeMap::new();
    let Some(input) = &spec.input else { return out };
    for t in input.topics.iter().flatten() {
        out.insert(t.clone(), ConsumerSpec::default());
    }
    if let Some(p) = input.topic_pattern.as_ref().filter(|p| !p.is_empty()) {
        out.insert(p.clone(), ConsumerSpec { is_regex_pattern: true, ..Default::default() });
    }
    for (t, serde) in input.custom_serde_sources.iter().flatten() {
        out.insert(t.clone(), ConsumerSpec { serde_class_name: serde.clone(), ..Default::default() });
    }
    for (t, schema) in input.custom_schema_sources.iter().flatten() {
        out.insert(t.clone(), ConsumerSpec { schema_type: schema.clone(), ..Default::default() });
    }
    for (t, conf) in input.source_specs.iter().flatten() {
        out.insert(t.clone(), consumer_spec(conf));
    }
    out
}

fn resources(spec: &ComponentSpec) -> Resources {
    let requests = spec.resources.as_ref().and_then(|r| r.requests.as_ref());
    let get = |k: &str| requests.and_then(|r| r.get(k)).and_then(|q| Quantity::parse(&q.0));
    Resources {
        cpu: get("cpu").filter(|q| !q.is_zero()).map(|q| q.as_f64()),
        ram: get("memory").filter(|q| !q.is_zero()).map(|q| q.ceil_i64().to_string()),
        disk: get("storage").filter(|q| !q.is_zero()).map(|q| q.ceil_i64().to_string()),
    }
}

fn parallelism(spec: &ComponentSpec) -> i32 {
    if spec.show_precise_parallelism == Some(true) { spec.replicas.unwrap_or(1) } else { 1 }
}

/// The operator's dead-letter default: `<tenant>-<namespace>-<name>-DLQ` when
/// retries are on, no DLQ is given and the subscription name is empty (or, a
/// quirk kept for compatibility, contains a backslash).
pub fn dead_letter_topic(spec: &ComponentSpec) -> String {
    let given = opt(&spec.dead_letter_topic);
    let sub = opt(&spec.subscription_name);
    if given.is_empty() && spec.max_message_retry.unwrap_or(0) > 0 && (sub.is_empty() || sub.contains('\\')) {
        return format!("{}-{}-{}-DLQ", opt(&spec.tenant), opt(&spec.namespace), opt(&spec.name));
    }
    given
}

fn retry_details(spec: &ComponentSpec) -> Option<RetryDetails> {
    let dlq = dead_letter_topic(spec);
    let retries = spec.max_message_retry.unwrap_or(0);
    (retries > 0 || !dlq.is_empty()).then_some(RetryDetails { max_message_retries: retries, dead_letter_topic: dlq })
}

fn secrets_map(spec: &ComponentSpec) -> String {
    spec.secrets_map.as_ref().map(go_json).unwrap_or_default()
}

fn ms(v: Option<i32>) -> Option<String> {
    v.filter(|v| *v != 0).map(|v| (v as u32 as u64).to_string())
}

/// The consuming side of a Function or Sink.
fn consumer_source(spec: &ComponentSpec, negative_ack_delay: Option<i32>) -> SourceSpec {
    let input = spec.input.clone().unwrap_or_default();
    SourceSpec {
        type_class_name: opt(&input.type_class_name),
        subscription_type: subscription_type(spec),
        input_specs: input_specs(spec),
        timeout_ms: ms(spec.timeout),
        subscription_name: opt(&spec.subscription_name),
        cleanup_subscription: spec.cleanup_subscription.unwrap_or(false),
        subscription_position: subscription_position(spec.subscription_position),
        negative_ack_redelivery_delay_ms: ms(negative_ack_delay),
        skip_to_latest: spec.skip_to_latest.unwrap_or(false),
        ..Default::default()
    }
}

/// Builds the details for a resolved component (defaults already applied).
pub fn function_details(kind: ComponentKind, spec: &ComponentSpec) -> FunctionDetails {
    match kind {
        ComponentKind::Function => function(spec),
        ComponentKind::Source => source(spec),
        ComponentKind::Sink => sink(spec),
    }
}

fn common(spec: &ComponentSpec, component_type: &'static str) -> FunctionDetails {
    FunctionDetails {
        tenant: opt(&spec.tenant),
        namespace: opt(&spec.namespace),
        name: opt(&spec.name),
        processing_guarantees: processing_guarantee(spec.processing_guarantee),
        secrets_map: secrets_map(spec),
        parallelism: parallelism(spec),
        resources: resources(spec),
        runtime_flags: opt(&spec.runtime_flags),
        component_type,
        ..Default::default()
    }
}

fn function(spec: &ComponentSpec) -> FunctionDetails {
    let sidecar = spec.log_topic_agent == Some(crate::model::spec::LogTopicAgent::Sidecar);
    let output = spec.output.clone().unwrap_or_default();
    // A Function's negative-ack delay is its timeout (operator behaviour).
    let mut source = consumer_source(spec, spec.timeout);
    let mut sink = SinkSpec {
        type_class_name: opt(&output.type_class_name),
        topic: opt(&output.topic),
        producer_spec: output.producer_conf.as_ref().map(producer_spec),
        serde_class_name: opt(&output.sink_serde_class_name),
        schema_type: opt(&output.sink_schema_type),
        forward_source_message_property: spec.forward_source_message_property.unwrap_or(true),
        ..Default::default()
    };
    if let (Some(custom), Some(topic)) = (&output.custom_schema_sinks, &output.topic) {
        let conf: ConsumerConfig = custom.get(topic).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        sink.schema_properties = conf.schema_properties.unwrap_or_default();
        sink.consumer_properties = conf.consumer_properties.unwrap_or_default();
    }
    apply_source_connector(spec, &mut source);
    apply_sink_connector(spec, &mut sink);
    FunctionDetails {
        class_name: if spec.window_config.is_some() { WINDOW_EXECUTOR.into() } else { opt(&spec.class_name) },
        log_topic: if sidecar { String::new() } else { opt(&spec.log_topic) },
        user_config: function_user_config(spec),
        runtime: if spec.golang.is_some() {
            Some("GO")
        } else if spec.python.is_some() {
            Some("PYTHON")
        } else {
            None
        },
        auto_ack: spec.auto_ack.unwrap_or(true),
        source: Some(source),
        sink: Some(sink),
        retry_details: retry_details(spec),
        retain_ordering: spec.retain_ordering.unwrap_or(false),
        retain_key_ordering: spec.retain_key_ordering.unwrap_or(false),
        ..common(spec, "FUNCTION")
    }
}

/// `funcConfig` as JSON; a window function carries its window config under
/// `__WINDOWCONFIGS__` with the user's class as the actual window function.
/// Keys are sorted, as Go marshals a map; the window config keeps its struct's
/// field order, as Go marshals a struct (the operator's bytes exactly).
pub fn function_user_config(spec: &ComponentSpec) -> String {
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Entry<'a> {
        Plain(&'a serde_json::Value),
        Window(&'a crate::model::common::WindowConfig),
    }
    let Some(w) = &spec.window_config else {
        return spec.func_config.as_ref().map(go_json).unwrap_or_default();
    };
    let mut w = w.clone();
    w.actual_window_function_class_name = spec.class_name.clone();
    let mut entries: std::collections::BTreeMap<&str, Entry> =
        spec.func_config.iter().flatten().map(|(k, v)| (k.as_str(), Entry::Plain(v))).collect();
    entries.insert("__WINDOWCONFIGS__", Entry::Window(&w));
    go_json(&entries)
}

fn source(spec: &ComponentSpec) -> FunctionDetails {
    let output = spec.output.clone().unwrap_or_default();
    let mut configs = spec.source_config.clone().unwrap_or_default();
    let user_config = spec.source_config.as_ref().map(go_json).unwrap_or_default();
    let mut class_name = opt(&spec.class_name);
    if let Some(batch) = &spec.batch_source_config {
        configs.insert("__BATCHSOURCECONFIGS__".into(), go_json(batch).into());
        configs.insert("__BATCHSOURCECLASSNAME__".into(), class_name.clone().into());
        class_name = BATCH_SOURCE_EXECUTOR.into();
    }
    FunctionDetails {
        class_name: IDENTITY_FUNCTION.into(),
        user_config,
        auto_ack: true,
        source: Some(SourceSpec {
            class_name,
            configs: if spec.source_config.is_some() || spec.batch_source_config.is_some() {
                go_json(&configs)
            } else {
                String::new()
            },
            type_class_name: opt(&output.type_class_name),
            ..Default::default()
        }),
        sink: Some(SinkSpec {
            type_class_name: opt(&output.type_class_name),
            topic: opt(&output.topic),
            producer_spec: Some(output.producer_conf.as_ref().map(producer_spec).unwrap_or_default()),
            serde_class_name: opt(&output.sink_serde_class_name),
            schema_type: opt(&output.sink_schema_type),
            forward_source_message_property: spec.forward_source_message_property.unwrap_or(true),
            ..Default::default()
        }),
        ..common(spec, "SOURCE")
    }
}

fn sink(spec: &ComponentSpec) -> FunctionDetails {
    let input = spec.input.clone().unwrap_or_default();
    FunctionDetails {
        class_name: IDENTITY_FUNCTION.into(),
        auto_ack: spec.auto_ack.unwrap_or(true),
        source: Some(consumer_source(spec, spec.negative_ack_redelivery_delay_ms)),
        sink: Some(SinkSpec {
            class_name: opt(&spec.class_name),
            configs: spec.sink_config.as_ref().map(go_json).unwrap_or_default(),
            type_class_name: opt(&input.type_class_name),
            ..Default::default()
        }),
        retry_details: retry_details(spec),
        retain_ordering: spec.retain_ordering.unwrap_or(false),
        retain_key_ordering: spec.retain_key_ordering.unwrap_or(false),
        ..common(spec, "SINK")
    }
}

/// What a Function's connector spec contributes to its source or sink details.
#[derive(Debug, Default)]
struct ConnectorDetails {
    builtin: String,
    class_name: String,
    type_class_name: String,
    configs: String,
}

fn config_str(configs: &Option<crate::model::common::Config>, key: &str) -> String {
    match configs.as_ref().and_then(|c| c.get(key)) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn connector_details(
    class: &Option<String>,
    type_class: &Option<String>,
    builtin: &Option<String>,
    configs: &Option<crate::model::common::Config>,
    is_sink: bool,
) -> ConnectorDetails {
    let pick = |field: &Option<String>, key: &str| {
        field.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| config_str(configs, key))
    };
    let mut builtin = pick(builtin, "builtin");
    if builtin.is_empty() {
        builtin = config_str(configs, "archive").strip_prefix("builtin://").unwrap_or("").to_string();
    }
    let mut merged = crate::model::common::Config::new();
    if let Some(c) = configs {
        if let Some(serde_json::Value::Object(nested)) = c.get("configs") {
            merged.extend(
                nested.iter().filter(|(k, v)| !k.is_empty() && !v.is_null()).map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        const RESERVED: [&str; 5] = ["archive", "builtin", "className", "typeClassName", "configs"];
        merged.extend(
            c.iter()
                .filter(|(k, v)| !v.is_null() && !RESERVED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    if is_sink && !builtin.is_empty() {
        merged.entry("sinkType".into()).or_insert_with(|| builtin.clone().into());
    }
    let configs = if !merged.is_empty() {
        go_json(&merged)
    } else {
        configs.as_ref().map(go_json).filter(|s| s != "null").unwrap_or_default()
    };
    ConnectorDetails {
        builtin,
        class_name: pick(class, "className"),
        type_class_name: pick(type_class, "typeClassName"),
        configs,
    }
}

fn apply_source_connector(spec: &ComponentSpec, source: &mut SourceSpec) {
    let Some(c) = typed_connector::<SourceConnectorSpec>(&spec.source_config) else { return };
    let d = connector_details(&c.class_name, &c.type_class_name, &c.source_type, &c.configs, false);
    apply_connector(d, &mut source.builtin, &mut source.class_name, &mut source.type_class_name, &mut source.configs);
}

fn apply_sink_connector(spec: &ComponentSpec, sink: &mut SinkSpec) {
    let Some(c) = typed_connector::<SinkConnectorSpec>(&spec.sink_config) else { return };
    let d = connector_details(&c.class_name, &c.type_class_name, &c.sink_type, &c.configs, true);
    apply_connector(d, &mut sink.builtin, &mut sink.class_name, &mut sink.type_class_name, &mut sink.configs);
}

/// A Function's `sourceConfig`/`sinkConfig` read as its typed connector spec.
fn typed_connector<T: serde::de::DeserializeOwned + Default>(raw: &Option<crate::model::common::Config>) -> Option<T> {
    let raw = raw.as_ref()?;
    Some(serde_json::to_value(raw).ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}

/// Non-empty connector values replace the details' own; the type class only
/// fills an empty one (after the webhook's `"[B"` default it never does, as in
/// the operator).
fn apply_connector(
    d: ConnectorDetails,
    builtin: &mut String,
    class: &mut String,
    type_class: &mut String,
    configs: &mut String,
) {
    overwrite(builtin, d.builtin);
    overwrite(class, d.class_name);
    if type_class.is_empty() {
        overwrite(type_class, d.type_class_name);
    }
    overwrite(configs, d.configs);
}

fn overwrite(slot: &mut String, value: String) {
    if !value.is_empty() {
        *slot = value;
    }
}

/// The details as compact JSON.
pub fn to_json(details: &FunctionDetails) -> String {
    serde_json::to_string(details).expect("invariant: details serialize")
}
