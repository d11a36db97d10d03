//! C007 resource quantities: parsable, none negative, memory positive,
//! requests within limits (a zero CPU limit is no limit, as the webhook has
//! it). That requests and limits both carry memory is the webhook's alone
//! (C027, where the webhook sees the component).

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::quantity::Quantity;

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(r) = &ctx.comp.spec.resources else { return out };
    let mut parsed = std::collections::BTreeMap::new();
    for (side, map) in [("requests", &r.requests), ("limits", &r.limits)] {
        for (name, q) in map.iter().flatten() {
            let span = ctx.span(&["resources", side, name]);
            match Quantity::parse(&q.0) {
                None => out.push(
                    Diagnostic::error("C007", span, format!("`{}` is not a Kubernetes quantity", q.0))
                        .label("unparsable quantity")
                        .help("write quantities like `500m`, `2`, `1Gi` or `1.5G`"),
                ),
                Some(v) if v.as_f64() < 0.0 => out.push(
                    Diagnostic::error("C007", span, format!("{name} {side} is negative"))
                        .label("negative quantity")
                        .help("resource quantities are zero or more"),
                ),
                Some(v) if name == "memory" && v.is_zero() => out.push(
                    Diagnostic::error("C007", span, format!("memory {side} must be positive"))
                        .label("zero or negative")
                        .help("set a positive memory quantity"),
                ),
                Some(v) => {
                    parsed.insert((side, name.as_str()), v);
                }
            }
        }
    }
    for name in ["cpu", "memory", "ephemeral-storage"] {
        // A zero limit is no limit (the webhook compares CPU only under a set limit).
        if let (Some(req), Some(lim)) = (parsed.get(&("requests", name)), parsed.get(&("limits", name)))
            && !lim.is_zero()
            && req.as_f64() > lim.as_f64()
        {
            out.push(
                Diagnostic::error(
                    "C007",
                    ctx.span(&["resources", "requests", name]),
                    format!("{name} request exceeds its limit"),
                )
                .label("request")
                .with_secondary(ctx.span(&["resources", "limits", name]), "limit")
                .help("lower the request or raise the limit"),
            );
        }
    }
    out
}
