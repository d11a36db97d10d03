//! Stage 5, emit: manifests → one multi-document YAML stream.
//!
//! Order is fixed and independent of input order: by kind rank (namespaces and
//! configuration first, workloads next, autoscalers and hooks last), then
//! namespace, name, apiVersion and finally the full content, so permuting input
//! documents never changes the bytes.

pub mod yaml;

use crate::render::Manifest;

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "ServiceAccount" => 1,
        "Secret" => 2,
        "ConfigMap" => 3,
        "Service" => 4,
        "StatefulSet" => 5,
        "HorizontalPodAutoscaler" => 6,
        "VerticalPodAutoscaler" => 7,
        "Job" => 8,
        _ => 9,
    }
}

/// Sorts manifests into emission order.
pub fn sort(manifests: &mut [Manifest]) {
    manifests.sort_by_cached_key(|m| {
        (
            kind_rank(&m.kind),
            m.kind.clone(),
            m.namespace.clone(),
            m.name.clone(),
            m.api_version.clone(),
            m.value.to_string(),
        )
    });
}

/// The YAML stream: documents separated by `---`.
pub fn emit(manifests: &[Manifest]) -> String {
    let mut out = String::new();
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&yaml::to_yaml(&m.value));
    }
    out
}
