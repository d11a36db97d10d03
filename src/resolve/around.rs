//! What operator resources get rendered around their workloads: the build
//! flags (`--disruption-budgets`, `--monitor`) for every component, and per
//! resource the annotations below (on a `FunctionMesh`, for all its members).
//! A native mesh says the same in its DSL (`lower/around.rs`). Backlog
//! autoscaling is native-only: an operator resource does not say which
//! cluster URL its `pulsarConfig` holds.

use crate::ast::{Document, PathSeg};
use crate::diagnostics::Diagnostics;
use crate::model::{Around, Meta};
use crate::options::{BuildOptions, MonitorKind};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// `"true"`, `"false"`, or the budget's `maxUnavailable` (`"2"`, `"25%"`).
pub const DISRUPTION_BUDGET_ANNOTATION: &str = "fmc.functionmesh.io/disruption-budget";
/// `pod`, `service` or `none`.
pub const MONITOR_ANNOTATION: &str = "fmc.functionmesh.io/monitor";

pub fn of_operator_resource(meta: &Meta, options: &BuildOptions) -> Around {
    let disruption_budget = match meta.annotations.get(DISRUPTION_BUDGET_ANNOTATION).map(String::as_str) {
        Some(text) => budget(text).unwrap_or(None),
        None => options.disruption_budgets.then_some(IntOrString::Int(1)),
    };
    let monitor = match meta.annotations.get(MONITOR_ANNOTATION) {
        Some(text) => MonitorKind::parse(text),
        None => options.monitor,
    };
    Around { disruption_budget, monitor: monitor.filter(|m| *m != MonitorKind::None), backlog: None }
}

/// `Ok(None)`: no budget; `Err`: not a value the annotation takes.
fn budget(text: &str) -> Result<Option<IntOrString>, ()> {
    if let Ok(n) = text.parse::<i32>() {
        return if n >= 0 { Ok(Some(IntOrString::Int(n))) } else { Err(()) };
    }
    match text {
        "true" => Ok(Some(IntOrString::Int(1))),
        "false" => Ok(None),
        p if p.strip_suffix('%').is_some_and(|n| n.parse::<u8>().is_ok_and(|n| n <= 100)) => {
            Ok(Some(IntOrString::String(p.to_string())))
        }
        _ => Err(()),
    }
}

/// P008 for an annotation value fmc does not take (never silently ignored).
pub fn check_annotations(meta: &Meta, doc: usize, docs: &[Document], diags: &mut Diagnostics) {
    let checks: [(&str, bool, &str); 2] = [
        (
            DISRUPTION_BUDGET_ANNOTATION,
            meta.annotations.get(DISRUPTION_BUDGET_ANNOTATION).is_some_and(|t| budget(t).is_err()),
            "expected \"true\", \"false\", a number of pods or a percentage",
        ),
        (
            MONITOR_ANNOTATION,
            meta.annotations.get(MONITOR_ANNOTATION).is_some_and(|t| MonitorKind::parse(t).is_none()),
            "expected \"pod\", \"service\" or \"none\"",
        ),
    ];
    for (key, bad, expected) in checks {
        if bad {
            let path: Vec<PathSeg> =
                ["metadata", "annotations", key].iter().map(|k| PathSeg::Key((*k).to_string())).collect();
            let span = docs[doc].root.lookup(&path).span;
            let what = format!("metadata.annotations.{key}");
            diags.push(crate::parse::diagnostics::invalid_value(span, &what, expected));
        }
    }
}
