//! The operator's admission defaults, applied at compile time.
//!
//! In a cluster these come from the CRD schema (`minReplicas: 1`) and the
//! mutating webhook (`pkg/webhook/*_webhook.go`); the controller then
//! dereferences some of them without checks. fmc applies all of them here, once,
//! so later stages read plain values. Deliberate differences: the webhook's
//! no-op resource defaults are not reproduced (they never took effect), and the
//! window defaults that crash the webhook on nil pointers are applied as intended.

use crate::model::common::{InputConf, OutputConf, ProducerConfig};
use crate::model::spec::{LogTopicAgent, ProcessingGuarantee};
use crate::model::{ComponentKind, ComponentSpec};

pub const DEFAULT_TENANT: &str = "public";
pub const DEFAULT_PULSAR_NAMESPACE: &str = "default";
pub const DEFAULT_CLUSTER: &str = "kubernetes";
pub const BYTES_TYPE: &str = "[B";

/// Applies every default for `kind` to `spec`; `cr_name` is the default Pulsar name.
pub fn apply(kind: ComponentKind, cr_name: &str, spec: &mut ComponentSpec) {
    // CRD default first (minReplicas: 1), then the webhook's replicas default.
    let min = *spec.min_replicas.get_or_insert(1);
    spec.replicas.get_or_insert(min);
    spec.name.get_or_insert_with(|| cr_name.to_string());
    spec.tenant.get_or_insert_with(|| DEFAULT_TENANT.into());
    spec.namespace.get_or_insert_with(|| DEFAULT_PULSAR_NAMESPACE.into());
    spec.cluster_name.get_or_insert_with(|| DEFAULT_CLUSTER.into());
    spec.processing_guarantee.get_or_insert(ProcessingGuarantee::AtleastOnce);
    if spec.log_topic.as_deref().is_some_and(|t| !t.is_empty()) && spec.log_topic_agent.is_none() {
        spec.log_topic_agent = Some(match kind {
            ComponentKind::Function => LogTopicAgent::Runtime,
            ComponentKind::Source | ComponentKind::Sink => LogTopicAgent::Sidecar,
        });
    }
    match kind {
        ComponentKind::Function => function_defaults(spec),
        ComponentKind::Source => source_defaults(spec),
        ComponentKind::Sink => sink_defaults(spec),
    }
}

fn function_defaults(spec: &mut ComponentSpec) {
    spec.auto_ack.get_or_insert(true);
    spec.max_pending_async_requests.get_or_insert(1000);
    spec.forward_source_message_property.get_or_insert(true);
    default_type(&mut spec.input.get_or_insert_with(InputConf::default).type_class_name);
    default_type(&mut spec.output.get_or_insert_with(OutputConf::default).type_class_name);
    if let Some(w) = spec.window_config.as_mut() {
        if w.window_length_duration_ms.is_some() && w.sliding_interval_duration_ms.is_none() {
            w.sliding_interval_duration_ms = w.window_length_duration_ms;
        }
        if w.window_length_count.is_some() && w.sliding_interval_count.is_none() {
            w.max_lag_ms.get_or_insert(0);
            w.watermark_emit_interval_ms.get_or_insert(1000);
        }
    }
}

fn source_defaults(spec: &mut ComponentSpec) {
    spec.forward_source_message_property.get_or_insert(true);
    let output = spec.output.get_or_insert_with(OutputConf::default);
    default_type(&mut output.type_class_name);
    output.producer_conf.get_or_insert_with(|| ProducerConfig {
        max_pending_messages: Some(1000),
        max_pending_messages_across_partitions: Some(1000),
        use_thread_local_producers: Some(true),
        ..ProducerConfig::default()
    });
}

fn sink_defaults(spec: &mut ComponentSpec) {
    spec.auto_ack.get_or_insert(true);
    default_type(&mut spec.input.get_or_insert_with(InputConf::default).type_class_name);
}

fn default_type(slot: &mut Option<String>) {
    if slot.as_deref().is_none_or(str::is_empty) {
        *slot = Some(BYTES_TYPE.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_follow_the_crd_then_webhook_order() {
        let mut s = ComponentSpec { replicas: Some(3), ..Default::default() };
        apply(ComponentKind::Function, "f", &mut s);
        assert_eq!((s.replicas, s.min_replicas), (Some(3), Some(1)));
        let mut s = ComponentSpec { min_replicas: Some(2), ..Default::default() };
        apply(ComponentKind::Sink, "s", &mut s);
        assert_eq!((s.replicas, s.min_replicas), (Some(2), Some(2)));
    }

    #[test]
    fn log_agent_defaults_differ_by_kind() {
        let mut f = ComponentSpec { log_topic: Some("t".into()), ..Default::default() };
        apply(ComponentKind::Function, "f", &mut f);
        assert_eq!(f.log_topic_agent, Some(LogTopicAgent::Runtime));
        let mut s = ComponentSpec { log_topic: Some("t".into()), ..Default::default() };
        apply(ComponentKind::Source, "s", &mut s);
        assert_eq!(s.log_topic_agent, Some(LogTopicAgent::Sidecar));
        assert_eq!(s.output.unwrap().producer_conf.unwrap().max_pending_messages, Some(1000));
    }
}
