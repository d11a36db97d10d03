//! The native mesh DSL (`fmc.functionmesh.io/v1alpha1`, kind `Mesh`), as typed input.
//!
//! A mesh declares its Pulsar clusters, schemas and topics once, by logical name,
//! and its functions, sources and sinks refer to them. The `lower` stage turns a
//! mesh into the same components operator resources become, so one renderer and
//! one set of checks serve both; docs/dsl.md is the user's reference.
//!
//! Like the operator model, every field is an `Option` so the parse stage's
//! decode/encode round trip finds unknown fields at any depth.

use super::common::{Config, PodPolicy, ProducerConfig, RuntimeLogConfig, Stateful, WindowConfig};
use super::spec::{ComponentSpec, ProcessingGuarantee, SubscriptionPosition};
use crate::types::{Compatibility, KeyValueEncoding, Kind};
use k8s_openapi::api::core::v1::ResourceRequirements;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `Mesh.spec`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeshDslSpec {
    /// Values every component and topic inherits unless it sets its own.
    pub defaults: Option<Defaults>,
    /// Pulsar clusters by name.
    pub clusters: Option<BTreeMap<String, ClusterDecl>>,
    /// Named schemas.
    pub schemas: Option<BTreeMap<String, SchemaDecl>>,
    /// Topics by logical name.
    pub topics: Option<BTreeMap<String, TopicDecl>>,
    /// Pulsar tenants the mesh uses, by name: what `--provision` sets on them
    /// (a tenant the mesh uses but does not list here is provisioned with none).
    pub tenants: Option<BTreeMap<String, TenantDecl>>,
    /// Pulsar namespaces the mesh uses, by `tenant/namespace`: their policies
    /// under `--provision`.
    pub namespaces: Option<BTreeMap<String, NamespaceDecl>>,
    pub functions: Option<BTreeMap<String, ComponentDecl>>,
    pub sources: Option<BTreeMap<String, ComponentDecl>>,
    pub sinks: Option<BTreeMap<String, ComponentDecl>>,
    /// Environments by name: each a merge patch (RFC 7386) of this `spec`,
    /// applied with `fmc build --env NAME`.
    pub environments: Option<BTreeMap<String, Environment>>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Defaults {
    /// Pulsar tenant of components and topics (Pulsar's default: `public`).
    pub tenant: Option<String>,
    /// Pulsar namespace of components and topics (Pulsar's default: `default`).
    pub namespace: Option<String>,
    /// The cluster components run against.
    pub cluster: Option<String>,
    pub parallelism: Option<i32>,
    pub resources: Option<ResourceRequirements>,
    /// Runner image for every component that sets none.
    pub image: Option<String>,
    pub processing_guarantee: Option<ProcessingGuarantee>,
    pub subscription_position: Option<SubscriptionPosition>,
    /// A PodDisruptionBudget for every component that can run more than one replica.
    pub disruption_budget: Option<DisruptionBudget>,
    /// A Prometheus Operator monitor for every component's metrics port.
    pub monitor: Option<crate::options::MonitorKind>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterDecl {
    /// `pulsar://host:6650` or `pulsar+ssl://host:6651`.
    pub broker_service_url: Option<String>,
    /// `http://host:8080` or `https://host:8443`.
    pub web_service_url: Option<String>,
    /// Use this existing ConfigMap (keys `webServiceURL`, `brokerServiceURL`)
    /// instead of generating one from the URLs above.
    pub pulsar_config: Option<String>,
    pub tls: Option<ClusterTls>,
    pub auth: Option<ClusterAuth>,
    /// Pulsar's own name for the cluster (`pulsar-admin clusters list`): the
    /// `clusterName` of every component on it (default `kubernetes`).
    pub cluster_name: Option<String>,
    /// `--provision`: an existing `PulsarConnection` to provision this
    /// cluster's resources through, instead of one generated from the URLs.
    pub pulsar_connection: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterTls {
    pub enabled: Option<bool>,
    pub allow_insecure: Option<bool>,
    pub hostname_verification: Option<bool>,
    /// CA certificate, from a Secret.
    pub ca_cert: Option<SecretKeyRef>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterAuth {
    /// A JWT, from a Secret (never inline).
    pub token: Option<Credential>,
    pub oauth2: Option<ClusterOAuth2>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterOAuth2 {
    pub issuer_url: String,
    pub audience: String,
    pub scope: Option<String>,
    /// The OAuth2 client id: the generated `PulsarConnection` needs it
    /// (`authentication.oauth2.clientID`).
    pub client_id: Option<String>,
    /// The OAuth2 private key file, from a Secret (never inline).
    pub private_key: Credential,
}

/// A reference to one key of a Secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretKeyRef {
    pub secret: String,
    pub key: String,
}

/// A credential: a Secret reference. A plain string is accepted by the parser
/// only so that the resolver can refuse it with a precise diagnostic (R009).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Credential {
    Secret(SecretKeyRef),
    Inline(String),
}

impl Default for Credential {
    fn default() -> Self {
        Credential::Secret(SecretKeyRef::default())
    }
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDecl {
    /// The Pulsar schema type.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// AVRO / JSON: the Avro record definition, inline (YAML or a JSON string).
    pub definition: Option<serde_json::Value>,
    /// AVRO / JSON: an `.avsc` file; PROTOBUF / PROTOBUF_NATIVE: a `.proto` file.
    /// Relative to the file that declares the mesh.
    pub file: Option<String>,
    /// PROTOBUF / PROTOBUF_NATIVE: the full message name (`shop.Order`).
    pub message: Option<String>,
    /// KEY_VALUE: the key's schema, by name.
    pub key: Option<String>,
    /// KEY_VALUE: the value's schema, by name.
    pub value: Option<String>,
    /// KEY_VALUE: `INLINE` (default) or `SEPARATED`.
    pub encoding: Option<KeyValueEncoding>,
    /// The Java class payloads of this schema are read and written as: a Java
    /// component's `input.typeClassName` / `output.typeClassName` (else `[B`).
    pub type_class_name: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopicDecl {
    /// The full topic address, written verbatim (`persistent://t/ns/name`);
    /// when absent it is built from the fields below and the defaults.
    pub topic: Option<String>,
    pub tenant: Option<String>,
    pub namespace: Option<String>,
    /// Topic name; defaults to the logical name.
    pub name: Option<String>,
    /// `false` for a non-persistent topic.
    pub persistent: Option<bool>,
    pub partitions: Option<u32>,
    /// The schema the topic holds, by name.
    pub schema: Option<String>,
    /// The topic's schema compatibility strategy (Pulsar's default: FULL).
    pub compatibility: Option<Compatibility>,
    /// Schemas the topic held before, oldest first (transitive checks use them).
    pub history: Option<Vec<String>>,
    /// Produced or consumed outside the mesh.
    pub external: Option<bool>,
    /// Several producers write here on purpose (no fan-in warning).
    pub multiple_producers: Option<bool>,
    /// Mesh clusters this topic is geo-replicated across (Pulsar's
    /// replication clusters): only then do its readers on one of them read
    /// what its writers on another write. Without it, the topic on each
    /// cluster is a topic of its own.
    pub replication_clusters: Option<Vec<String>>,
    /// `--provision`: the topic's policies (`PulsarTopic` fields of the same names).
    pub policies: Option<TopicPolicies>,
    /// `--provision`: whether deleting the `PulsarTopic` deletes the topic
    /// and its data (default `KeepAfterDeletion`: it does not).
    pub lifecycle_policy: Option<LifecyclePolicy>,
}

/// Whether deleting a provisioning object deletes what it made in Pulsar
/// (the pulsar-resources-operator's `lifecyclePolicy`). fmc's default is
/// `KeepAfterDeletion`: removing a mesh from Git never deletes data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LifecyclePolicy {
    KeepAfterDeletion,
    CleanUpAfterDeletion,
}

impl LifecyclePolicy {
    pub fn name(self) -> &'static str {
        match self {
            LifecyclePolicy::KeepAfterDeletion => "KeepAfterDeletion",
            LifecyclePolicy::CleanUpAfterDeletion => "CleanUpAfterDeletion",
        }
    }
}

/// What happens to producers when a backlog quota is exceeded (`backlogQuotaRetentionPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BacklogQuotaRetentionPolicy {
    ProducerRequestHold,
    ProducerException,
    ConsumerBacklogEviction,
}

/// How a backlog quota is measured (`backlogQuotaType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BacklogQuotaType {
    DestinationStorage,
    MessageAge,
}

/// Policies a topic and a namespace share; each sets the pulsar-resources-operator
/// field of the same name. Durations are `30m`, `12h`, `7d`, `2w` or `-1`
/// (infinite); sizes are Kubernetes quantities (`10Gi`) or `-1`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Policies {
    /// `retentionTime`: how long acknowledged messages are kept.
    pub retention_time: Option<String>,
    /// `retentionSize`: how much acknowledged data is kept.
    pub retention_size: Option<String>,
    /// `messageTTL`: unacknowledged messages older than this are acknowledged for every subscription.
    #[serde(rename = "messageTTL")]
    pub message_ttl: Option<String>,
    /// `backlogQuotaLimitSize`: the backlog size limit.
    pub backlog_quota_limit_size: Option<String>,
    /// `backlogQuotaLimitTime`: the backlog age limit.
    pub backlog_quota_limit_time: Option<String>,
    /// `backlogQuotaRetentionPolicy`: what a full backlog does to producers
    /// (required with a backlog limit).
    pub backlog_quota_retention_policy: Option<BacklogQuotaRetentionPolicy>,
    /// `backlogQuotaType`: `destination_storage` (size) or `message_age` (time).
    pub backlog_quota_type: Option<BacklogQuotaType>,
    /// `deduplication`: drop messages a producer sends twice.
    pub deduplication: Option<bool>,
    /// `compactionThreshold`: backlog bytes that trigger topic compaction.
    pub compaction_threshold: Option<i64>,
    /// `schemaValidationEnforced`: refuse producers that bring no schema.
    pub schema_validation_enforced: Option<bool>,
    /// `maxConsumersPerSubscription`.
    pub max_consumers_per_subscription: Option<i32>,
}

/// `spec.topics.<name>.policies`: [`Policies`] and the topic-only fields.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TopicPolicies {
    #[serde(flatten)]
    pub common: Policies,
    /// `maxProducers`.
    pub max_producers: Option<i32>,
    /// `maxConsumers`.
    pub max_consumers: Option<i32>,
    /// `maxUnAckedMessagesPerConsumer`.
    #[serde(rename = "maxUnAckedMessagesPerConsumer")]
    pub max_unacked_messages_per_consumer: Option<i32>,
    /// `maxUnAckedMessagesPerSubscription`.
    #[serde(rename = "maxUnAckedMessagesPerSubscription")]
    pub max_unacked_messages_per_subscription: Option<i32>,
    /// `maxMessageSize`, in bytes.
    pub max_message_size: Option<i32>,
    /// `properties`: the topic's own properties.
    pub properties: Option<BTreeMap<String, String>>,
}

/// `spec.namespaces.<tenant/namespace>`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceDecl {
    /// `false`: the namespace exists and is managed elsewhere; no
    /// `PulsarNamespace` is rendered for it (default `true`).
    pub provision: Option<bool>,
    /// Defaults of every topic in the namespace ([`Policies`]).
    pub policies: Option<NamespacePolicies>,
    /// `lifecyclePolicy` (default `KeepAfterDeletion`).
    pub lifecycle_policy: Option<LifecyclePolicy>,
}

/// `spec.namespaces.<name>.policies`: [`Policies`] and the namespace-only fields.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespacePolicies {
    #[serde(flatten)]
    pub common: Policies,
    /// `bundles`: how many bundles the namespace is split into.
    pub bundles: Option<i32>,
    /// `maxProducersPerTopic`.
    pub max_producers_per_topic: Option<i32>,
    /// `maxConsumersPerTopic`.
    pub max_consumers_per_topic: Option<i32>,
    /// `schemaCompatibilityStrategy` of the namespace (each provisioned
    /// topic also carries its own).
    pub schema_compatibility_strategy: Option<Compatibility>,
}

/// `spec.tenants.<name>`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantDecl {
    /// `false`: the tenant exists and is managed elsewhere (the operator
    /// would otherwise set its admin roles and clusters to these); no
    /// `PulsarTenant` is rendered for it (default `true`).
    pub provision: Option<bool>,
    /// `adminRoles`: roles that administer the tenant.
    pub admin_roles: Option<Vec<String>>,
    /// `allowedClusters`: Pulsar cluster names the tenant may use (default:
    /// the `clusterName` of every mesh cluster it is provisioned on).
    pub allowed_clusters: Option<Vec<String>>,
    /// `lifecyclePolicy` (default `KeepAfterDeletion`).
    pub lifecycle_policy: Option<LifecyclePolicy>,
}

/// A topic by logical name, or with the schema this end reads or writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum TopicRef {
    Name(String),
    Detailed(TopicUse),
}

/// `route:` of a native function: a jq program names, per message, the
/// route(s) it goes to unchanged; `topics` maps route names to topics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouteDecl {
    pub jq: String,
    pub topics: BTreeMap<String, TopicRef>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopicUse {
    pub topic: String,
    /// The schema this end reads or writes; defaults to the topic's.
    pub schema: Option<String>,
}

impl TopicRef {
    pub fn topic(&self) -> &str {
        match self {
            TopicRef::Name(n) => n,
            TopicRef::Detailed(d) => &d.topic,
        }
    }

    pub fn schema(&self) -> Option<&str> {
        match self {
            TopicRef::Name(_) => None,
            TopicRef::Detailed(d) => d.schema.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Java,
    Python,
    Go,
    /// fmc's own runner (a WebAssembly or built-in function).
    Native,
}

/// A function, source or sink of the mesh.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComponentDecl {
    /// Pulsar name; defaults to the key. The key names the Kubernetes objects.
    pub name: Option<String>,
    pub runtime: Option<Runtime>,
    /// What runs a `python` function: `operator` (the upstream Python
    /// instance) or `fmc` (fmc's runner); `fmc build --python-runner` otherwise.
    /// What starts a `go` function: `operator` (its Go runner image) or `fmc`
    /// (fmc's runner image launches the binary); `fmc build --go-runner` otherwise.
    pub runner: Option<crate::options::RunnerChoice>,
    /// The package file inside the image (a jar, a `.py`/`.zip`/`.whl`, a Go binary).
    pub file: Option<String>,
    /// Where to download the package from (`function://`, `sink://`, `source://`, `http(s)://`).
    pub package: Option<String>,
    pub class_name: Option<String>,
    pub image: Option<String>,
    /// Native runtime: a jq program over JSON payloads (instead of a `file`).
    pub jq: Option<String>,
    /// Native runtime: the hex SHA-256 the WebAssembly `file` must have.
    pub sha256: Option<String>,
    /// Native runtime: content-based routing (instead of `jq` or a module).
    pub route: Option<RouteDecl>,
    /// Native runtime: topics a WebAssembly module may write to by name,
    /// besides `output` (the SDKs' `output_to(NAME, …)`).
    pub topics: Option<BTreeMap<String, TopicRef>>,
    pub inputs: Option<Vec<TopicRef>>,
    pub output: Option<TopicRef>,
    pub parallelism: Option<i32>,
    pub autoscaling: Option<Autoscaling>,
    pub resources: Option<ResourceRequirements>,
    /// A PodDisruptionBudget when the component can run more than one replica
    /// (overrides `defaults.disruptionBudget`; `false` opts out).
    pub disruption_budget: Option<DisruptionBudget>,
    /// A Prometheus Operator monitor for the metrics port (overrides `defaults.monitor`).
    pub monitor: Option<crate::options::MonitorKind>,
    /// Environment variable → Secret key.
    pub secrets: Option<BTreeMap<String, SecretKeyRef>>,
    /// The function's user config, or the connector's config.
    pub config: Option<Config>,
    pub processing_guarantee: Option<ProcessingGuarantee>,
    pub subscription: Option<Subscription>,
    pub retries: Option<Retries>,
    pub timeout_ms: Option<i32>,
    /// Topic (logical name) for the component's log lines.
    pub log_topic: Option<String>,
    pub cluster: Option<String>,
    pub tenant: Option<String>,
    pub namespace: Option<String>,
    /// Labels and annotations of the component (as on a custom resource).
    pub labels: Option<BTreeMap<String, String>>,
    pub annotations: Option<BTreeMap<String, String>>,
    pub pod: Option<PodPolicy>,
    /// The main container's volume mounts (volumes are in `pod`).
    pub volume_mounts: Option<Vec<k8s_openapi::api::core::v1::VolumeMount>>,
    pub image_pull_policy: Option<String>,
    /// Acknowledge each message once processed (Pulsar's `autoAck`, default true).
    pub auto_ack: Option<bool>,
    pub max_pending_async_requests: Option<i32>,
    pub forward_source_message_property: Option<bool>,
    pub negative_ack_redelivery_delay_ms: Option<i32>,
    /// Start from the latest message after a restart.
    pub skip_to_latest: Option<bool>,
    /// Extra flags for the instance's JVM or interpreter.
    pub runtime_flags: Option<String>,
    /// Java runtime: JVM options.
    pub java_opts: Option<Vec<String>>,
    /// Java runtime: the folder of extra jars inside the image.
    pub extra_dependencies_dir: Option<String>,
    /// Who sends `logTopic` lines: `runtime` (functions' default) or `sidecar`.
    pub log_topic_agent: Option<crate::model::spec::LogTopicAgent>,
    /// The runtime's logging: level, format, rotation, or a log config ConfigMap.
    pub log: Option<RuntimeLogConfig>,
    /// Windowing (Pulsar's `windowConfig`).
    pub window: Option<WindowConfig>,
    /// State storage (Pulsar's `statefulConfig`).
    pub state: Option<Stateful>,
    /// The output's producer settings: batching, compression, pending limits, encryption.
    pub producer: Option<ProducerConfig>,
    /// Escape hatch: any field of the operator's Function/Source/Sink spec.
    /// The fields above win over the same fields here.
    pub spec: Option<ComponentSpec>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Autoscaling {
    /// Defaults to `parallelism`.
    pub min_parallelism: Option<i32>,
    pub max_parallelism: i32,
    /// Target average CPU utilisation: 20, 50 or 80 (percent).
    pub cpu_percent: Option<u8>,
    /// Target average memory utilisation: 20, 50 or 80 (percent).
    pub memory_percent: Option<u8>,
    /// Scale on the subscription's backlog with a KEDA `ScaledObject`
    /// (Pulsar scaler) instead of an HPA on CPU or memory.
    pub backlog: Option<BacklogScaling>,
}

/// KEDA's Pulsar scaler settings (`triggers[].metadata`).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BacklogScaling {
    /// `msgBacklogThreshold`: the backlog per replica KEDA aims at.
    pub msg_backlog_threshold: i64,
    /// `activationMsgBacklogThreshold`: the backlog that wakes a component
    /// scaled to zero (only with `minParallelism: 0`).
    pub activation_msg_backlog_threshold: Option<i64>,
}

/// `disruptionBudget: true`, `false`, or `{maxUnavailable: 1 | "25%"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DisruptionBudget {
    Enabled(bool),
    Limits(DisruptionLimits),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisruptionLimits {
    /// Pods that may be down at once during a voluntary disruption (default 1).
    pub max_unavailable: k8s_openapi::apimachinery::pkg::util::intstr::IntOrString,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub name: Option<String>,
    pub position: Option<SubscriptionPosition>,
    /// Pulsar's subscription type: `shared` (the default), `failover` (the
    /// operator's `retainOrdering`) or `key_shared` (`retainKeyOrdering`).
    #[serde(rename = "type")]
    pub kind: Option<SubscriptionType>,
    /// Delete the subscription when the component is deleted (`cleanupSubscription`).
    pub cleanup: Option<bool>,
}

/// The subscription types a Function Mesh component can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionType {
    Shared,
    Failover,
    KeyShared,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Retries {
    /// Deliveries before a message goes to the dead-letter topic.
    pub max: i32,
    /// Dead-letter topic (logical name).
    pub dead_letter_topic: Option<String>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// Merged into the mesh's `defaults`.
    pub defaults: Option<serde_json::Value>,
    pub clusters: Option<BTreeMap<String, serde_json::Value>>,
    pub schemas: Option<BTreeMap<String, serde_json::Value>>,
    pub topics: Option<BTreeMap<String, serde_json::Value>>,
    pub tenants: Option<BTreeMap<String, serde_json::Value>>,
    pub namespaces: Option<BTreeMap<String, serde_json::Value>>,
    pub functions: Option<BTreeMap<String, serde_json::Value>>,
    pub sources: Option<BTreeMap<String, serde_json::Value>>,
    pub sinks: Option<BTreeMap<String, serde_json::Value>>,
    /// By component key, whichever of `functions`, `sources` and `sinks` holds it.
    pub components: Option<BTreeMap<String, serde_json::Value>>,
}
