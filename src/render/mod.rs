//! Stage 4, render: resolved components → Kubernetes objects.
//!
//! Per component: a StatefulSet `<name>-<component>`, a headless Service
//! `<name>-<component>-headless`, an HPA when `maxReplicas` is set, a VPA when
//! `pod.vpa` is set, and (opt-in) a subscription-cleanup delete-hook Job. Objects
//! are built as k8s-openapi structs and handed on as JSON [`Manifest`]s that
//! remember the document they came from.

pub mod around;
pub mod autoscale;
pub mod backend;
pub mod canonical;
pub mod cleanup;
pub mod command;
pub mod connection;
pub mod details;
pub mod download;
pub mod env;
pub mod go_launcher;
pub mod logconfig;
pub mod native;
pub mod operator;
pub mod pod;
pub mod shell;
pub mod volumes;

use crate::model::Provenance;
use crate::options::BuildOptions;
use crate::resolve::{Component, Resolved};
use k8s_openapi::Resource;
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetSpec, StatefulSetUpdateStrategy};
use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

pub const FULL_NAME_ANNOTATION: &str = "fmc.functionmesh.io/full-name";

/// One rendered object, already written as YAML.
///
/// Objects are turned into text as soon as they are rendered (in parallel), so a
/// large mesh never holds every object as a tree at once; the plug-in modes that
/// need the structure read it back with [`Manifest::value`].
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The object as a YAML document body (no `---`), ending in a newline.
    pub yaml: String,
    /// The input document it comes from, and whether it is a copy of it.
    pub provenance: Provenance,
}

impl Manifest {
    /// A manifest from a JSON object, stamping the Flux annotation when asked.
    pub fn from_value(mut value: serde_json::Value, provenance: Provenance, options: &BuildOptions) -> Self {
        if provenance.is_generated() && options.flux_no_substitute && value.to_string().contains("${") {
            disable_flux_substitution(&mut value);
        }
        // Workloads and their autoscalers as the API server stores them; the
        // operator's own custom resources (`--target operator`) keep the text.
        let custom_resource = value["apiVersion"].as_str().is_some_and(|a| a.starts_with(crate::model::FM_GROUP));
        if provenance.is_generated() && !custom_resource {
            canonical::quantities(&mut value);
        }
        let text = |k: &str| value.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let meta =
            |k: &str| value.get("metadata").and_then(|m| m.get(k)).and_then(|v| v.as_str()).unwrap_or("").to_string();
        Manifest {
            api_version: text("apiVersion"),
            kind: text("kind"),
            namespace: meta("namespace"),
            name: meta("name"),
            yaml: crate::yaml_text::to_yaml(&value),
            provenance,
        }
    }

    fn typed<T: Resource + serde::Serialize>(obj: &T, comp: &Component, options: &BuildOptions) -> Self {
        let mut value = serde_json::to_value(obj).expect("invariant: k8s objects serialize");
        if let Some(map) = value.as_object_mut() {
            map.insert("apiVersion".into(), T::API_VERSION.into());
            map.insert("kind".into(), T::KIND.into());
        }
        // k8s-openapi writes TypeMeta on every resource, also on those embedded as
        // templates; the API server (and the operator) store them without it.
        let templates = value.get_mut("spec").and_then(|s| s.get_mut("volumeClaimTemplates"));
        for template in templates.and_then(|t| t.as_array_mut()).into_iter().flatten() {
            if let Some(t) = template.as_object_mut() {
                t.remove("apiVersion");
                t.remove("kind");
            }
        }
        let mut m = Manifest::from_value(value, Provenance::generated(comp.origin.doc), options);
        // Sort by the component's namespace even when none is written out.
        m.namespace = comp.namespace.clone();
        m
    }

    /// The object as JSON, read back from its YAML.
    pub fn value(&self) -> serde_json::Value {
        let mut diags = crate::diagnostics::Diagnostics::default();
        let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), &self.yaml, &mut diags);
        docs.first().map(|d| d.root.to_json()).unwrap_or_default()
    }
}

pub const FLUX_SUBSTITUTE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// Renders every component (spread over the available cores; the order of the
/// result does not depend on it) and every pass-through document.
pub fn render(resolved: &Resolved, options: &BuildOptions) -> Vec<Manifest> {
    let parts = crate::parallel::map_chunks(&resolved.components, 64, |_, part| {
        let mut out = Vec::new();
        for comp in part {
            render_component(comp, options, &mut out);
        }
        out
    });
    let mut out: Vec<Manifest> = parts.into_iter().flatten().collect();
    // Pass-through and generated documents (a provisioned mesh has one per topic) in parallel too.
    let documents = crate::parallel::map_chunks(&resolved.passthrough, 256, |_, part| {
        part.iter().map(|p| passthrough_manifest(p, options)).collect::<Vec<_>>()
    });
    out.extend(documents.into_iter().flatten());
    out
}

/// What one input document becomes in the modes that rewrite a stream in
/// place (post-render, KRM, the kustomize plug-in).
#[derive(Debug)]
pub enum DocumentOutput<'a> {
    /// The document's own text, unchanged: everything it produced is a copy of it.
    Itself,
    /// The objects compiled from it (none for a document fmc consumes, such
    /// as `ClusterProvided`), in build order.
    Objects(Vec<&'a Manifest>),
}

/// What each of the first `docs` input documents becomes, from the
/// provenance of what it produced (one pass over the manifests).
pub fn document_outputs(manifests: &[Manifest], docs: usize) -> Vec<DocumentOutput<'_>> {
    let mut produced: Vec<Vec<&Manifest>> = vec![Vec::new(); docs];
    for m in manifests {
        if let Some(list) = produced.get_mut(m.provenance.doc) {
            list.push(m);
        }
    }
    produced.into_iter().map(DocumentOutput::of).collect()
}

impl<'a> DocumentOutput<'a> {
    /// The document's text when all it produced is copies of it, else the objects.
    fn of(produced: Vec<&'a Manifest>) -> Self {
        if !produced.is_empty() && produced.iter().all(|m| !m.provenance.is_generated()) {
            DocumentOutput::Itself
        } else {
            DocumentOutput::Objects(produced)
        }
    }
}

/// The manifest of a plain object fmc emits as it is (copied or generated).
pub(crate) fn passthrough_manifest(p: &crate::model::PassthroughDoc, options: &BuildOptions) -> Manifest {
    let mut m = Manifest::from_value(p.value.clone(), Provenance { made: p.made, doc: p.origin.doc }, options);
    m.namespace = p.namespace.clone().unwrap_or_default();
    m
}

/// Flux's post-build `${VAR}` substitution would rewrite the shell variables in
/// the container commands; this annotation opts the object out.
fn disable_flux_substitution(value: &mut serde_json::Value) {
    if let Some(meta) = value.get_mut("metadata").and_then(|v| v.as_object_mut()) {
        let annotations = meta.entry("annotations").or_insert_with(|| serde_json::json!({}));
        if let Some(a) = annotations.as_object_mut() {
            a.insert(FLUX_SUBSTITUTE_ANNOTATION.into(), "disabled".into());
        }
    }
}

/// Metadata shared by every object of a component.
fn object_meta(comp: &Component, options: &BuildOptions, name: String) -> ObjectMeta {
    let mut annotations = BTreeMap::new();
    if comp.base_name != comp.cr_name {
        annotations.insert(FULL_NAME_ANNOTATION.to_string(), comp.cr_name.clone());
    }
    ObjectMeta {
        name: Some(name),
        namespace: (comp.explicit_namespace || options.write_default_namespace).then(|| comp.namespace.clone()),
        labels: Some(crate::resolve::labels::component_labels(comp)),
        annotations: Some(annotations).filter(|a| !a.is_empty()),
        ..Default::default()
    }
}

pub(crate) fn render_component(comp: &Component, options: &BuildOptions, out: &mut Vec<Manifest>) {
    let name = comp.workload_name();
    out.push(Manifest::typed(&statefulset(comp, options), comp, options));
    if let Some(cm) = native::config_map(comp, object_meta(comp, options, native::config_map_name(comp))) {
        out.push(Manifest::typed(&cm, comp, options));
    }
    out.push(Manifest::typed(&service(comp, options), comp, options));
    if let Some(hpa) = autoscale::hpa(comp, object_meta(comp, options, name.clone())) {
        out.push(Manifest::typed(&hpa, comp, options));
    }
    if let Some(vpa) = autoscale::vpa(comp, object_meta(comp, options, name.clone())) {
        let mut m = Manifest::from_value(vpa, Provenance::generated(comp.origin.doc), options);
        m.namespace = comp.namespace.clone();
        out.push(m);
    }
    if options.network_policy {
        out.push(Manifest::typed(&network_policy(comp, options), comp, options));
    }
    around::render(comp, options, out);
    let job_name = format!("{name}-cleanup");
    if let Some(job) = cleanup::cleanup_job(comp, options, object_meta(comp, options, job_name)) {
        out.push(Manifest::typed(&job, comp, options));
    }
}

/// Denies all ingress to the component's pods except Prometheus scrapes of the
/// metrics port; egress stays open (brokers, package downloads).
fn network_policy(comp: &Component, options: &BuildOptions) -> NetworkPolicy {
    NetworkPolicy {
        metadata: object_meta(comp, options, comp.workload_name()),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(crate::resolve::labels::component_labels(comp)),
                match_expressions: None,
            }),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                ports: Some(vec![NetworkPolicyPort {
                    port: Some(IntOrString::Int(pod::METRICS_PORT)),
                    protocol: Some("TCP".into()),
                    end_port: None,
                }]),
                from: None,
            }]),
            egress: None,
        }),
    }
}

fn statefulset(comp: &Component, options: &BuildOptions) -> StatefulSet {
    let name = comp.workload_name();
    let mut template = pod::pod_template(comp, options);
    backend::apply(comp, &mut template);
    let spec = &comp.spec;
    StatefulSet {
        metadata: object_meta(comp, options, name.clone()),
        spec: Some(StatefulSetSpec {
            replicas: replicas(comp, options),
            selector: LabelSelector {
                match_labels: Some(crate::resolve::labels::component_labels(comp)),
                match_expressions: None,
            },
            service_name: Some(format!("{name}-headless")),
            pod_management_policy: Some("Parallel".into()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: None,
            }),
            template,
            volume_claim_templates: spec.volume_claim_templates.clone().filter(|v| !v.is_empty()),
            persistent_volume_claim_retention_policy: spec.persistent_volume_claim_retention_policy.clone(),
            ..Default::default()
        }),
        status: None,
    }
}

/// The replica count to write: none when an HPA (`maxReplicas`) or KEDA
/// (backlog autoscaling) owns the scale, unless `--keep-autoscaled-replicas`.
/// A committed count would reset the autoscaler's choice on every GitOps sync
/// (docs/compatibility.md, docs/gitops.md).
pub fn replicas(comp: &Component, options: &BuildOptions) -> Option<i32> {
    let autoscaled = comp.spec.max_replicas.is_some() || comp.around.backlog.is_some();
    comp.spec.replicas.filter(|_| options.keep_autoscaled_replicas || !autoscaled)
}

fn service(comp: &Component, options: &BuildOptions) -> Service {
    let name = format!("{}-headless", comp.workload_name());
    let port = |n: &str, p: i32| ServicePort {
        name: Some(n.into()),
        port: p,
        target_port: Some(IntOrString::Int(p)),
        protocol: Some("TCP".into()),
        ..Default::default()
    };
    Service {
        metadata: object_meta(comp, options, name),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(crate::resolve::labels::component_labels(comp)),
            ports: Some(vec![port("tcp-grpc", pod::GRPC_PORT), port("http-metrics", pod::METRICS_PORT)]),
            ..Default::default()
        }),
        status: None,
    }
}
