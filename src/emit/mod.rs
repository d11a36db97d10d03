//! Stage 5, emit: manifests → one multi-document YAML stream.
//!
//! Order is fixed and independent of input order: by kind rank (namespaces and
//! configuration first, workloads next, autoscalers and hooks last), then
//! namespace, name and apiVersion, so permuting input documents never changes
//! the bytes.

pub mod graph;
/// The YAML writer is shared vocabulary (render writes each object's text at
/// once); here under its old path.
pub use crate::yaml_text as yaml;

use crate::render::Manifest;

fn kind_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "ServiceAccount" => 1,
        "Secret" => 2,
        "ConfigMap" => 3,
        // Pulsar resources before the workloads that use them (docs/provisioning.md).
        "PulsarConnection" => 4,
        "PulsarTenant" => 5,
        "PulsarNamespace" => 6,
        "PulsarGeoReplication" => 7,
        "PulsarTopic" => 8,
        "Service" => 9,
        "StatefulSet" => 10,
        "HorizontalPodAutoscaler" => 11,
        "VerticalPodAutoscaler" => 12,
        "TriggerAuthentication" => 13,
        "ScaledObject" => 14,
        "PodDisruptionBudget" => 15,
        "NetworkPolicy" => 16,
        "Job" => 17,
        _ => 18,
    }
}

/// Sorts manifests into emission order. The sort is stable, so objects with the
/// same kind, namespace and name (possible only for pass-through documents of
/// different API groups) keep their input order, itself sorted by file name.
pub fn sort(manifests: &mut [Manifest]) {
    manifests.sort_by(|a, b| {
        (kind_rank(&a.kind), &a.kind, &a.namespace, &a.name, &a.api_version).cmp(&(
            kind_rank(&b.kind),
            &b.kind,
            &b.namespace,
            &b.name,
            &b.api_version,
        ))
    });
}

/// The YAML stream: documents separated by `---`.
pub fn emit(manifests: &[Manifest]) -> String {
    let mut out = String::with_capacity(manifests.len() * 2048);
    for m in manifests {
        out.push_str("---\n");
        out.push_str(&m.yaml);
    }
    out
}
