//! C005 replicas, C006 VPA together with HPA, C011 builtin autoscaler rules,
//! C014 an autoscaler that cannot scale (`minReplicas` = `maxReplicas`).

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::common::BuiltinHpaRule;

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    replicas(ctx, &mut out);
    vpa(ctx, &mut out);
    builtin_rules(ctx, &mut out);
    fixed_range(ctx, &mut out);
    out
}

/// An HPA whose range is one number never scales, and the operator then drops
/// its builtin rules: said, not silently rendered.
fn fixed_range(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let (Some(max), min) = (s.max_replicas, s.min_replicas.unwrap_or(1)) else { return };
    if min != max || min <= 0 {
        return;
    }
    let rules = s.pod.as_ref().and_then(|p| p.builtin_autoscaler.as_ref()).is_some_and(|r| !r.is_empty());
    // A native mesh says it in its own words.
    let (low, high, builtin) = match ctx.comp.io {
        Some(_) => ("minParallelism", "maxParallelism", "`cpuPercent`/`memoryPercent` targets are"),
        None => ("minReplicas", "maxReplicas", "`builtinAutoscaler` rules are"),
    };
    let what = if rules { format!("; its {builtin} dropped") } else { String::new() };
    out.push(
        Diagnostic::warning(
            "C014",
            ctx.key(&["maxReplicas"]),
            format!("`{low}` and `{high}` are both {max}: the autoscaler never scales{what}"),
        )
        .label("the autoscaler's whole range")
        .help(format!("raise `{high}` above {min} to let it scale, or drop the autoscaler to run exactly {min}")),
    );
}

fn bad_replicas(ctx: &Ctx, field: &str, message: String) -> Diagnostic {
    Diagnostic::error("C005", ctx.span(&[field]), message)
        .label("inconsistent replica setting")
        .help("keep 0 < minReplicas <= replicas <= maxReplicas")
}

/// The webhook's replica rules (`validateReplicasAndMinReplicasAndMaxReplicas`),
/// after its defaults (`minReplicas` 1 from the CRD, `replicas` from it).
fn replicas(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let replicas = s.replicas.unwrap_or(1);
    let min = s.min_replicas.unwrap_or(1);
    if replicas < 0 {
        out.push(bad_replicas(ctx, "replicas", format!("`replicas` is negative ({replicas})")));
    }
    if min <= 0 {
        out.push(bad_replicas(ctx, "minReplicas", format!("`minReplicas` must be positive, got {min}")));
    } else if min > replicas {
        // A defaulted `minReplicas` (1) is not in the input: point at `replicas`.
        let at = if ctx.comp.origin.written(ctx.docs, &["minReplicas"]) { "minReplicas" } else { "replicas" };
        out.push(bad_replicas(ctx, at, format!("`minReplicas` ({min}) exceeds `replicas` ({replicas})")));
    }
    let Some(max) = s.max_replicas else { return };
    if replicas > max {
        out.push(bad_replicas(ctx, "replicas", format!("`replicas` ({replicas}) exceeds `maxReplicas` ({max})")));
    }
    if replicas == 0 {
        out.push(bad_replicas(ctx, "replicas", "`replicas` is 0 while an autoscaler is configured".into()));
    }
    if min > max {
        out.push(bad_replicas(ctx, "minReplicas", format!("`minReplicas` ({min}) exceeds `maxReplicas` ({max})")));
    }
}

fn vpa(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let Some(vpa) = s.pod.as_ref().and_then(|p| p.vpa.as_ref()) else { return };
    if s.max_replicas.is_some() {
        out.push(
            Diagnostic::error("C006", ctx.key(&["pod", "vpa"]), "`pod.vpa` and `maxReplicas` are both set")
                .label("VPA here")
                .with_secondary(ctx.key(&["maxReplicas"]), "HPA enabled here")
                .help("keep either the VPA or the HPA"),
        );
    }
    let policies = vpa.resource_policy.as_ref().and_then(|r| r.get("containerPolicies")).and_then(|p| p.as_array());
    for (i, p) in policies.into_iter().flatten().enumerate() {
        if p.get("containerName").and_then(|n| n.as_str()).is_none_or(str::is_empty) {
            let idx = i.to_string();
            out.push(
                Diagnostic::error(
                    "C006",
                    ctx.span(&["pod", "vpa", "resourcePolicy", "containerPolicies", &idx]),
                    "VPA container policy without `containerName`",
                )
                .label("this policy")
                .help("set `containerName` (`*` for all containers)"),
            );
        }
    }
}

fn builtin_rules(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let rules = ctx.comp.spec.pod.as_ref().and_then(|p| p.builtin_autoscaler.clone()).unwrap_or_default();
    let is_cpu = |r: &BuiltinHpaRule| format!("{r:?}").contains("CPU");
    let cpu = rules.iter().filter(|r| is_cpu(r)).count();
    let mem = rules.len() - cpu;
    if cpu > 1 || mem > 1 {
        out.push(
            Diagnostic::error(
                "C011",
                ctx.span(&["pod", "builtinAutoscaler"]),
                "more than one CPU or memory rule in `builtinAutoscaler`",
            )
            .label("conflicting rules")
            .help("keep at most one CPU rule and one memory rule"),
        );
    }
}
