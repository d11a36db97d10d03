//! The objects around a component's workload, each opt-in ([`Around`]):
//!
//! - a `PodDisruptionBudget` (policy/v1) when the component can run more than
//!   one replica — with one, a budget either blocks every node drain or allows
//!   everything, so none is rendered;
//! - a Prometheus Operator `PodMonitor` or `ServiceMonitor` for the metrics
//!   port, with `honorLabels` so the Pulsar Functions labels (`namespace`,
//!   `name`, `cluster`, `fqfn`) that the Pulsar Grafana dashboards filter on
//!   win over the target's own, and the `kubernetes_namespace` /
//!   `kubernetes_pod_name` labels those dashboards use for pods;
//! - a KEDA `ScaledObject` with one Pulsar trigger per input (the
//!   subscription fmc rendered, the cluster's admin URL) and, for a cluster
//!   with a token or a CA certificate, a `TriggerAuthentication` that names
//!   their Secrets.
//!   KEDA makes the HPA itself; lowering refused a second one (R017).

use super::{Manifest, object_meta};
use crate::model::{BacklogTrigger, Provenance};
use crate::options::{BuildOptions, MonitorKind};
use crate::resolve::Component;
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::{Value, json};

pub const MONITORING_API: &str = "monitoring.coreos.com/v1";
pub const KEDA_API: &str = "keda.sh/v1alpha1";

pub fn render(comp: &Component, options: &BuildOptions, out: &mut Vec<Manifest>) {
    let around = &comp.around;
    if let Some(max_unavailable) = &around.disruption_budget
        && max_replicas(comp) > 1
    {
        let pdb = PodDisruptionBudget {
            metadata: object_meta(comp, options, comp.workload_name()),
            spec: Some(PodDisruptionBudgetSpec {
                max_unavailable: Some(max_unavailable.clone()),
                selector: Some(selector(comp)),
                ..Default::default()
            }),
            status: None,
        };
        out.push(Manifest::typed(&pdb, comp, options));
    }
    if let Some(kind) = around.monitor {
        push(comp, options, monitor(comp, options, kind), out);
    }
    if let Some(trigger) = &around.backlog {
        if trigger.bearer_token.is_some() || trigger.ca.is_some() {
            push(comp, options, trigger_authentication(comp, options, trigger), out);
        }
        push(comp, options, scaled_object(comp, options, trigger), out);
    }
}

/// The most replicas the component can run: its HPA's or KEDA's maximum, else its parallelism.
fn max_replicas(comp: &Component) -> i32 {
    let keda = comp.around.backlog.as_ref().map(|b| b.max_replicas);
    keda.or(comp.spec.max_replicas).unwrap_or(0).max(comp.spec.replicas.unwrap_or(1))
}

fn push(comp: &Component, options: &BuildOptions, value: Value, out: &mut Vec<Manifest>) {
    let mut m = Manifest::from_value(value, Provenance::generated(comp.origin.doc), options);
    m.namespace = comp.namespace.clone();
    out.push(m);
}

fn selector(comp: &Component) -> LabelSelector {
    LabelSelector { match_labels: Some(crate::resolve::labels::component_labels(comp)), match_expressions: None }
}

fn metadata(comp: &Component, options: &BuildOptions, name: String) -> Value {
    serde_json::to_value(object_meta(comp, options, name)).unwrap_or_default()
}

fn monitor(comp: &Component, options: &BuildOptions, kind: MonitorKind) -> Value {
    let relabelings = json!([
        {"sourceLabels": ["__meta_kubernetes_namespace"], "targetLabel": "kubernetes_namespace", "action": "replace"},
        {"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "kubernetes_pod_name", "action": "replace"},
    ]);
    // The port `render/pod.rs` names `http-metrics` (9094) on every main container.
    let endpoint = json!({
        "port": "http-metrics",
        "path": "/metrics",
        "honorLabels": true,
        "relabelings": relabelings,
    });
    let selector = json!({"matchLabels": crate::resolve::labels::component_labels(comp)});
    let (kind, spec) = match kind {
        MonitorKind::Service => ("ServiceMonitor", json!({"selector": selector, "endpoints": [endpoint]})),
        _ => ("PodMonitor", json!({"selector": selector, "podMetricsEndpoints": [endpoint]})),
    };
    json!({
        "apiVersion": MONITORING_API,
        "kind": kind,
        "metadata": metadata(comp, options, comp.workload_name()),
        "spec": spec,
    })
}

fn trigger_authentication_name(comp: &Component) -> String {
    format!("{}-pulsar", comp.workload_name())
}

/// The token (`bearerToken`) and CA (`ca`) KEDA reaches the admin API with,
/// as references to the Secrets the mesh's cluster names.
fn trigger_authentication(comp: &Component, options: &BuildOptions, trigger: &BacklogTrigger) -> Value {
    let refs: Vec<Value> = [("bearerToken", &trigger.bearer_token), ("ca", &trigger.ca)]
        .into_iter()
        .filter_map(|(parameter, r)| {
            r.as_ref().map(|r| json!({"parameter": parameter, "name": r.secret, "key": r.key}))
        })
        .collect();
    json!({
        "apiVersion": KEDA_API,
        "kind": "TriggerAuthentication",
        "metadata": metadata(comp, options, trigger_authentication_name(comp)),
        "spec": {"secretTargetRef": refs},
    })
}

fn scaled_object(comp: &Component, options: &BuildOptions, trigger: &BacklogTrigger) -> Value {
    let subscription = super::cleanup::subscription(comp);
    let triggers: Vec<Value> = trigger
        .topics
        .iter()
        .map(|(topic, partitioned)| {
            let mut metadata = json!({
                "adminURL": trigger.admin_url,
                "topic": topic,
                "subscription": subscription,
                "msgBacklogThreshold": trigger.msg_backlog_threshold.to_string(),
                "isPartitionedTopic": partitioned.to_string(),
            });
            if let Some(a) = trigger.activation_msg_backlog_threshold {
                metadata["activationMsgBacklogThreshold"] = a.to_string().into();
            }
            let mut t = json!({"type": "pulsar", "metadata": metadata});
            if trigger.bearer_token.is_some() {
                t["metadata"]["authModes"] = "bearer".into();
            }
            if trigger.bearer_token.is_some() || trigger.ca.is_some() {
                t["authenticationRef"] = json!({"name": trigger_authentication_name(comp)});
            }
            t
        })
        .collect();
    json!({
        "apiVersion": KEDA_API,
        "kind": "ScaledObject",
        "metadata": metadata(comp, options, comp.workload_name()),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": comp.workload_name()},
            "minReplicaCount": trigger.min_replicas,
            "maxReplicaCount": trigger.max_replicas,
            "triggers": triggers,
        },
    })
}
