//! HPA and VPA (reference §2.13–2.14). Both target the StatefulSet directly:
//! the operator targets the custom resource's scale subresource, which does not
//! exist without the operator (see docs/compatibility.md).

use crate::model::common::BuiltinHpaRule;
use crate::quantity::Quantity;
use crate::resolve::Component;
use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec, MetricTarget,
    ResourceMetricSource,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

fn target(comp: &Component) -> CrossVersionObjectReference {
    CrossVersionObjectReference {
        api_version: Some("apps/v1".into()),
        kind: "StatefulSet".into(),
        name: comp.workload_name(),
    }
}

/// limits / requests for a resource when both are set and non-zero, else 1.
fn factor(comp: &Component, resource: &str) -> f64 {
    let r = comp.spec.resources.as_ref();
    let get = |m: Option<
        &std::collections::BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >| { m.and_then(|m| m.get(resource)).and_then(|q| Quantity::parse(&q.0)) };
    let (req, lim) = (get(r.and_then(|r| r.requests.as_ref())), get(r.and_then(|r| r.limits.as_ref())));
    match (req, lim) {
        (Some(req), Some(lim)) if !req.is_zero() && !lim.is_zero() => {
            if resource == "cpu" {
                lim.milli() as f64 / req.milli() as f64
            } else {
                lim.ceil_i64() as f64 / req.ceil_i64() as f64
            }
        }
        _ => 1.0,
    }
}

fn utilization(resource: &str, percent: f64) -> MetricSpec {
    MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: resource.into(),
            target: MetricTarget {
                type_: "Utilization".into(),
                average_utilization: Some(percent as i32),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

/// A builtin rule's metric, scaled by the limit/request factor (truncated, like the operator).
pub fn builtin_metric(comp: &Component, rule: BuiltinHpaRule) -> MetricSpec {
    use BuiltinHpaRule::*;
    let (resource, percent) = match rule {
        AverageUtilizationCPUPercent80 => ("cpu", 80.0),
        AverageUtilizationCPUPercent50 => ("cpu", 50.0),
        AverageUtilizationCPUPercent20 => ("cpu", 20.0),
        AverageUtilizationMemoryPercent80 => ("memory", 80.0),
        AverageUtilizationMemoryPercent50 => ("memory", 50.0),
        AverageUtilizationMemoryPercent20 => ("memory", 20.0),
    };
    utilization(resource, percent * factor(comp, resource))
}

pub fn hpa(comp: &Component, meta: ObjectMeta) -> Option<HorizontalPodAutoscaler> {
    let max = comp.spec.max_replicas?;
    let min = comp.spec.min_replicas.unwrap_or(1);
    let pod = comp.spec.pod.clone().unwrap_or_default();
    let rules = pod.builtin_autoscaler.clone().unwrap_or_default();
    let custom_metrics = pod.auto_scaling_metrics.clone().filter(|m| !m.is_empty());
    let (metrics, behavior) = if !rules.is_empty() && max > min {
        let mut seen = Vec::new();
        let mut metrics = Vec::new();
        for rule in rules {
            let m = builtin_metric(comp, rule);
            let name = m.resource.as_ref().map(|r| r.name.clone()).unwrap_or_default();
            if !seen.contains(&name) {
                seen.push(name);
                metrics.push(m);
            }
        }
        (Some(metrics), None)
    } else if max > min && pod.auto_scaling_behavior.is_none() && custom_metrics.is_none() {
        (Some(vec![utilization("cpu", 80.0 * factor(comp, "cpu"))]), None)
    } else {
        (custom_metrics, pod.auto_scaling_behavior.clone())
    };
    Some(HorizontalPodAutoscaler {
        metadata: meta,
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: target(comp),
            min_replicas: Some(min),
            max_replicas: max,
            metrics,
            behavior,
        }),
        status: None,
    })
}

/// The VPA as JSON (there are no typed bindings for `autoscaling.k8s.io/v1`).
pub fn vpa(comp: &Component, meta: ObjectMeta) -> Option<serde_json::Value> {
    let v = comp.spec.pod.as_ref()?.vpa.as_ref()?;
    let mut spec = serde_json::Map::new();
    spec.insert(
        "targetRef".into(),
        serde_json::json!({ "apiVersion": "apps/v1", "kind": "StatefulSet", "name": comp.workload_name() }),
    );
    if let Some(u) = &v.update_policy {
        spec.insert("updatePolicy".into(), serde_json::Value::Object(u.clone()));
    }
    if let Some(r) = &v.resource_policy {
        spec.insert("resourcePolicy".into(), serde_json::Value::Object(r.clone()));
    }
    Some(serde_json::json!({
        "apiVersion": "autoscaling.k8s.io/v1",
        "kind": "VerticalPodAutoscaler",
        "metadata": serde_json::to_value(meta).expect("invariant: metadata serializes"),
        "spec": spec,
    }))
}
