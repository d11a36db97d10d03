//! C023 two components read one topic with the same subscription name.
//!
//! On a shared subscription Pulsar splits the messages between the consumers:
//! each component then sees only part of the stream, which is almost never what
//! two different components mean. (Replicas of one component share it on purpose;
//! that is one component here.) Components without an explicit
//! `subscriptionName` use their FQFN, which is unique.

use super::GraphCtx;
use crate::diagnostics::Diagnostic;
use std::collections::BTreeMap;

pub fn check(ctx: &GraphCtx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for &topic in ctx.graph.topics.values() {
        let mut by_sub: BTreeMap<&str, (usize, crate::source::Span)> = BTreeMap::new();
        for (reader, port) in ctx.graph.readers(topic) {
            let Some(sub) = ctx.components[reader].spec.subscription_name.as_deref().filter(|s| !s.is_empty()) else {
                continue;
            };
            match by_sub.get(sub) {
                Some(&(first, first_span)) if first != reader => out.push(
                    Diagnostic::warning(
                        "C023",
                        port.span,
                        format!(
                            "{} and {} share subscription `{sub}` on `{}`{}: each gets only part of the messages",
                            ctx.describe(reader),
                            ctx.describe(first),
                            ctx.topic_name(topic),
                            ctx.on_cluster(topic)
                        ),
                    )
                    .label("second consumer on this subscription")
                    .with_secondary(first_span, "first consumer here")
                    .help("give each component its own subscription name (or none: the default is unique)"),
                ),
                Some(_) => {}
                None => {
                    by_sub.insert(sub, (reader, port.span));
                }
            }
        }
    }
    out
}
