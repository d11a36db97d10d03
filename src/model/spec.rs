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
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentSpec {
    /// Pulsar name of the component; defaults to `metadata.name`.
    pub name: Option<String>,
    pub class_name: Option<String>,
    pub tenant: Option<String>,
    pub namespace: Option<String>,
    pub cluster_name: Option<String>,
    pub replicas: Option<i32>,
    pub show_precise_parallelism: Option<bool>,
    pub min_replicas: Option<i32>,
    pub max_replicas: Option<i32>,
    pub downloader_image: Option<String>,
    pub cleanup_image: Option<String>,
    pub input: Option<InputConf>,
    pub output: Option<OutputConf>,
    pub log_topic: Option<String>,
    pub log_topic_agent: Option<LogTopicAgent>,
    pub filebeat_image: Option<String>,
    pub func_config: Option<Config>,
    /// Function: a `SourceConnectorSpec`; Source: the connector's free-form config.
    pub source_config: Option<Config>,
    /// Function: a `SinkConnectorSpec`; Sink: the connector's free-form config.
    pub sink_config: Option<Config>,
    /// Source only; declared by the operator but unused.
    pub source_type: Option<String>,
    /// Sink only; declared by the operator but unused.
    pub sink_type: Option<String>,
    pub batch_source_config: Option<BatchSourceConfig>,
    pub negative_ack_redelivery_delay_ms: Option<i32>,
    pub resources: Option<ResourceRequirements>,
    pub secrets_map: Option<BTreeMap<String, SecretRef>>,
    pub volume_mounts: Option<Vec<VolumeMount>>,
    pub timeout: Option<i32>,
    pub auto_ack: Option<bool>,
    pub max_message_retry: Option<i32>,
    pub processing_guarantee: Option<ProcessingGuarantee>,
    pub retain_ordering: Option<bool>,
    pub retain_key_ordering: Option<bool>,
    pub dead_letter_topic: Option<String>,
    pub forward_source_message_property: Option<bool>,
    pub max_pending_async_requests: Option<i32>,
    pub runtime_flags: Option<String>,
    pub subscription_name: Option<String>,
    pub cleanup_subscription: Option<bool>,
    pub subscription_position: Option<SubscriptionPosition>,
    pub skip_to_latest: Option<bool>,
    pub pod: Option<PodPolicy>,
    pub window_config: Option<WindowConfig>,
    pub pulsar: Option<PulsarMessaging>,
    pub pulsar_package_service: Option<PulsarMessaging>,
    pub java: Option<JavaRuntime>,
    pub python: Option<PythonRuntime>,
    pub golang: Option<GoRuntime>,
    pub generic_runtime: Option<GenericRuntime>,
    pub image: Option<String>,
    pub image_pull_policy: Option<String>,
    pub image_has_pulsarctl: Option<bool>,
    /// Sic: the operator's JSON name for `ImageHasWget`.
    pub image_has_get: Option<bool>,
    pub stateful_config: Option<Stateful>,
    pub volume_claim_templates: Option<Vec<PersistentVolumeClaim>>,
    pub persistent_volume_claim_retention_policy: Option<StatefulSetPersistentVolumeClaimRetentionPolicy>,
}

/// `FunctionMesh.spec`: lists of member specs, each with its `name`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeshSpec {
    pub functions: Option<Vec<ComponentSpec>>,
    pub sources: Option<Vec<ComponentSpec>>,
    pub sinks: Option<Vec<ComponentSpec>>,
}

/// `BackendConfig.spec`: env and pod policy merged into every workload in scope.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackendConfigSpec {
    pub name: Option<String>,
    pub env: Option<BTreeMap<String, String>>,
    pub pod: Option<PodPolicy>,
    pub auto_update: Option<bool>,
}

/// fmc's own `ClusterProvided` document: objects the cluster already has, so
/// references to them are not reported as missing.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterProvidedSpec {
    /// ConfigMap names, `name` (any namespace) or `namespace/name`.
    pub config_maps: Option<Vec<String>>,
    /// Secret names, `name` (any namespace) or `namespace/name`.
    pub secrets: Option<Vec<String>>,
}
