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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PulsarMessaging {
    /// ConfigMap with `webServiceURL` and `brokerServiceURL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulsar_config: Option<String>,
    /// Legacy Secret with `clientAuthenticationPlugin` / `clientAuthenticationParameters`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_secret: Option<String>,
    /// Legacy Secret with TLS settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_config: Option<AuthConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_auth_config: Option<AuthConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TlsConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_insecure: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname_verification: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_secret_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth2_config: Option<OAuth2Config>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generic_auth: Option<GenericAuth>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Config {
    pub audience: String,
    pub issuer_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub key_secret_name: String,
    pub key_secret_key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericAuth {
    pub client_authentication_plugin: String,
    pub client_authentication_parameters: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stateful {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulsar: Option<PulsarStateStore>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PulsarStateStore {
    pub service_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub java_provider: Option<JavaStateProvider>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JavaStateProvider {
    pub class_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<Config>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// Secret name.
    pub path: String,
    /// Key inside the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Liveness {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VpaSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_policy: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodPolicy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tolerations: Option<Vec<Toleration>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<PodSecurityContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volumes: Option<Vec<Volume>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Vec<LocalObjectReference>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Vec<Container>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sidecars: Option<Vec<Container>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builtin_autoscaler: Option<Vec<BuiltinHpaRule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_metrics: Option<Vec<MetricSpec>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_scaling_behavior: Option<HorizontalPodAutoscalerBehavior>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpa: Option<VpaSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<EnvVar>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Liveness>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeLogConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<LogLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotate_policy: Option<RotatePolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<LogFormat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_config: Option<LogConfigRef>,
    #[serde(rename = "javaLog4JConfigFileType", skip_serializing_if = "Option::is_none")]
    pub java_log4j_config_file_type: Option<Log4jFileType>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LogConfigRef {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct JavaRuntime {
    pub jar: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jar_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_dependencies_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<RuntimeLogConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub java_opts: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_class: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PythonRuntime {
    pub py: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub py_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<RuntimeLogConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GoRuntime {
    pub go: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub go_location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<RuntimeLogConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericRuntime {
    pub function_file: String,
    pub language: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_file_location: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CryptoSecret {
    pub secret_name: String,
    pub secret_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_volume: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CryptoConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crypto_key_reader_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crypto_key_reader_config: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_keys: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_crypto_failure_action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_crypto_failure_action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crypto_secrets: Option<Vec<CryptoSecret>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// Note the lower-case `n`, as in the operator's CRD.
    #[serde(rename = "serdeClassname", skip_serializing_if = "Option::is_none")]
    pub serde_classname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_regex_pattern: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema_properties: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer_properties: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_queue_size: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crypto_config: Option<CryptoConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InputConf {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_pattern: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_serde_sources: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_schema_sources: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProducerConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pending_messages: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pending_messages_across_partitions: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_thread_local_producers: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crypto_config: Option<CryptoConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_builder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression_type: Option<CompressionType>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutputConf {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_serde_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_schema_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer_conf: Option<ProducerConfig>,
    /// topic → JSON string of a ConsumerConfig (only `output.topic`'s entry is read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_schema_sinks: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WindowGuarantee {
    AtleastOnce,
    AtmostOnce,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WindowConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_window_function_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_length_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_length_duration_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sliding_interval_count: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sliding_interval_duration_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub late_data_topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_lag_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark_emit_interval_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_extractor_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_guarantees: Option<WindowGuarantee>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchSourceConfig {
    pub discovery_triggerer_class_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery_triggerer_config: Option<Config>,
}

/// Function `sourceConfig`: replace the function's input with a source connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceConnectorSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_source_config: Option<BatchSourceConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configs: Option<Config>,
}

/// Function `sinkConfig`: replace the function's output with a sink connector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SinkConnectorSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configs: Option<Config>,
}
