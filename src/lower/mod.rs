//! Stage 1½, lower: native `Mesh` documents → the components operator resources
//! become, plus what the stream graph needs (topics, schemas, ports).
//!
//! Lowering is what lets one renderer and one set of checks serve both input
//! languages: after it, a DSL function is a `ComponentDoc` like any operator
//! `Function`, except that it also carries its declared inputs and outputs with
//! their schemas ([`DeclaredIo`]). Clusters given by URL become generated
//! ConfigMaps. The `--env` environment was applied to the tree before the mesh
//! was decoded (`parse::environments`), so nothing here knows about
//! environments.
//!
//! Codes: R005 unknown topic, R006 unknown schema, R007 unknown cluster, R008
//! invalid schema, R009 inline credential, R011 invalid cluster, R013 native
//! runtime; C009 for a topic address that is not one; R014 for a file outside
//! the input's root, R015 for one that is missing; R016 and C028 under
//! `--provision` (`provision.rs`), R017 and R018 for backlog autoscaling
//! (`around.rs`).

mod around;
pub mod clusters;
mod components;
pub use components::PACKAGE_DIR;
pub(crate) use components::{connection_settings, tls_trust_certs, token_file};
mod diagnostics;
pub mod payload_schemas;
mod provision;
mod pulsar_schema;
mod schemas;

use crate::ast::{Document, PathSeg};
use crate::diagnostics::{Diagnostics, did_you_mean};
use crate::model::dsl::{Defaults, MeshDslSpec};
use crate::model::streams::{TopicFacts, TopicTable};
use crate::model::*;
use crate::options::BuildOptions;
use crate::source::{SourceMap, Span};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What lowering hands to resolve.
#[derive(Debug, Default)]
pub struct Lowered {
    pub resources: Vec<Resource>,
    pub topics: TopicTable,
    /// What the meshes' clusters name, to check once per cluster.
    pub cluster_references: Vec<clusters::ClusterReference>,
}

/// Lowers every `Mesh` document; other resources pass through untouched.
pub fn lower(
    resources: Vec<Resource>,
    docs: &[Document],
    sources: &SourceMap,
    options: &BuildOptions,
) -> (Lowered, Diagnostics) {
    let mut diags = Diagnostics::default();
    if options.provision.is_some() {
        for r in &resources {
            let doc = match r {
                Resource::Component(c) => c.origin.doc,
                Resource::Mesh(m) => m.origin.doc,
                _ => continue,
            };
            diags.push(provision::operator_resource(&docs[doc]));
        }
    }
    if !resources.iter().any(|r| matches!(r, Resource::DslMesh(_))) {
        return (Lowered { resources, ..Lowered::default() }, diags);
    }
    let mut out = Lowered { resources: Vec::with_capacity(resources.len()), ..Lowered::default() };
    for res in resources {
        match res {
            Resource::DslMesh(mesh) => {
                let file = sources.get(docs[mesh.origin.doc].file);
                let root = options.read_root.clone().or_else(|| file.root.clone());
                let dir = crate::files::document_folder(file, root.as_deref());
                let mut ctx = MeshCtx::new(mesh, docs, dir, root, options);
                lower_mesh(&mut ctx, &mut out);
                diags.extend(ctx.diags);
            }
            other => out.resources.push(other),
        }
    }
    (out, diags)
}

/// One mesh being lowered: its spec (environment applied), where it lives, and
/// the diagnostics found so far.
pub struct MeshCtx<'a> {
    pub doc: usize,
    pub docs: &'a [Document],
    pub meta: Meta,
    pub spec: MeshDslSpec,
    pub options: &'a BuildOptions,
    /// Directory of the mesh file: schema files are relative to it.
    pub dir: PathBuf,
    /// The folder files may be read from (`files.rs`); `None`: no file at all.
    pub root: Option<PathBuf>,
    pub diags: Diagnostics,
    /// The JSON definition of every AVRO and JSON schema, by name: what
    /// `--provision` writes into a topic's `schemaInfo`.
    pub schema_json: BTreeMap<String, serde_json::Value>,
    /// (section, key) → position of the key in `spec.<section>`: paths to
    /// declarations use [`PathSeg::Entry`] so that a span costs no key search.
    entries: BTreeMap<(String, String), usize>,
}

impl<'a> MeshCtx<'a> {
    fn new(
        mesh: DslMeshDoc,
        docs: &'a [Document],
        dir: PathBuf,
        root: Option<PathBuf>,
        options: &'a BuildOptions,
    ) -> Self {
        let mut entries = BTreeMap::new();
        if let Some(crate::ast::Value::Map(sections)) = docs[mesh.origin.doc].root.get("spec").map(|n| &n.value) {
            for section in sections {
                if let crate::ast::Value::Map(items) = &section.value.value {
                    for (i, item) in items.iter().enumerate() {
                        entries.insert((section.key.clone(), item.key.clone()), i);
                    }
                }
            }
        }
        MeshCtx {
            doc: mesh.origin.doc,
            docs,
            meta: mesh.meta,
            spec: mesh.spec,
            options,
            dir,
            root,
            diags: Diagnostics::default(),
            schema_json: BTreeMap::new(),
            entries,
        }
    }

    /// The path `spec.<section>.<key>` with the key as an entry position.
    pub fn declaration(&self, section: &str, key: &str) -> Vec<PathSeg> {
        let seg = match self.entries.get(&(section.to_string(), key.to_string())) {
            Some(i) => PathSeg::Entry(*i),
            None => PathSeg::Key(key.to_string()),
        };
        vec![PathSeg::Key("spec".into()), PathSeg::Key(section.into()), seg]
    }

    /// The origin of a component declared at `spec.<list>.<key>`: its escape hatch `spec`.
    pub fn component_origin(&self, list: &str, key: &str) -> Origin {
        let mut base = self.declaration(list, key);
        base.push(PathSeg::Key("spec".into()));
        Origin { doc: self.doc, base }
    }

    /// The namespace written on objects the mesh generates (cluster
    /// ConfigMaps, provisioning objects): exactly what its workloads carry —
    /// the mesh's own, else the default namespace where fmc writes one, else
    /// none (plug-in modes: Helm, kpt or kustomize place them with the
    /// workloads, so a mesh is never split across namespaces).
    pub fn generated_namespace(&self) -> Option<String> {
        self.meta
            .namespace
            .clone()
            .or_else(|| self.options.write_default_namespace.then(|| self.options.default_namespace.clone()))
    }

    /// Span of the value at `rel` under the mesh's `spec` (nearest existing ancestor).
    pub fn span(&self, rel: &[&str]) -> Span {
        let path = self.path_with_indices(rel);
        self.docs[self.doc].root.lookup(&path).span
    }

    /// Span of the key at `rel` under `spec`.
    pub fn key_span(&self, rel: &[&str]) -> Span {
        self.docs[self.doc].root.key_span(&self.path_with_indices(rel))
    }

    fn path_with_indices(&self, rel: &[&str]) -> Vec<PathSeg> {
        let (mut path, rest) = match rel {
            [section, key, rest @ ..] => (self.declaration(section, key), rest),
            _ => (vec![PathSeg::Key("spec".into())], rel),
        };
        let mut node = self.docs[self.doc].root.lookup(&path);
        for seg in rest {
            // A number indexes a list only where the node is a list (keys may be numeric).
            let seg = match (seg.parse::<usize>(), &node.value) {
                (Ok(i), crate::ast::Value::Seq(_)) => PathSeg::Index(i),
                _ => PathSeg::Key((*seg).to_string()),
            };
            path.push(seg);
            node = self.docs[self.doc].root.lookup(&path);
        }
        path
    }

    /// The declared name closest to `name` under `section`, with its key's span.
    pub fn closest<'k>(
        &self,
        name: &str,
        candidates: impl IntoIterator<Item = &'k String>,
        section: &[&str],
    ) -> Option<(String, Span)> {
        let close = did_you_mean(name, candidates.into_iter().map(String::as_str))?.to_string();
        let mut path = section.to_vec();
        path.push(&close);
        let span = self.key_span(&path);
        Some((close, span))
    }

    /// Reads the file `spec.schemas.<schema>.file` names, confined to the root
    /// (`files.rs`). A refusal is reported here (R014) and returns `Err("")`,
    /// the "already reported" convention; other failures return their message.
    pub fn read_file(&mut self, schema: &str, rel: &str) -> Result<String, String> {
        match crate::files::read_confined(self.root.as_deref(), &self.dir, rel) {
            Ok(text) => Ok(text),
            Err(crate::files::ReadError::Failed(e)) => Err(e),
            Err(crate::files::ReadError::Missing(missing)) => {
                let span = self.span(&["schemas", schema, "file"]);
                self.diags.push(diagnostics::file_not_found(span, rel, &missing));
                Err(String::new())
            }
            Err(crate::files::ReadError::Refused(why)) => {
                let span = self.span(&["schemas", schema, "file"]);
                self.diags.push(diagnostics::file_refused(span, &why));
                Err(String::new())
            }
        }
    }

    pub fn defaults(&self) -> Defaults {
        self.spec.defaults.clone().unwrap_or_default()
    }
}

fn lower_mesh(ctx: &mut MeshCtx, out: &mut Lowered) {
    let schemas = schemas::resolve(ctx);
    let topics = topics(ctx, &schemas);
    let clusters = clusters::lower(ctx, out);
    let first_component = out.resources.len();
    components::lower(ctx, &schemas, &topics, &clusters, out);
    if ctx.options.provision.is_some() {
        provision::lower(ctx, &topics, first_component, out);
    }
    for facts in topics.into_values() {
        out.topics.insert(facts.address.clone(), facts);
    }
}

/// Declared topics by logical name, with addresses and schemas resolved.
fn topics(ctx: &mut MeshCtx, schemas: &schemas::SchemaTable) -> BTreeMap<String, TopicFacts> {
    let defaults = ctx.defaults();
    let decls = ctx.spec.topics.clone().unwrap_or_default();
    let mut out = BTreeMap::new();
    for (logical, t) in &decls {
        let address = t.topic.clone().unwrap_or_else(|| {
            let domain = if t.persistent == Some(false) { "non-persistent" } else { "persistent" };
            let tenant = t.tenant.as_deref().or(defaults.tenant.as_deref()).unwrap_or("public");
            let ns = t.namespace.as_deref().or(defaults.namespace.as_deref()).unwrap_or("default");
            format!("{domain}://{tenant}/{ns}/{}", t.name.as_deref().unwrap_or(logical))
        });
        if let Some(problem) = crate::names::topic_problem(&address) {
            let span = ctx.span(&["topics", logical]);
            ctx.diags.push(
                crate::diagnostics::Diagnostic::error("C009", span, format!("invalid topic `{address}`: {problem}"))
                    .label("this topic declaration")
                    .help("write `topic: persistent://tenant/namespace/name`, or give a valid `name`"),
            );
            continue;
        }
        let schema = t.schema.as_ref().and_then(|s| schema_ref(ctx, schemas, s, &["topics", logical, "schema"]));
        let mut history = Vec::new();
        for (i, h) in t.history.iter().flatten().enumerate() {
            let idx = i.to_string();
            if let Some(s) = schema_ref(ctx, schemas, h, &["topics", logical, "history", &idx]) {
                history.push(s);
            }
        }
        let replication_clusters = replication_clusters(ctx, logical, t);
        let facts = TopicFacts {
            logical: logical.clone(),
            address,
            schema,
            history,
            compatibility: t.compatibility.unwrap_or_default(),
            external: t.external.unwrap_or(false),
            multiple_producers: t.multiple_producers.unwrap_or(false),
            partitions: t.partitions,
            replication_clusters,
            span: ctx.key_span(&["topics", logical]),
        };
        out.insert(logical.clone(), facts);
    }
    out
}

/// A topic's `replicationClusters`, each a declared cluster (R007 otherwise), sorted.
fn replication_clusters(ctx: &mut MeshCtx, logical: &str, t: &crate::model::dsl::TopicDecl) -> Vec<String> {
    let declared = ctx.spec.clusters.clone().unwrap_or_default();
    let mut out = Vec::new();
    for (i, name) in t.replication_clusters.iter().flatten().enumerate() {
        if declared.contains_key(name) {
            out.push(name.clone());
            continue;
        }
        let span = ctx.span(&["topics", logical, "replicationClusters", &i.to_string()]);
        let close = ctx.closest(name, declared.keys(), &["clusters"]);
        ctx.diags.push(diagnostics::unknown("R007", "cluster", span, name, close, "clusters"));
    }
    out.sort();
    out.dedup();
    out
}

/// A schema by name, or R006 at `path` (nothing when the schema exists but failed to resolve).
pub fn schema_ref(
    ctx: &mut MeshCtx,
    schemas: &schemas::SchemaTable,
    name: &str,
    path: &[&str],
) -> Option<(String, std::sync::Arc<crate::types::Schema>)> {
    if let Some(s) = schemas.get(name) {
        return Some((name.to_string(), s.clone()));
    }
    let declared = ctx.spec.schemas.clone().unwrap_or_default();
    if !declared.contains_key(name) {
        let span = ctx.span(path);
        let close = ctx.closest(name, declared.keys(), &["schemas"]);
        ctx.diags.push(diagnostics::unknown("R006", "schema", span, name, close, "schemas"));
    }
    None
}
