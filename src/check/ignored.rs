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
    if crate::render::cleanup::wants_cleanup(ctx.comp) && !ctx.options.cleanup_hooks {
        let field = if kind == ComponentKind::Source { "batchSourceConfig" } else { "cleanupSubscription" };
        out.push(
            Diagnostic::warning("C016", ctx.key(&[field]), "subscription cleanup on deletion needs a delete hook")
                .label("no cleanup Job rendered")
                .help("build with `--cleanup-hooks` to render a Helm pre-delete / Argo CD PostDelete Job, or clean the subscription up yourself"),
        );
    }
    out
}
