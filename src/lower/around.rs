//! What a mesh component asks to be rendered around its workload: a
//! PodDisruptionBudget, a Prometheus Operator monitor, and backlog
//! autoscaling with KEDA instead of an HPA ([`Around`], rendered by
//! `render/around.rs`).
//!
//! Each is opt-in: the component's own field wins over `defaults`, which wins
//! over the build flag (`--disruption-budgets`, `--monitor`). Backlog
//! autoscaling is decided here because it needs what only the mesh knows: the
//! component's cluster URL and token, and which inputs are partitioned.
//! Codes: R017 (an HPA and KEDA for one component), R018 (backlog
//! autoscaling this component cannot have).

use super::MeshCtx;
use crate::diagnostics::Diagnostic;
use crate::model::dsl::{ClusterDecl, ComponentDecl, Credential, DisruptionBudget};
use crate::model::spec::ComponentSpec;
use crate::model::streams::DeclaredIo;
use crate::model::{Around, BacklogTrigger, ComponentKind};
use crate::options::MonitorKind;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeSet;

/// The component's [`Around`]; `partitioned` holds the addresses of the
/// mesh's partitioned topics; `path` is `[list, key]`.
pub fn around(
    ctx: &mut MeshCtx,
    decl: &ComponentDecl,
    spec: &ComponentSpec,
    io: &DeclaredIo,
    partitioned: &BTreeSet<String>,
    kind: ComponentKind,
    path: [&str; 2],
) -> Around {
    let defaults = ctx.defaults();
    let disruption_budget = match decl.disruption_budget.as_ref().or(defaults.disruption_budget.as_ref()) {
        Some(DisruptionBudget::Enabled(true)) => Some(IntOrString::Int(1)),
        Some(DisruptionBudget::Enabled(false)) => None,
        Some(DisruptionBudget::Limits(l)) => Some(l.max_unavailable.clone()),
        None => ctx.options.disruption_budgets.then_some(IntOrString::Int(1)),
    };
    let monitor = decl.monitor.or(defaults.monitor).or(ctx.options.monitor).filter(|m| *m != MonitorKind::None);
    let backlog = backlog(ctx, decl, spec, io, partitioned, kind, path);
    Around { disruption_budget, monitor, backlog }
}

/// Whether the component also asks for an HPA (R017 when it asks for KEDA too).
fn hpa_field(decl: &ComponentDecl, spec: &ComponentSpec) -> Option<&'static str> {
    let a = decl.autoscaling.as_ref();
    let pod = spec.pod.as_ref();
    if a.is_some_and(|a| a.cpu_percent.is_some()) {
        Some("autoscaling.cpuPercent")
    } else if a.is_some_and(|a| a.memory_percent.is_some()) {
        Some("autoscaling.memoryPercent")
    } else if spec.max_replicas.is_some() {
        Some("spec.maxReplicas")
    } else if pod.is_some_and(|p| p.builtin_autoscaler.is_some() || p.auto_scaling_metrics.is_some()) {
        Some("spec.pod (its HPA rules)")
    } else {
        None
    }
}

fn backlog(
    ctx: &mut MeshCtx,
    decl: &ComponentDecl,
    spec: &ComponentSpec,
    io: &DeclaredIo,
    partitioned: &BTreeSet<String>,
    kind: ComponentKind,
    [list, key]: [&str; 2],
) -> Option<BacklogTrigger> {
    let a = decl.autoscaling.as_ref()?;
    let b = a.backlog.as_ref()?;
    let span = ctx.key_span(&[list, key, "autoscaling", "backlog"]);
    if let Some(field) = hpa_field(decl, spec) {
        ctx.diags.push(two_autoscalers(span, key, field));
        return None;
    }
    if kind == ComponentKind::Source || io.inputs.is_empty() {
        ctx.diags.push(no_backlog(span, key, "it reads no topic, so it has no backlog to scale on"));
        return None;
    }
    let cluster_name = io.cluster.clone();
    let cluster = cluster_name.as_ref().and_then(|c| ctx.spec.clusters.as_ref()?.get(c).cloned());
    let Some(cluster) = cluster else {
        ctx.diags.push(no_backlog(span, key, "it runs on no declared cluster, so KEDA has no admin URL"));
        return None;
    };
    if let Some(p) = io.inputs.iter().find(|p| p.topic.starts_with("non-persistent://")) {
        let why = format!("its input `{}` is non-persistent, and a non-persistent topic keeps no backlog", p.topic);
        ctx.diags.push(no_backlog(span, key, &why));
        return None;
    }
    let (admin_url, bearer_token) = match admin_access(&cluster) {
        Ok(access) => access,
        Err(why) => {
            ctx.diags.push(no_backlog(span, key, &format!("cluster `{}` {why}", cluster_name.unwrap_or_default())));
            return None;
        }
    };
    let mut inputs: Vec<(String, bool)> =
        io.inputs.iter().map(|p| (p.topic.clone(), partitioned.contains(&p.topic))).collect();
    inputs.dedup();
    let min_replicas = a.min_parallelism.or(spec.replicas).unwrap_or(1);
    Some(BacklogTrigger {
        admin_url,
        msg_backlog_threshold: b.msg_backlog_threshold,
        activation_msg_backlog_threshold: b.activation_msg_backlog_threshold,
        min_replicas,
        max_replicas: a.max_parallelism,
        topics: inputs,
        bearer_token,
        ca: cluster.tls.as_ref().and_then(|t| t.ca_cert.clone()),
    })
}

/// The admin URL and token KEDA reaches the cluster with.
fn admin_access(cluster: &ClusterDecl) -> Result<(String, Option<crate::model::dsl::SecretKeyRef>), &'static str> {
    let url = cluster.web_service_url.clone().ok_or(
        "is given by `pulsarConfig`, whose admin URL is not known when compiling; give `webServiceUrl` and `brokerServiceUrl`",
    )?;
    let auth = cluster.auth.as_ref();
    if auth.is_some_and(|a| a.oauth2.is_some()) {
        return Err("uses OAuth2, which KEDA's Pulsar scaler takes as a client secret, not a key file; use token auth");
    }
    let token = match auth.and_then(|a| a.token.as_ref()) {
        Some(Credential::Secret(s)) => Some(s.clone()),
        _ => None,
    };
    Ok((url, token))
}

fn two_autoscalers(span: crate::source::Span, key: &str, field: &str) -> Diagnostic {
    Diagnostic::error("R017", span, format!("component `{key}` asks for backlog autoscaling and an HPA (`{field}`)"))
        .label("KEDA backlog autoscaling")
        .help(format!(
            "KEDA makes its own HPA for the StatefulSet, and two autoscalers fight over its replicas: keep `backlog` or `{field}`, not both"
        ))
}

fn no_backlog(span: crate::source::Span, key: &str, why: &str) -> Diagnostic {
    Diagnostic::error("R018", span, format!("component `{key}` cannot scale on its backlog: {why}"))
        .label("backlog autoscaling")
        .help("remove `autoscaling.backlog`, or scale on CPU or memory with `cpuPercent` / `memoryPercent`")
}
