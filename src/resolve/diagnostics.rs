//! Constructors for the resolve stage's diagnostics (R001–R004).

use crate::diagnostics::Diagnostic;
use crate::source::Span;

pub fn missing_configmap(span: Span, name: &str, namespace: &str, close: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error("R001", span, format!("ConfigMap `{name}` not found in namespace `{namespace}`"))
        .label("referenced here");
    match close {
        Some(c) => d.help(format!(
            "did you mean `{c}`? Otherwise add the ConfigMap to the input or list it in a `ClusterProvided` document"
        )),
        None => {
            d.help("add the ConfigMap to the input, or list it under `spec.configMaps` of a `ClusterProvided` document")
        }
    }
}

pub fn missing_secret(span: Span, name: &str, namespace: &str, close: Option<&str>) -> Diagnostic {
    let d = Diagnostic::warning("R002", span, format!("Secret `{name}` not found in namespace `{namespace}`"))
        .label("referenced here");
    match close {
        Some(c) => d.help(format!(
            "did you mean `{c}`? Otherwise list it under `spec.secrets` of a `ClusterProvided` document"
        )),
        None => d.help("list it under `spec.secrets` of a `ClusterProvided` document if the cluster provides it"),
    }
}

pub fn duplicate_object(span: Span, first: Span, what: &str) -> Diagnostic {
    Diagnostic::error("R003", span, format!("{what} is defined twice"))
        .label("second definition")
        .with_secondary(first, "first defined here")
        .help("rename one of them")
}

pub fn missing_configmap_key(span: Span, name: &str, key: &str) -> Diagnostic {
    Diagnostic::error("R004", span, format!("ConfigMap `{name}` has no key `{key}`"))
        .label("referenced here")
        .help(format!("add `{key}` to the ConfigMap's `data`"))
}
