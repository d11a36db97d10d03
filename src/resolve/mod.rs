//! Stage 2, resolve: typed input → [`Resolved`] components.
//!
//! Expands FunctionMesh members into components named `<mesh>-<member>`, applies
//! the operator's admission defaults ([`defaults`]), computes derived names,
//! resolves ConfigMap/Secret references against the input and `ClusterProvided`
//! declarations ([`references`]), attaches the BackendConfigs in scope, and hashes
//! the referenced configuration so that a change in it rolls the pods.
//!
//! Codes: R001–R004, C001 (name shortened).

mod around;
pub mod defaults;
mod diagnostics;
pub mod go_launcher;
pub mod labels;
pub mod python_runner;
pub mod references;

use crate::ast::{Document, PathSeg};
use crate::diagnostics::{Diagnostic, Diagnostics, did_you_mean};
use crate::model::spec::BackendConfigSpec;
use crate::model::*;
use crate::names;
use crate::options::BuildOptions;
use references::{RefKind, Reference};
use std::collections::{BTreeMap, BTreeSet};

/// A Function, Source or Sink ready to render, with every default applied.
#[derive(Debug, Clone)]
pub struct Component {
    pub kind: ComponentKind,
    /// Name of the (possibly virtual) custom resource: `metadata.name` or `<mesh>-<member>`.
    pub cr_name: String,
    /// Kubernetes namespace of every rendered object.
    pub namespace: String,
    /// Whether the resource itself set the namespace.
    pub explicit_namespace: bool,
    /// Prefix of every derived object name: `cr_name`, shortened when too long.
    pub base_name: String,
    /// Deterministic stand-in for the custom resource's UID.
    pub uid: String,
    pub spec: ComponentSpec,
    /// The custom resource's own metadata (labels, annotations).
    pub meta: Meta,
    pub origin: Origin,
    /// SHA-256 over the referenced ConfigMaps and Secrets present in the input.
    pub config_hash: String,
    /// BackendConfigs in scope: global first, then namespaced.
    pub backend_configs: Vec<BackendConfigSpec>,
    /// Inputs and outputs with schemas, when a native mesh declared them.
    pub io: Option<crate::model::streams::DeclaredIo>,
    /// The runner's configuration, for the native runtime.
    pub native: Option<crate::model::NativeRunner>,
    /// A Go function started from fmc's runner image (`--go-runner fmc`).
    pub go_launcher: Option<crate::model::GoLauncher>,
    /// The Pulsar cluster the component reads and writes on.
    pub cluster: ClusterRef,
    /// What is rendered around the workload (disruption budget, monitor, KEDA).
    pub around: crate::model::Around,
}

/// A Pulsar cluster as the stream graph tells clusters apart: by `key`, the
/// broker service URL when the input holds the `pulsarConfig` ConfigMap (two
/// ConfigMaps for one cluster are one cluster), else the ConfigMap itself.
/// `name` is how messages and graphs call it: the mesh's name for the
/// cluster, else the ConfigMap's.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClusterRef {
    pub key: String,
    pub name: String,
}

impl Component {
    /// Whether the component asks for subscription cleanup on deletion (the
    /// operator's `cleanupSubscription`, a batch source's config), unless it
    /// opts out: render makes the hook Job, check says when none will be.
    pub fn wants_cleanup(&self) -> bool {
        let opted_out = self.meta.annotations.get("compute.functionmesh.io/need-cleanup").map(String::as_str)
            == Some("false")
            || self.meta.labels.contains_key("compute.functionmesh.io/pulsar-cluster")
            || self.meta.labels.contains_key("pulsar-cluster");
        let asked = match self.kind {
            ComponentKind::Source => self.spec.batch_source_config.is_some(),
            _ => self.spec.cleanup_subscription == Some(true),
        };
        asked && !opted_out
    }

    /// `<base>-<component>`: the StatefulSet, HPA and VPA name.
    pub fn workload_name(&self) -> String {
        format!("{}-{}", self.base_name, self.kind.component())
    }

    /// Where the component is named: `metadata.name`, or a mesh member's `name`.
    pub fn name_span(&self, docs: &[Document]) -> crate::source::Span {
        if self.io.is_some() && self.origin.base.len() == 4 {
            // A native mesh component: named by its key (`spec.functions.<key>`).
            return docs[self.origin.doc].root.key_span(&self.origin.base[..3]);
        }
        if self.origin.base.len() == 1 {
            let path = [crate::ast::PathSeg::Key("metadata".into()), crate::ast::PathSeg::Key("name".into())];
            docs[self.origin.doc].root.lookup(&path).span
        } else {
            self.origin.span(docs, &["name"])
        }
    }

    pub fn pulsar_name(&self) -> &str {
        self.spec.name.as_deref().unwrap_or(&self.cr_name)
    }
}

#[derive(Debug, Default)]
pub struct Resolved {
    pub components: Vec<Component>,
    pub passthrough: Vec<PassthroughDoc>,
    /// Topics declared by native meshes, by address.
    pub topics: crate::model::streams::TopicTable,
    /// The BackendConfig documents (`--target operator` passes them on).
    pub backend_configs: Vec<BackendConfigDoc>,
}

/// What resolution needs of a ConfigMap or Secret in the input.
struct CatalogEntry {
    /// Keys of `data` and `binaryData`.
    keys: BTreeSet<String>,
    /// The data in canonical form, for the config hash.
    fingerprint: String,
    /// `data.brokerServiceURL`, for a ConfigMap that has one.
    broker: Option<String>,
    /// The mesh cluster a generated cluster ConfigMap stands for.
    cluster_label: Option<String>,
}

/// Objects of the input (by namespace and name) and the cluster-provided declarations.
struct Catalog {
    objects: BTreeMap<(RefKind, String, String), CatalogEntry>,
    provided: BTreeSet<(RefKind, String)>,
    /// (kind, namespace, name) of what mesh clusters name: reported once, at the cluster.
    at_clusters: BTreeSet<(RefKind, String, String)>,
}

impl Catalog {
    fn new(resources: &[Resource], options: &BuildOptions) -> Self {
        let mut objects = BTreeMap::new();
        let mut provided = BTreeSet::new();
        for res in resources {
            match res {
                Resource::Passthrough(p) if p.api_version == "v1" => {
                    let kind = match p.kind.as_str() {
                        "ConfigMap" => RefKind::ConfigMap,
                        "Secret" => RefKind::Secret,
                        _ => continue,
                    };
                    let ns = p.namespace.clone().unwrap_or_else(|| options.default_namespace.clone());
                    let keys = ["data", "binaryData"]
                        .iter()
                        .filter_map(|f| p.value.get(f).and_then(|d| d.as_object()))
                        .flat_map(|d| d.keys().cloned())
                        .collect();
                    let broker =
                        p.value["data"]["brokerServiceURL"].as_str().map(|u| u.trim_end_matches('/').to_string());
                    let cluster_label = p.value["metadata"]["labels"][CLUSTER_LABEL].as_str().map(str::to_string);
                    let entry = CatalogEntry { keys, fingerprint: content_fingerprint(p), broker, cluster_label };
                    objects.insert((kind, ns, p.name.clone()), entry);
                }
                Resource::ClusterProvided(c) => {
                    for name in c.spec.config_maps.iter().flatten() {
                        provided.insert((RefKind::ConfigMap, name.clone()));
                    }
                    for name in c.spec.secrets.iter().flatten() {
                        provided.insert((RefKind::Secret, name.clone()));
                    }
                }
                _ => {}
            }
        }
        Catalog { objects, provided, at_clusters: BTreeSet::new() }
    }

    fn get(&self, kind: RefKind, ns: &str, name: &str) -> Option<&CatalogEntry> {
        self.objects.get(&(kind, ns.to_string(), name.to_string()))
    }

    fn is_provided(&self, kind: RefKind, ns: &str, name: &str) -> bool {
        self.provided.contains(&(kind, name.to_string())) || self.provided.contains(&(kind, format!("{ns}/{name}")))
    }

    fn names_in(&self, kind: RefKind, ns: &str) -> Vec<&str> {
        self.objects.keys().filter(|(k, n, _)| *k == kind && n == ns).map(|(_, _, name)| name.as_str()).collect()
    }
}

/// Resolves what lowering made: its resources, then the references of the
/// meshes' clusters, each once, at the cluster.
pub fn resolve_lowered(
    lowered: crate::lower::Lowered,
    docs: &[Document],
    options: &BuildOptions,
) -> (Resolved, Diagnostics) {
    let references = lowered.cluster_references;
    let mut catalog = Catalog::new(&lowered.resources, options);
    catalog.at_clusters =
        references.iter().map(|c| (c.reference.kind, c.namespace.clone(), c.reference.name.clone())).collect();
    let (mut resolved, mut diags) = resolve_in(lowered.resources, &catalog, docs, options);
    resolved.topics = lowered.topics;
    for c in &references {
        let path: Vec<&str> = c.reference.path.iter().map(String::as_str).collect();
        let span = || c.origin.span(docs, &path);
        match catalog.get(c.reference.kind, &c.namespace, &c.reference.name) {
            Some(entry) => check_keys(&c.reference, entry, span, &mut diags),
            None if catalog.is_provided(c.reference.kind, &c.namespace, &c.reference.name) => {}
            None => diags.push(missing(&c.reference, &c.namespace, &catalog, span())),
        }
    }
    (resolved, diags)
}

/// Resolves a copy of the input's resources (see [`resolve_resources`]).
pub fn resolve(input: &Input, options: &BuildOptions) -> (Resolved, Diagnostics) {
    resolve_resources(input.resources.clone(), &input.documents, options)
}

/// Resolves the resources, consuming them (specs move into the components
/// instead of being copied: a large mesh is not held twice).
pub fn resolve_resources(
    resources: Vec<Resource>,
    docs: &[Document],
    options: &BuildOptions,
) -> (Resolved, Diagnostics) {
    let catalog = Catalog::new(&resources, options);
    resolve_in(resources, &catalog, docs, options)
}

fn resolve_in(
    resources: Vec<Resource>,
    catalog: &Catalog,
    docs: &[Document],
    options: &BuildOptions,
) -> (Resolved, Diagnostics) {
    let mut diags = Diagnostics::default();
    let backends = backend_configs(&resources, options);
    let mut resolved = Resolved { components: Vec::with_capacity(resources.len()), ..Resolved::default() };
    for res in resources {
        match res {
            Resource::Component(c) if unmanaged(&c.meta) => diags.push(unmanaged_warning(c.origin.doc, docs)),
            Resource::Mesh(m) if unmanaged(&m.meta) => diags.push(unmanaged_warning(m.origin.doc, docs)),
            Resource::Component(c) => {
                let c = *c;
                if c.around.is_none() {
                    around::check_annotations(&c.meta, c.origin.doc, docs, &mut diags);
                }
                let choice = match c.around {
                    // A native mesh says it in its own words.
                    Some(_) => python_runner::Choice { said: c.python_runner, sha256: c.code_sha256.clone() },
                    None => {
                        python_runner::check_annotations(&c.meta, c.origin.doc, docs, &mut diags);
                        python_runner::of_operator_resource(&c.meta)
                    }
                };
                let mut comp = component(c.kind, &c.meta.name, &c.meta, c.spec, c.origin, options);
                comp.io = c.io;
                comp.native = c.native;
                if let Some(around) = c.around {
                    comp.around = around;
                }
                on_runner_choice(&mut comp, &choice, options, docs, &mut diags);
                if let (Some(runner), Some(declared)) = (comp.native.as_mut(), c.declared_schemas) {
                    runner.config["declaredSchemas"] = declared;
                }
                resolved.components.push(comp);
            }
            Resource::Mesh(m) => {
                around::check_annotations(&m.meta, m.origin.doc, docs, &mut diags);
                python_runner::check_annotations(&m.meta, m.origin.doc, docs, &mut diags);
                expand_mesh(&m, options, docs, &mut resolved, &mut diags)
            }
            Resource::Passthrough(p) => resolved.passthrough.push(p),
            Resource::BackendConfig(b) => resolved.backend_configs.push(b),
            Resource::ClusterProvided(_) | Resource::DslMesh(_) => {}
        }
    }
    // Components resolve independently: spread them over the cores.
    let parts = crate::parallel::map_chunks_mut(&mut resolved.components, 256, |part| {
        let mut d = Diagnostics::default();
        for comp in part {
            check_name_length(comp, docs, &mut d);
            comp.config_hash = resolve_references(comp, catalog, docs, &mut d);
            comp.cluster = cluster_of(comp, catalog);
            comp.backend_configs = backends.for_namespace(&comp.namespace);
        }
        d
    });
    for d in parts {
        diags.extend(d);
    }
    check_duplicates(&resolved, docs, &mut diags);
    (resolved, diags)
}

/// The label on a cluster ConfigMap fmc generates: the mesh's name for the cluster.
pub use crate::model::CLUSTER_LABEL;

/// The cluster of `comp`'s `pulsar.pulsarConfig` (see [`ClusterRef`]); a
/// component without one is on the one unnamed cluster.
fn cluster_of(comp: &Component, catalog: &Catalog) -> ClusterRef {
    let Some(cm) = comp.spec.pulsar.as_ref().and_then(|p| p.pulsar_config.clone()).filter(|c| !c.is_empty()) else {
        return ClusterRef::default();
    };
    let entry = catalog.get(RefKind::ConfigMap, &comp.namespace, &cm);
    let mesh_name = comp.io.as_ref().and_then(|io| io.cluster.clone());
    let name = mesh_name.or_else(|| entry.and_then(|e| e.cluster_label.clone())).unwrap_or_else(|| cm.clone());
    let key = match entry.and_then(|e| e.broker.clone()) {
        Some(url) => url,
        None => format!("configmap {}/{cm}", comp.namespace),
    };
    ClusterRef { key, name }
}

pub const MANAGED_ANNOTATION: &str = "compute.functionmesh.io/managed";

/// `compute.functionmesh.io/managed: "false"`: the operator leaves such a resource alone.
fn unmanaged(meta: &Meta) -> bool {
    meta.annotations.get(MANAGED_ANNOTATION).map(String::as_str) == Some("false")
}

fn unmanaged_warning(doc: usize, docs: &[Document]) -> Diagnostic {
    let path: Vec<crate::ast::PathSeg> = ["metadata", "annotations", MANAGED_ANNOTATION]
        .iter()
        .map(|k| crate::ast::PathSeg::Key((*k).to_string()))
        .collect();
    Diagnostic::warning("C016", docs[doc].root.key_span(&path), "resource marked unmanaged: nothing is rendered for it")
        .label("`managed: \"false\"`")
        .help("remove the annotation to compile this resource")
}

fn component(
    kind: ComponentKind,
    cr_name: &str,
    meta: &Meta,
    mut spec: ComponentSpec,
    origin: Origin,
    options: &BuildOptions,
) -> Component {
    defaults::apply(kind, cr_name, &mut spec);
    let namespace = meta.namespace.clone().unwrap_or_else(|| options.default_namespace.clone());
    let max_base = names::MAX_STATEFULSET_NAME - kind.component().len() - 1;
    Component {
        kind,
        cr_name: cr_name.to_string(),
        base_name: names::shorten(cr_name, max_base),
        uid: names::stable_uid(kind.kind(), &namespace, cr_name),
        explicit_namespace: meta.namespace.is_some(),
        namespace,
        spec,
        meta: meta.clone(),
        origin,
        config_hash: String::new(),
        backend_configs: Vec::new(),
        io: None,
        native: None,
        go_launcher: None,
        cluster: ClusterRef::default(),
        around: around::of_operator_resource(meta, options),
    }
}

/// A Python function asked to run on fmc's runner gets the runner's
/// configuration (see [`python_runner`]); a Go function asked to start from
/// it, its launcher (see [`go_launcher`]).
fn on_runner_choice(
    comp: &mut Component,
    choice: &python_runner::Choice,
    options: &BuildOptions,
    docs: &[Document],
    diags: &mut Diagnostics,
) {
    if comp.native.is_none() {
        comp.native = python_runner::native(comp.kind, &comp.spec, &comp.origin, choice, options, docs, diags);
        comp.go_launcher = go_launcher::launcher(comp.kind, &comp.spec, &comp.origin, choice, options, docs, diags);
    }
}

/// Members become components named `<mesh>-<member name>`; the member's `name`
/// stays the Pulsar name, exactly as the operator's child resources.
fn expand_mesh(m: &MeshDoc, options: &BuildOptions, docs: &[Document], out: &mut Resolved, diags: &mut Diagnostics) {
    let lists = [
        ("functions", ComponentKind::Function, &m.spec.functions),
        ("sources", ComponentKind::Source, &m.spec.sources),
        ("sinks", ComponentKind::Sink, &m.spec.sinks),
    ];
    for (list, kind, members) in lists {
        for (i, spec) in members.iter().flatten().enumerate() {
            let origin = Origin {
                doc: m.origin.doc,
                base: vec![
                    crate::ast::PathSeg::Key("spec".into()),
                    crate::ast::PathSeg::Key(list.into()),
                    crate::ast::PathSeg::Index(i),
                ],
            };
            let Some(member) = spec.name.clone().filter(|n| !n.is_empty()) else {
                diags.push(crate::parse::diagnostics::missing_field(
                    origin.span(docs, &[]),
                    "name",
                    &format!("spec.{list}[{i}]"),
                ));
                continue;
            };
            let cr_name = format!("{}-{member}", m.meta.name);
            if let Some(problem) = names::workload_name_problem(&cr_name) {
                let span = origin.span(docs, &["name"]);
                diags.push(crate::parse::diagnostics::invalid_name(
                    span,
                    &format!("member `name` `{member}`"),
                    &format!("it gives `{cr_name}`: {problem}"),
                ));
                continue;
            }
            let meta = Meta { name: cr_name.clone(), namespace: m.meta.namespace.clone(), ..Meta::default() };
            let mut comp = component(kind, &cr_name, &meta, spec.clone(), origin, options);
            // Members have no metadata of their own: the mesh's annotations choose.
            comp.around = around::of_operator_resource(&m.meta, options);
            let choice = python_runner::of_operator_resource(&m.meta);
            on_runner_choice(&mut comp, &choice, options, docs, diags);
            out.components.push(comp);
        }
    }
}

fn check_name_length(comp: &Component, docs: &[Document], diags: &mut Diagnostics) {
    if comp.base_name != comp.cr_name {
        let span = comp.name_span(docs);
        diags.push(
            Diagnostic::warning(
                "C001",
                span,
                format!(
                    "`{}-{}` is longer than {} characters; objects are named `{}`",
                    comp.cr_name,
                    comp.kind.component(),
                    names::MAX_STATEFULSET_NAME,
                    comp.workload_name()
                ),
            )
            .label("this component")
            .help("nothing to do; choose a shorter name for readable object names"),
        );
    }
}

/// Reports missing references and returns the hash of the referenced objects.
fn resolve_references(comp: &Component, catalog: &Catalog, docs: &[Document], diags: &mut Diagnostics) -> String {
    let mut hashed = String::new();
    let mut seen = BTreeSet::new();
    for reference in references::references(&comp.spec) {
        let path: Vec<&str> = reference.path.iter().map(String::as_str).collect();
        // Spans cost a walk of the document: only reports compute them.
        let span = || comp.origin.span(docs, &path);
        match catalog.get(reference.kind, &comp.namespace, &reference.name) {
            Some(entry) => {
                check_keys(&reference, entry, span, diags);
                if seen.insert((reference.kind, reference.name.clone())) {
                    hashed.push_str(&entry.fingerprint);
                }
            }
            None if catalog.is_provided(reference.kind, &comp.namespace, &reference.name) => {}
            // A mesh cluster's references are reported once, at the cluster.
            None if from_mesh_cluster(comp, &reference, catalog) => {}
            None => diags.push(missing(&reference, &comp.namespace, catalog, span())),
        }
    }
    names::sha256_hex(&hashed)
}

/// Whether `reference` is one a mesh cluster gave `comp` (its messaging
/// block, naming what the cluster names), so reported at the cluster already.
fn from_mesh_cluster(comp: &Component, reference: &Reference, catalog: &Catalog) -> bool {
    let key = (reference.kind, comp.namespace.clone(), reference.name.clone());
    comp.io.as_ref().is_some_and(|io| io.cluster.is_some())
        && reference.path.first().is_some_and(|p| p == "pulsar")
        && catalog.at_clusters.contains(&key)
}

fn missing(reference: &Reference, ns: &str, catalog: &Catalog, span: crate::source::Span) -> Diagnostic {
    let known = catalog.names_in(reference.kind, ns);
    let close = did_you_mean(&reference.name, known.iter().copied());
    match reference.kind {
        RefKind::ConfigMap => diagnostics::missing_configmap(span, &reference.name, ns, close),
        RefKind::Secret => diagnostics::missing_secret(span, &reference.name, ns, close),
    }
}

fn check_keys(
    reference: &Reference,
    entry: &CatalogEntry,
    span: impl Fn() -> crate::source::Span,
    diags: &mut Diagnostics,
) {
    if reference.kind != RefKind::ConfigMap {
        return;
    }
    for key in reference.required_keys.iter().filter(|k| !entry.keys.contains(*k)) {
        diags.push(diagnostics::missing_configmap_key(span(), &reference.name, key));
    }
}

/// The data of a ConfigMap or Secret, in a canonical form (serde_json sorts keys).
fn content_fingerprint(obj: &PassthroughDoc) -> String {
    let mut parts = serde_json::Map::new();
    for field in ["data", "binaryData", "stringData"] {
        if let Some(v) = obj.value.get(field) {
            parts.insert(field.to_string(), v.clone());
        }
    }
    format!("{}/{}:{}\n", obj.kind, obj.name, serde_json::Value::Object(parts))
}

struct BackendIndex {
    global: Option<BackendConfigSpec>,
    namespaced: BTreeMap<String, BackendConfigSpec>,
}

impl BackendIndex {
    fn for_namespace(&self, ns: &str) -> Vec<BackendConfigSpec> {
        self.global.iter().chain(self.namespaced.get(ns)).cloned().collect()
    }
}

fn backend_configs(resources: &[Resource], options: &BuildOptions) -> BackendIndex {
    let mut global = None;
    let mut namespaced = BTreeMap::new();
    for res in resources {
        let Resource::BackendConfig(b) = res else { continue };
        let ns = b.meta.namespace.clone().unwrap_or_else(|| options.default_namespace.clone());
        if options.global_backend_config.as_deref() == Some(b.meta.name.as_str())
            && ns == options.global_backend_config_namespace
        {
            global = Some(b.spec.clone());
        } else if b.meta.name == options.namespaced_backend_config {
            namespaced.insert(ns, b.spec.clone());
        }
    }
    BackendIndex { global, namespaced }
}

fn check_duplicates(resolved: &Resolved, docs: &[Document], diags: &mut Diagnostics) {
    let mut seen: BTreeMap<(String, String, String), crate::source::Span> = BTreeMap::new();
    let components = resolved
        .components
        .iter()
        .map(|c| (("StatefulSet".to_string(), c.namespace.clone(), c.workload_name()), c.name_span(docs)));
    let others = resolved.passthrough.iter().map(|p| {
        let key = (format!("{}/{}", p.api_version, p.kind), p.namespace.clone().unwrap_or_default(), p.name.clone());
        // At the name (a copied object) or the declaration (a generated one), not the whole document.
        let root = &docs[p.origin.doc].root;
        let span = match p.made {
            Made::Generated => root.key_span(&p.origin.base),
            Made::Copied => root.lookup(&[PathSeg::Key("metadata".into()), PathSeg::Key("name".into())]).span,
        };
        (key, span)
    });
    for (key, span) in components.chain(others) {
        if let Some(first) = seen.get(&key) {
            let what = format!("{} `{}`", key.0.rsplit('/').next().unwrap_or(&key.0), key.2);
            diags.push(diagnostics::duplicate_object(span, *first, &what));
        } else {
            seen.insert(key, span);
        }
    }
}
