//! C014 fields the operator declares but ignores; C016 options that need a
//! running controller.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::ComponentKind;
use crate::model::common::Log4jFileType;
use crate::model::spec::LogTopicAgent;

fn ignored(ctx: &Ctx, path: &[&str], why: &str) -> Diagnostic {
    Diagnostic::warning("C014", ctx.key(path), format!("`{}` has no effect", path.join(".")))
        .label(why.to_string())
        .help("remove the field")
}

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let s = &ctx.comp.spec;
    let kind = ctx.comp.kind;
    if kind == ComponentKind::Source && s.source_type.is_some() {
        out.push(ignored(ctx, &["sourceType"], "the connector comes from the image and `className`"));
    }
    if kind == ComponentKind::Sink && s.sink_type.is_some() {
        out.push(ignored(ctx, &["sinkType"], "the connector comes from the image and `className`"));
    }
    if s.stateful_config
        .as_ref()
        .and_then(|c| c.pulsar.as_ref())
        .and_then(|p| p.java_provider.as_ref())
        .is_some_and(|j| j.config.is_some())
    {
        out.push(ignored(
            ctx,
            &["statefulConfig", "pulsar", "javaProvider", "config"],
            "the state store provider takes no config",
        ));
    }
    if s.java.as_ref().and_then(|j| j.log.as_ref()).and_then(|l| l.java_log4j_config_file_type)
        == Some(Log4jFileType::Ini)
    {
        out.push(ignored(ctx, &["java", "log", "javaLog4JConfigFileType"], "`ini` is not a log4j format; XML is used"));
    }
    if kind != ComponentKind::Function && s.log_topic_agent == Some(LogTopicAgent::Runtime) && s.log_topic.is_some() {
        out.push(ignored(ctx, &["logTopic"], "Sources and Sinks ship logs only with `logTopicAgent: sidecar`"));
    }
    if ctx.comp.wants_cleanup() && !ctx.options.cleanup_hooks {
        let field = if kind == ComponentKind::Source { "batchSourceConfig" } else { "cleanupSubscription" };
        out.push(
            Diagnostic::warning("C016", ctx.key(&[field]), "subscription cleanup on deletion needs a delete hook")
                .label("no cleanup Job rendered")
                .help("build with `--cleanup-hooks` to render a Helm pre-delete / Argo CD PostDelete Job, or clean the subscription up yourself"),
        );
    }
    out
}

/// The filebeat sidecar reads OAuth2 settings from generic auth parameters; when
/// they are not JSON the operator silently drops the sidecar. fmc drops it too,
/// but says so.
pub fn filebeat_auth(ctx: &Ctx) -> Vec<Diagnostic> {
    let s = &ctx.comp.spec;
    let sidecar =
        s.log_topic_agent == Some(LogTopicAgent::Sidecar) && s.log_topic.as_deref().is_some_and(|t| !t.is_empty());
    let generic = s.pulsar.as_ref().and_then(|p| p.auth_config.as_ref()).and_then(|a| a.generic_auth.as_ref());
    match generic {
        Some(g)
            if sidecar
                && g.client_authentication_plugin == crate::model::connection::OAUTH2_PLUGIN
                && serde_json::from_str::<serde_json::Value>(&g.client_authentication_parameters).is_err() =>
        {
            vec![
                Diagnostic::warning(
                    "C016",
                    ctx.span(&["pulsar", "authConfig", "genericAuth", "clientAuthenticationParameters"]),
                    "the log-shipping sidecar cannot use these OAuth2 parameters",
                )
                .label("not JSON: no filebeat sidecar is rendered")
                .help("write the OAuth2 parameters as JSON, or use `authConfig.oauth2Config`"),
            ]
        }
        _ => Vec::new(),
    }
}

/// Pod labels that change a selector label break the StatefulSet (its selector
/// must match its template); the operator lets that through.
pub fn selector_labels(ctx: &Ctx) -> Vec<Diagnostic> {
    let selector = crate::resolve::labels::component_labels(ctx.comp);
    let labels = ctx.comp.spec.pod.as_ref().and_then(|p| p.labels.clone()).unwrap_or_default();
    labels
        .iter()
        .filter(|(k, v)| selector.get(*k).is_some_and(|sv| sv != *v))
        .map(|(k, _)| {
            Diagnostic::error(
                "C017",
                ctx.key(&["pod", "labels", k]),
                format!("pod label `{k}` overrides a selector label"),
            )
            .label("the StatefulSet selector needs its own value here")
            .help(format!("remove `{k}` from `pod.labels`, or use another label key"))
        })
        .collect()
}
