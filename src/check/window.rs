//! C010 window configuration.

use super::Ctx;
use crate::diagnostics::Diagnostic;

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(w) = &ctx.comp.spec.window_config else { return out };
    let bad = |field: &str, message: &str, help: &str| {
        Diagnostic::error("C010", ctx.span(&["windowConfig", field]), message.to_string())
            .label("in this window")
            .help(help.to_string())
    };
    match (w.window_length_count, w.window_length_duration_ms) {
        (Some(_), Some(_)) => out.push(bad(
            "windowLengthDurationMs",
            "a window has either a count or a duration length, not both",
            "remove one of `windowLengthCount` and `windowLengthDurationMs`",
        )),
        (None, None) => {
            out.push(bad("", "the window has no length", "set `windowLengthCount` or `windowLengthDurationMs`"))
        }
        _ => {}
    }
    let positive = [
        ("windowLengthCount", w.window_length_count.map(i64::from)),
        ("windowLengthDurationMs", w.window_length_duration_ms),
        ("slidingIntervalCount", w.sliding_interval_count.map(i64::from)),
        ("slidingIntervalDurationMs", w.sliding_interval_duration_ms),
    ];
    for (field, v) in positive {
        if v.is_some_and(|v| v <= 0) {
            out.push(bad(field, &format!("`{field}` must be positive"), "use a positive value"));
        }
    }
    // As the operator's webhook: with a timestamp extractor (set at all), a
    // lag or watermark interval that is set must be positive; one that is not
    // set is fine (the instance has its own defaults).
    if w.timestamp_extractor_class_name.is_some() {
        for (field, v) in [("maxLagMs", w.max_lag_ms), ("watermarkEmitIntervalMs", w.watermark_emit_interval_ms)] {
            if v.is_some_and(|v| v <= 0) {
                out.push(bad(
                    field,
                    &format!("`{field}` must be positive with a timestamp extractor"),
                    &format!("give `{field}` a positive value, or leave it out"),
                ));
            }
        }
    }
    out
}
