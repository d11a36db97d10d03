//! C008 processing guarantees and their conflicting options.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::spec::ProcessingGuarantee;

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let s = &ctx.comp.spec;
    let mut out = Vec::new();
    let eo = s.processing_guarantee == Some(ProcessingGuarantee::EffectivelyOnce);
    let conflict = |field: &str, what: &str| {
        Diagnostic::error("C008", ctx.key(&[field]), format!("{what} cannot be used with `effectively_once`"))
            .label("conflicts with the processing guarantee")
            .with_secondary(ctx.span(&["processingGuarantee"]), "guarantee set here")
            .help(format!("remove `{field}` or choose another guarantee"))
    };
    if eo && s.timeout.unwrap_or(0) != 0 {
        out.push(conflict("timeout", "a message timeout"));
    }
    if eo && s.max_message_retry.unwrap_or(0) > 0 {
        out.push(conflict("maxMessageRetry", "message retries"));
    }
    if eo && s.retain_key_ordering == Some(true) {
        out.push(conflict("retainKeyOrdering", "key ordering"));
    }
    if s.dead_letter_topic.as_deref().is_some_and(|t| !t.is_empty()) && s.max_message_retry.unwrap_or(0) <= 0 {
        out.push(
            Diagnostic::error(
                "C008",
                ctx.span(&["deadLetterTopic"]),
                "a dead-letter topic needs `maxMessageRetry > 0`",
            )
            .label("never used without retries")
            .help("set `maxMessageRetry`"),
        );
    }
    if s.retain_ordering == Some(true) && s.retain_key_ordering == Some(true) {
        out.push(
            Diagnostic::error(
                "C008",
                ctx.key(&["retainKeyOrdering"]),
                "`retainOrdering` and `retainKeyOrdering` exclude each other",
            )
            .label("second ordering option")
            .with_secondary(ctx.key(&["retainOrdering"]), "first ordering option")
            .help("keep one of them"),
        );
    }
    out
}
