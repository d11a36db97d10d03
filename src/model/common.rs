//! Building blocks shared by Function, Source and Sink specs
//! (`compute.functionmesh.io/v1alpha1`, the operator's `common.go`).
//!
//! Every field is an `Option` so that decoding then re-encoding a spec gives back
//! exactly the keys the user wrote; the parse stage relies on that round trip to
//! find unknown fields at any depth (including inside Kubernetes core types).

use k8s_openapi::api::autoscaling::v2::{HorizontalPodAutoscalerBehavior, MetricSpec};
use k8s_openapi::api::core::v1::{
    Affinity, Container, EnvVar, LocalObjectReference, PodSecurityContext, Probe, Toleration, Volume,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Free-form configuration (`funcConfig`, connector configs): any JSON object.
pub type Config = BTreeMap<String, serde_json::Value>;

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PulsarMessaging {
    /// ConfigMap with `webServiceURL` and `brokerServiceURL`.
    pub pulsar_config: Option<String>,
    /// Legacy Secret with `clientAuthenticationPlugin` / `clientAuthenticationParameters`.
    pub auth_secret: Option<String>,
    /// Legacy Secret with TLS settings.
    pub tls_secret: Option<String>,
    pub tls_config: Option<TlsConfig>,
    pub auth_config: Option<AuthConfig>,
    pub cleanup_auth_config: Option<AuthConfig>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TlsConfig {
    pub enabled: Option<bool>,
    pub allow_insecure: Option<bool>,
    pub hostname_verification: Option<bool>,
    pub cert_secret_name: Option<String>,
    pub cert_secret_key: Option<String>,
}

impl TlsConfig {
    /// The cert volume exists only when both name and key are set (operator `HasSecretVolume`).
    pub fn cert_volume(&self) -> Option<(&str, &str)> {
        match (self.cert_secret_name.as_deref(), self.cert_secret_key.as_deref()) {
            (Some(n), Some(k)) if !n.is_empty() && !k.is_empty() => Some((n, k)),
            _ => None,
        }
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthConfig {
    pub oauth2_config: Option<OAuth2Config>,
    pub generic_auth: Option<GenericAuth>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Config {
    pub audience: String,
    pub issuer_url: String,
    pub scope: Option<String>,
    pub key_secret_name: String,
    pub key_secret_key: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericAuth {
    pub client_authentication_plugin: String,
    pub client_authentication_parameters: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stateful {
    pub pulsar: Option<PulsarStateStore>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PulsarStateStore {
    pub service_url: String,
    pub java_provider: Option<JavaStateProvider>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JavaStateProvider {
    pub class_name: String,
    pub config: Option<Config>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// Secret name.
    pub path: String,
    /// Key inside the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Liveness {
    pub period_seconds: Option<i32>,
    pub initial_delay_seconds: Option<i32>,
    pub success_threshold: Option<i32>,
    pub failure_threshold: Option<i32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BuiltinHpaRule {
    AverageUtilizationCPUPercent80,
    AverageUtilizationCPUPercent50,
    AverageUtilizationCPUPercent20,
    AverageUtilizationMemoryPercent80,
    AverageUtilizationMemoryPercent50,
    AverageUtilizationMemoryPercent20,
}

/// `pod.vpa`: the VPA's update and resource policies, passed through to the
/// `autoscaling.k8s.io/v1` object (no typed Rust bindings exist for VPA).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpaSpec {
    pub update_policy: Option<serde_json::Map<String, serde_json::Value>>,
    pub resource_policy: Option<serde_json::Map<String, serde_json::Value>>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodPolicy {
    pub labels: Option<BTreeMap<String, String>>,
    pub node_selector: Option<BTreeMap<String, String>>,
    pub affinity: Option<Affinity>,
    pub tolerations: Option<Vec<Toleration>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub security_context: Option<PodSecurityContext>,
    pub termination_grace_period_seconds: Option<i64>,
    pub volumes: Option<Vec<Volume>>,
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    pub init_containers: Option<Vec<Container>>,
    pub sidecars: Option<Vec<Container>>,
    pub service_account_name: Option<String>,
    pub builtin_autoscaler: Option<Vec<BuiltinHpaRule>>,
    pub auto_scaling_metrics: Option<Vec<MetricSpec>>,
    pub auto_scaling_behavior: Option<HorizontalPodAutoscalerBehavior>,
    pub vpa: Option<VpaSpec>,
    pub env: Option<Vec<EnvVar>>,
    pub liveness: Option<Liveness>,
    pub startup_probe: Option<Probe>,
    pub disable_default_affinity: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Off,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
    All,
    Panic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RotatePolicy {
    TimedPolicyWithDaily,
    TimedPolicyWithWeekly,
    TimedPolicyWithMonthly,
    SizedPolicyWith10MB,
    SizedPolicyWith50MB,
    SizedPolicyWith100MB,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Log4jFileType {
    Yaml,
    Xml,
    Ini,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeLogConfig {
    pub level: Option<LogLevel>,
    pub rotate_policy: Option<RotatePolicy>,
    pub format: Option<LogFormat>,
    pub log_config: Option<LogConfigRef>,
    #[serde(rename = "javaLog4JConfigFileType", skip_serializing_if = "Option::is_none")]
    pub java_log4j_config_file_type: Option<Log4jFileType>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LogConfigRef {
    pub name: String,
    pub key: String,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JavaRuntime {
    pub jar: String,
    pub jar_location: Option<String>,
    pub extra_dependencies_dir: Option<String>,
    pub log: Option<RuntimeLogConfig>,
    pub java_opts: Option<Vec<String>>,
    pub instance_path: Option<String>,
    pub entry_class: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PythonRuntime {
    pub py: String,
    pub py_location: Option<String>,
    pub log: Option<RuntimeLogConfig>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoRuntime {
    pub go: String,
    pub go_location: Option<String>,
    pub log: Option<RuntimeLogConfig>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericRuntime {
    pub function_file: String,
    pub language: String,
    pub function_file_location: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CryptoSecret {
    pub secret_name: String,
    pub secret_key: String,
    pub as_volume: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CryptoConfig {
    pub crypto_key_reader_class_name: Option<String>,
    pub crypto_key_reader_config: Option<BTreeMap<String, String>>,
    pub encryption_keys: Option<Vec<String>>,
    pub producer_crypto_failure_action: Option<String>,
    pub consumer_crypto_failure_action: Option<String>,
    pub crypto_secrets: Option<Vec<CryptoSecret>>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerConfig {
    pub schema_type: Option<String>,
    /// Note the lower-case `n`, as in the operator's CRD.
    #[serde(rename = "serdeClassname", skip_serializing_if = "Option::is_none")]
    pub serde_classname: Option<String>,
    pub is_regex_pattern: Option<bool>,
    pub schema_properties: Option<BTreeMap<String, String>>,
    pub consumer_properties: Option<BTreeMap<String, String>>,
    pub receiver_queue_size: Option<i32>,
    pub crypto_config: Option<CryptoConfig>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InputConf {
    pub type_class_name: Option<String>,
    pub topics: Option<Vec<String>>,
    pub topic_pattern: Option<String>,
    pub custom_serde_sources: Option<BTreeMap<String, String>>,
    pub custom_schema_sources: Option<BTreeMap<String, String>>,
    pub source_specs: Option<BTreeMap<String, ConsumerConfig>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum CompressionType {
    None,
    Lz4,
    Zlib,
    Zstd,
    Snappy,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProducerConfig {
    pub max_pending_messages: Option<i32>,
    pub max_pending_messages_across_partitions: Option<i32>,
    pub use_thread_local_producers: Option<bool>,
    pub crypto_config: Option<CryptoConfig>,
    pub batch_builder: Option<String>,
    pub compression_type: Option<CompressionType>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputConf {
    pub type_class_name: Option<String>,
    pub topic: Option<String>,
    pub sink_serde_class_name: Option<String>,
    pub sink_schema_type: Option<String>,
    pub producer_conf: Option<ProducerConfig>,
    /// topic → JSON string of a ConsumerConfig (only `output.topic`'s entry is read).
    pub custom_schema_sinks: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WindowGuarantee {
    AtleastOnce,
    AtmostOnce,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowConfig {
    pub actual_window_function_class_name: Option<String>,
    pub window_length_count: Option<i32>,
    pub window_length_duration_ms: Option<i64>,
    pub sliding_interval_count: Option<i32>,
    pub sliding_interval_duration_ms: Option<i64>,
    pub late_data_topic: Option<String>,
    pub max_lag_ms: Option<i64>,
    pub watermark_emit_interval_ms: Option<i64>,
    pub timestamp_extractor_class_name: Option<String>,
    pub processing_guarantees: Option<WindowGuarantee>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchSourceConfig {
    pub discovery_triggerer_class_name: String,
    pub discovery_triggerer_config: Option<Config>,
}

/// Function `sourceConfig`: replace the function's input with a source connector.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceConnectorSpec {
    pub source_type: Option<String>,
    pub batch_source_config: Option<BatchSourceConfig>,
    pub class_name: Option<String>,
    pub type_class_name: Option<String>,
    pub configs: Option<Config>,
}

/// Function `sinkConfig`: replace the function's output with a sink connector.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SinkConnectorSpec {
    pub sink_type: Option<String>,
    pub class_name: Option<String>,
    pub type_class_name: Option<String>,
    pub configs: Option<Config>,
}
