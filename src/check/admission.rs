//! C027 what the operator's admission webhook refuses (`pkg/webhook`) and no
//! other rule covers: a connector without its config, an empty package file,
//! a negative receiver queue, a component without `pulsar.pulsarConfig` (or a
//! `pulsarPackageService` without its own), resources without a memory
//! request and limit. docs/compatibility.md maps every webhook rule to its
//! code.
//!
//! Operator resources are what the webhook admits, so the rules apply to them.
//! A native mesh's components are checked only with `--target operator`,
//! where the webhook will see them; plain manifests need no webhook (a DSL
//! component that names no cluster simply gets none).

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::ComponentKind;

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    if !webhook_applies(ctx) {
        return Vec::new();
    }
    let mut out = Vec::new();
    connector_config(ctx, &mut out);
    package_files(ctx, &mut out);
    receiver_queues(ctx, &mut out);
    pulsar_configs(ctx, &mut out);
    memory_present(ctx, &mut out);
    out
}

/// Whether the component will go through the webhook.
pub fn webhook_applies(ctx: &Ctx) -> bool {
    ctx.comp.native.is_none() && (ctx.comp.io.is_none() || ctx.options.target_operator)
}

/// At the field at fault; a missing field at its parent's key (the `spec`
/// key for a missing top-level field), not over the whole body.
fn refused(ctx: &Ctx, at: &[&str], message: String, fix: &str) -> Diagnostic {
    let span = if at.is_empty() { ctx.key(at) } else { ctx.span(at) };
    refused_at(span, message, fix)
}

fn refused_at(span: crate::source::Span, message: String, fix: &str) -> Diagnostic {
    Diagnostic::error("C027", span, format!("the operator's admission webhook refuses this: {message}"))
        .label("refused at admission")
        .help(fix.to_string())
}

fn connector_config(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let (missing, field) = match ctx.comp.kind {
        ComponentKind::Source => (s.source_config.is_none(), "sourceConfig"),
        ComponentKind::Sink => (s.sink_config.is_none(), "sinkConfig"),
        ComponentKind::Function => return,
    };
    if missing {
        let message = format!("a {} needs `{field}`", ctx.comp.kind.kind());
        out.push(refused(
            ctx,
            &[],
            message,
            &format!("add `{field}` (`{field}: {{}}` for a connector without settings)"),
        ));
    }
}

fn package_files(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let files = [
        ("java", "jar", s.java.as_ref().map(|j| j.jar.as_str())),
        ("python", "py", s.python.as_ref().map(|p| p.py.as_str())),
        ("golang", "go", s.golang.as_ref().map(|g| g.go.as_str())),
    ];
    for (block, field, file) in files {
        if file == Some("") {
            let message = format!("`{block}.{field}` is empty");
            out.push(refused(
                ctx,
                &[block, field],
                message,
                &format!("give `{block}.{field}` the package file's path"),
            ));
        }
    }
}

fn receiver_queues(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let specs = ctx.comp.spec.input.as_ref().and_then(|i| i.source_specs.as_ref());
    for (topic, conf) in specs.into_iter().flatten() {
        if conf.receiver_queue_size.is_some_and(|n| n < 0) {
            let at = ["input", "sourceSpecs", topic.as_str(), "receiverQueueSize"];
            let message = format!("the receiver queue of `{topic}` is negative");
            out.push(refused(ctx, &at, message, "use 0 or more (0: the client's default)"));
        }
    }
}

fn pulsar_configs(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let named = |p: &Option<crate::model::common::PulsarMessaging>| {
        p.as_ref().and_then(|p| p.pulsar_config.as_deref()).is_some_and(|c| !c.is_empty())
    };
    if !named(&s.pulsar) {
        let fix = "name the ConfigMap with `webServiceURL` and `brokerServiceURL` in `pulsar.pulsarConfig`";
        let at: &[&str] = if s.pulsar.is_some() { &["pulsar"] } else { &[] };
        out.push(refused(ctx, at, "`pulsar.pulsarConfig` is required".into(), fix));
    }
    if s.pulsar_package_service.is_some() && !named(&s.pulsar_package_service) {
        let message = "`pulsarPackageService` needs its own `pulsarConfig`".to_string();
        out.push(refused(ctx, &["pulsarPackageService"], message, "add `pulsarPackageService.pulsarConfig`"));
    }
}

/// The webhook wants memory > 0 in both requests and limits (its
/// `validResource`); its own defaults for them never take effect (reference
/// §7.7), so a missing one is refused, not filled in. A zero or negative
/// quantity is C007's; this is only about the quantity being absent.
fn memory_present(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let resources = ctx.comp.spec.resources.as_ref();
    let sides = [
        ("requests", resources.and_then(|r| r.requests.as_ref())),
        ("limits", resources.and_then(|r| r.limits.as_ref())),
    ];
    // (side, whether the side's map is written) for each side without memory.
    let missing: Vec<(&str, bool)> = sides
        .into_iter()
        .filter(|(_, map)| !map.is_some_and(|m| m.contains_key("memory")))
        .map(|(side, map)| (side, map.is_some()))
        .collect();
    let at: Vec<&str> = match (resources, missing.as_slice()) {
        (_, []) => return,
        (_, [(side, true)]) => vec!["resources", side],
        (Some(_), _) => vec!["resources"],
        (None, _) => Vec::new(),
    };
    let fields: Vec<String> = missing.iter().map(|(side, _)| format!("`resources.{side}.memory`")).collect();
    let message = format!("it needs {}", fields.join(" and "));
    let mut fix = format!("set {} (the webhook wants memory in both requests and limits)", fields.join(" and "));
    if ctx.comp.io.is_some() {
        fix.push_str("; a mesh can set them once for all its components in `defaults.resources`");
    }
    out.push(refused_at(ctx.key(&at), message, &fix));
}
