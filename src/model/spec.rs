//! `FunctionSpec`, `SourceSpec` and `SinkSpec` as one typed union.
//!
//! The three specs share most fields; keeping one struct means one decoder, one
//! set of defaults and one renderer. Which fields a kind may use is the table
//! [`ComponentKind::foreign_fields`]; the parse stage reports a field of another
//! kind (for example `input` on a Source) as unknown, exactly like a typo.

use super::common::*;
use k8s_openapi::api::apps::v1::StatefulSetPersistentVolumeClaimRetentionPolicy;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, ResourceRequirements, VolumeMount};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentKind {
    Function,
    Source,
    Sink,
}

impl ComponentKind {
    pub fn from_kind(kind: &str) -> Option<Self> {
        match kind {
            "Function" => Some(Self::Function),
            "Source" => Some(Self::Source),
            "Sink" => Some(Self::Sink),
            _ => None,
        }
    }

    /// `Function` / `Source` / `Sink`.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Function => "Function",
            Self::Source => "Source",
            Self::Sink => "Sink",
        }
    }

    /// `function` / `source` / `sink`: the suffix of every derived object name.
    pub fn component(self) -> &'static str {
        match self {
            Self::Function => "function",
            Self::Source => "source",
            Self::Sink => "sink",
        }
    }

    /// Fields of the union that this kind's CRD does not have.
    pub fn foreign_fields(self) -> &'static [&'static str] {
        match self {
            Self::Function => &["batchSourceConfig", "sourceType", "sinkType", "negativeAckRedeliveryDelayMs"],
            Self::Source => &[
                "autoAck",
                "cleanupSubscription",
                "deadLetterTopic",
                "funcConfig",
                "input",
                "maxMessageRetry",
                "maxPendingAsyncRequests",
                "negativeAckRedeliveryDelayMs",
                "persistentVolumeClaimRetentionPolicy",
                "retainKeyOrdering",
                "retainOrdering",
                "sinkConfig",
                "sinkType",
                "skipToLatest",
                "subscriptionName",
                "subscriptionPosition",
                "timeout",
                "volumeClaimTemplates",
                "windowConfig",
            ],
            Self::Sink => &[
                "batchSourceConfig",
                "forwardSourceMessageProperty",
                "funcConfig",
                "maxPendingAsyncRequests",
                "output",
                "persistentVolumeClaimRetentionPolicy",
                "skipToLatest",
                "sourceConfig",
                "sourceType",
                "volumeClaimTemplates",
                "windowConfig",
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProcessingGuarantee {
    AtleastOnce,
    AtmostOnce,
    EffectivelyOnce,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionPosition {
    Latest,
    Earliest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogTopicAgent {
    Runtime,
    Sidecar,
}

/// The spec of a Function, Source or Sink (see [`ComponentKind::foreign_fields`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentSpec {
    /// Pulsar name of the component; defaults to `metadata.name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub show_precise_parallelism: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_replicas: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_replicas: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downloader_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<InputConf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<OutputConf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_topic_agent: Option<LogTopicAgent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filebeat_image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub func_config: Option<Config>,
    /// Function: a `SourceConnectorSpec`; Source: the connector's free-form config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_config: Option<Config>,
    /// Function: a `SinkConnectorSpec`; Sink: the connector's free-form config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_config: Option<Config>,
    /// Source only; declared by the operator but unused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_type: Option<String>,
    /// Sink only; declared by the operator but unused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sink_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_source_config: Option<BatchSourceConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negative_ack_redelivery_delay_ms: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets_map: Option<BTreeMap<String, SecretRef>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Option<Vec<VolumeMount>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_ack: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_message_retry: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_guarantee: Option<ProcessingGuarantee>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_ordering: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retain_key_ordering: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_topic: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_source_message_property: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_pending_async_requests: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_flags: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleanup_subscription: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription_position: Option<SubscriptionPosition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_to_latest: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_config: Option<WindowConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulsar: Option<PulsarMessaging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulsar_package_service: Option<PulsarMessaging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub java: Option<JavaRuntime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub python: Option<PythonRuntime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub golang: Option<GoRuntime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generic_runtime: Option<GenericRuntime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_has_pulsarctl: Option<bool>,
    /// Sic: the operator's JSON name for `ImageHasWget`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_has_get: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stateful_config: Option<Stateful>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_claim_templates: Option<Vec<PersistentVolumeClaim>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_volume_claim_retention_policy: Option<StatefulSetPersistentVolumeClaimRetentionPolicy>,
}

/// `FunctionMesh.spec`: lists of member specs, each with its `name`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeshSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<ComponentSpec>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<ComponentSpec>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sinks: Option<Vec<ComponentSpec>>,
}

/// `BackendConfig.spec`: env and pod policy merged into every workload in scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendConfigSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<PodPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_update: Option<bool>,
}

/// fmc's own `ClusterProvided` document: objects the cluster already has, so
/// references to them are not reported as missing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterProvidedSpec {
    /// ConfigMap names, `name` (any namespace) or `namespace/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_maps: Option<Vec<String>>,
    /// Secret names, `name` (any namespace) or `namespace/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<String>>,
}
