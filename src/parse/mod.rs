//! Stage 1, parse: source files → [`model::Input`].
//!
//! Reads every YAML document with spans ([`yaml`]), classifies it by
//! `apiVersion`/`kind`, and decodes Function Mesh and fmc documents into typed
//! resources ([`decode`]). Everything else passes through as JSON.
//!
//! Codes: P001–P015 (and R010, R012 for `--env`).

mod characters;
pub mod decode;
pub mod diagnostics;
pub mod environments;
pub mod schema_index;
pub mod yaml;

use crate::ast::{Document, PathSeg, Value};
use crate::diagnostics::Diagnostics;
use crate::model::dsl::{ComponentDecl, MeshDslSpec};
use crate::model::spec::{BackendConfigSpec, ClusterProvidedSpec, MeshSpec};
use crate::model::*;
use crate::source::SourceMap;
use decode::{Schema, decode, decode_json, string_at};
use diagnostics as diag;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schema_index::SchemaIndex;
use std::sync::LazyLock;

static COMPONENT_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<ComponentSpec>);
static MESH_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<MeshSpec>);
static BACKEND_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<BackendConfigSpec>);
static PROVIDED_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<ClusterProvidedSpec>);
static DSL_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<MeshDslSpec>);
static DSL_COMPONENT_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<ComponentDecl>);
static META_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<ObjectMeta>);
static SOURCE_CONNECTOR_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<common::SourceConnectorSpec>);
static SINK_CONNECTOR_SCHEMA: Schema = LazyLock::new(SchemaIndex::of::<common::SinkConnectorSpec>);

/// Parses every file of `sources`, in file order.
pub fn parse(sources: &SourceMap) -> (Input, Diagnostics) {
    parse_in(sources, None)
}

/// Parses every file of `sources`, with `environment` (`--env`) applied to
/// every native mesh before it is decoded ([`environments`]).
pub fn parse_in(sources: &SourceMap, environment: Option<&str>) -> (Input, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut input = Input::default();
    let mut names = Vec::new();
    for (id, file) in sources.files() {
        if let Some(d) = characters::check(id, file) {
            // A file with bytes YAML forbids is not read at all: what follows a
            // NUL must not silently vanish, nor be half-read.
            diags.push(d);
            continue;
        }
        for mut doc in yaml::read_documents(id, &file.text, &mut diags) {
            characters::non_finite_numbers(&doc.root, &mut diags);
            if let Some(env) = environment.filter(|_| is_native_mesh(&doc)) {
                environments::apply(&mut doc.root, env, &mut diags);
            }
            names.push(file.name.as_str());
            input.documents.push(doc);
        }
    }
    // Documents decode independently: spread them over the cores.
    let parts = crate::parallel::map_chunks(&input.documents, 256, |start, docs| {
        let mut d = Diagnostics::default();
        let resources: Vec<Resource> =
            docs.iter().enumerate().filter_map(|(i, doc)| classify(doc, start + i, names[start + i], &mut d)).collect();
        (resources, d)
    });
    for (resources, d) in parts {
        input.resources.extend(resources);
        diags.extend(d);
    }
    (input, diags)
}

/// Whether `doc` is a `kind: Mesh` of fmc's API.
pub fn is_native_mesh(doc: &Document) -> bool {
    string_at(&doc.root, "apiVersion") == Some(FMC_API_VERSION) && string_at(&doc.root, "kind") == Some("Mesh")
}

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

/// A kustomize configuration (kustomization.yaml) is not a resource: kustomize
/// reads it, `kubectl apply` never sees it.
fn is_kustomize_config(doc: &Document, file_name: &str) -> bool {
    let kind = string_at(&doc.root, "kind");
    let api = string_at(&doc.root, "apiVersion").unwrap_or("");
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let named = matches!(base, "kustomization.yaml" | "kustomization.yml" | "Kustomization");
    api.starts_with("kustomize.config.k8s.io/")
        || (named && kind.is_none_or(|k| k == "Kustomization" || k == "Component"))
}

fn classify(doc: &Document, index: usize, file_name: &str, diags: &mut Diagnostics) -> Option<Resource> {
    let root = &doc.root;
    match root.value {
        Value::Null => return None,
        Value::Map(_) => {}
        _ => {
            diags.push(diag::not_a_mapping(root.span));
            return None;
        }
    }
    if is_kustomize_config(doc, file_name) {
        diags.push(diag::kustomize_config(root.span));
        return None;
    }
    let (Some(api_version), Some(kind)) = (string_at(root, "apiVersion"), string_at(root, "kind")) else {
        let field = if string_at(root, "apiVersion").is_none() { "apiVersion" } else { "kind" };
        let span = root.get(field).map_or(root.span, |n| n.span);
        diags.push(diag::missing_type(span, field));
        return None;
    };
    let group = api_version.split('/').next().unwrap_or("");
    let compiled = group == FM_GROUP || api_version == FMC_API_VERSION;
    if !compiled {
        return passthrough(doc, index, api_version, kind, diags);
    }
    let workload = api_version == FM_API_VERSION && matches!(kind, "Function" | "Source" | "Sink" | "FunctionMesh");
    let meta = decode_meta(doc, workload, diags)?;
    let origin = Origin { doc: index, base: vec![key("spec")] };
    check_top_level_keys(doc, diags);
    match (api_version, kind) {
        (FM_API_VERSION, "Function" | "Source" | "Sink") => {
            let kind = ComponentKind::from_kind(kind).expect("invariant: matched above");
            let spec = decode_component(doc, kind, &[key("spec")], diags)?;
            Some(Resource::Component(Box::new(ComponentDoc {
                kind,
                meta,
                spec,
                origin,
                io: None,
                native: None,
                around: None,
                python_runner: None,
                code_sha256: None,
                declared_schemas: None,
            })))
        }
        (FM_API_VERSION, "FunctionMesh") => {
            let spec = decode_mesh(doc, diags)?;
            Some(Resource::Mesh(MeshDoc { meta, spec, origin }))
        }
        (FM_API_VERSION, "BackendConfig") => {
            let spec = decode_spec::<BackendConfigSpec>(doc, &BACKEND_SCHEMA, diags)?;
            Some(Resource::BackendConfig(BackendConfigDoc { meta, spec, origin }))
        }
        (FMC_API_VERSION, "Mesh") => {
            let spec = decode_dsl_mesh(doc, diags)?;
            Some(Resource::DslMesh(DslMeshDoc { meta, spec, origin }))
        }
        (FMC_API_VERSION, "ClusterProvided") => {
            let spec = decode_spec::<ClusterProvidedSpec>(doc, &PROVIDED_SCHEMA, diags)?;
            Some(Resource::ClusterProvided(ClusterProvidedDoc { meta, spec, origin }))
        }
        _ => {
            let span = root.get("kind").map_or(root.span, |n| n.span);
            diags.push(diag::unsupported_kind(span, api_version, kind));
            None
        }
    }
}

fn passthrough(
    doc: &Document,
    index: usize,
    api_version: &str,
    kind: &str,
    diags: &mut Diagnostics,
) -> Option<Resource> {
    let meta = doc.root.get("metadata");
    let name = meta.and_then(|m| string_at(m, "name")).unwrap_or("").to_string();
    let namespace = meta.and_then(|m| string_at(m, "namespace")).map(str::to_string);
    // These become paths in `-o` trees and keys everywhere: checked before anything uses them.
    let at = |field: &str| meta.and_then(|m| m.get(field)).or(meta).map_or(doc.root.span, |n| n.span);
    let problems = [
        ("kind", crate::names::kind_problem(kind), doc.root.get("kind").map_or(doc.root.span, |n| n.span)),
        ("metadata.name", name_problem(&name, kind, meta), at("name")),
        ("metadata.namespace", namespace.as_deref().and_then(crate::names::namespace_problem), at("namespace")),
    ];
    let mut valid = true;
    for (field, problem, span) in problems {
        if let Some(p) = problem {
            diags.push(diag::invalid_identity(span, field, &p));
            valid = false;
        }
    }
    if !valid {
        return None;
    }
    Some(Resource::Passthrough(PassthroughDoc {
        api_version: api_version.to_string(),
        kind: kind.to_string(),
        name,
        namespace,
        value: doc.root.to_json(),
        origin: Origin { doc: index, base: vec![] },
        made: crate::model::Made::Copied,
    }))
}

/// Why a pass-through object's name is refused. A name may be absent where
/// Kubernetes does without one: a `…List`, or an object named by the API server
/// from `generateName` (Helm hooks use it).
fn name_problem(name: &str, kind: &str, meta: Option<&crate::ast::Node>) -> Option<String> {
    let generated = meta.and_then(|m| string_at(m, "generateName")).is_some();
    if name.is_empty() && (generated || kind.ends_with("List")) {
        return None;
    }
    crate::names::object_name_problem(name)
}

/// Top-level keys of a compiled document: anything but these is a typo.
/// `status` is accepted (output of `kubectl get -o yaml`) and ignored: it is
/// written by a controller and has no meaning in a source file.
fn check_top_level_keys(doc: &Document, diags: &mut Diagnostics) {
    const KNOWN: [&str; 5] = ["apiVersion", "kind", "metadata", "spec", "status"];
    if let Value::Map(entries) = &doc.root.value {
        for e in entries.iter().filter(|e| !KNOWN.contains(&e.key.as_str())) {
            let hint = crate::diagnostics::did_you_mean(&e.key, KNOWN);
            diags.push(diag::unknown_field(e.key_span, &e.key, "(document)", hint));
        }
    }
}

fn decode_meta(doc: &Document, workload: bool, diags: &mut Diagnostics) -> Option<Meta> {
    let root = &doc.root;
    let Some(meta_node) = root.get("metadata") else {
        diags.push(diag::missing_field(root.span, "metadata", "(document)"));
        return None;
    };
    let meta: ObjectMeta = decode(doc, &[key("metadata")], &META_SCHEMA, diags)?;
    let name = match meta.name {
        Some(n) => n,
        None => {
            diags.push(diag::missing_field(meta_node.span, "name", "metadata"));
            return None;
        }
    };
    let problem =
        if workload { crate::names::workload_name_problem(&name) } else { crate::names::rfc1123_label_problem(&name) };
    if let Some(problem) = problem {
        let span = meta_node.get("name").map_or(meta_node.span, |n| n.span);
        diags.push(diag::invalid_name(span, "`metadata.name`", &problem));
        return None;
    }
    if let Some(p) = meta.namespace.as_deref().and_then(crate::names::namespace_problem) {
        let span = meta_node.get("namespace").map_or(meta_node.span, |n| n.span);
        diags.push(diag::invalid_identity(span, "metadata.namespace", &p));
        return None;
    }
    Some(Meta {
        name,
        namespace: meta.namespace,
        labels: meta.labels.unwrap_or_default(),
        annotations: meta.annotations.unwrap_or_default(),
    })
}

fn decode_spec<T: serde::de::DeserializeOwned + serde::Serialize + Default>(
    doc: &Document,
    schema: &Schema,
    diags: &mut Diagnostics,
) -> Option<T> {
    if doc.root.get("spec").is_none() {
        return Some(T::default());
    }
    decode(doc, &[key("spec")], schema, diags)
}

/// Decodes a component spec at `path`, first reporting fields that belong to
/// another kind (they are removed so they are not reported twice).
pub fn decode_component(
    doc: &Document,
    kind: ComponentKind,
    path: &[PathSeg],
    diags: &mut Diagnostics,
) -> Option<ComponentSpec> {
    let node = doc.root.lookup(path);
    if node.value == Value::Null || doc.root.get("spec").is_none() {
        diags.push(diag::missing_field(node.span, "spec", "(document)"));
        return None;
    }
    let mut json = node.to_json();
    if let (Value::Map(entries), Some(obj)) = (&node.value, json.as_object_mut()) {
        for e in entries.iter().filter(|e| kind.foreign_fields().contains(&e.key.as_str())) {
            diags.push(diag::foreign_field(e.key_span, &e.key, kind.kind()));
            obj.remove(&e.key);
        }
    }
    let spec: ComponentSpec = decode_json(doc, path, json, &COMPONENT_SCHEMA, diags)?;
    if kind == ComponentKind::Function {
        decode_connector_specs(doc, path, &spec, diags);
    }
    Some(spec)
}

/// A Function's `sourceConfig`/`sinkConfig` are typed connector specs; check them.
fn decode_connector_specs(doc: &Document, path: &[PathSeg], spec: &ComponentSpec, diags: &mut Diagnostics) {
    let mut at = path.to_vec();
    if spec.source_config.is_some() {
        at.push(key("sourceConfig"));
        let _: Option<common::SourceConnectorSpec> = decode(doc, &at, &SOURCE_CONNECTOR_SCHEMA, diags);
        at.pop();
    }
    if spec.sink_config.is_some() {
        at.push(key("sinkConfig"));
        let _: Option<common::SinkConnectorSpec> = decode(doc, &at, &SINK_CONNECTOR_SCHEMA, diags);
    }
}

/// A native mesh, decoded in pieces: everything but the component lists at
/// once, then each component on its own, spread over the cores. A mesh of
/// thousands of components is one document; decoding it whole would hold its
/// JSON twice (value and round trip) at the peak.
fn decode_dsl_mesh(doc: &Document, diags: &mut Diagnostics) -> Option<MeshDslSpec> {
    const LISTS: [&str; 3] = ["functions", "sources", "sinks"];
    let Some(spec_node) = doc.root.get("spec") else { return Some(MeshDslSpec::default()) };
    let Value::Map(entries) = &spec_node.value else {
        return decode(doc, &[key("spec")], &DSL_SCHEMA, diags);
    };
    let rest: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .filter(|e| !LISTS.contains(&e.key.as_str()))
        .map(|e| (e.key.clone(), e.value.to_json()))
        .collect();
    let mut spec: MeshDslSpec = decode_json(doc, &[key("spec")], serde_json::Value::Object(rest), &DSL_SCHEMA, diags)?;
    let mut ok = true;
    for (pos, list) in entries.iter().enumerate().filter(|(_, e)| LISTS.contains(&e.key.as_str())) {
        let members = match &list.value.value {
            Value::Map(members) => members,
            Value::Null => continue,
            _ => {
                let path = format!("spec.{}", list.key);
                diags.push(diag::invalid_value(list.value.span, &path, "expected a mapping of components"));
                ok = false;
                continue;
            }
        };
        let refused = refuse_non_mappings(&list.key, members, diags);
        ok &= refused.is_empty();
        let parts = crate::parallel::map_chunks(members, 256, |start, part| {
            let mut d = Diagnostics::default();
            let decoded: Vec<(String, Option<ComponentDecl>)> = part
                .iter()
                .enumerate()
                .filter(|(i, _)| !refused.contains(&(start + i)))
                .map(|(i, m)| {
                    let path = [key("spec"), PathSeg::Entry(pos), PathSeg::Entry(start + i)];
                    (m.key.clone(), decode(doc, &path, &DSL_COMPONENT_SCHEMA, &mut d))
                })
                .collect();
            (decoded, d)
        });
        let mut map = std::collections::BTreeMap::new();
        for (decoded, d) in parts {
            diags.extend(d);
            for (name, decl) in decoded {
                match decl {
                    Some(decl) => {
                        map.insert(name, decl);
                    }
                    None => ok = false,
                }
            }
        }
        let slot = match list.key.as_str() {
            "functions" => &mut spec.functions,
            "sources" => &mut spec.sources,
            _ => &mut spec.sinks,
        };
        *slot = Some(map);
    }
    ok.then_some(spec)
}

/// Members of a component list that are not mappings, reported in the
/// user's words (P008), by position. The usual cause is indentation: `f:`
/// with its fields at its own level reads as an empty `f` beside components
/// named `runtime`, `inputs`…; one diagnostic at `f` says so, and the stray
/// fields are not reported again as components of their own.
fn refuse_non_mappings(list: &str, members: &[crate::ast::Entry], diags: &mut Diagnostics) -> Vec<usize> {
    let fields = DSL_COMPONENT_SCHEMA.properties_at(&[]);
    let is_field = |m: &crate::ast::Entry| fields.contains(&m.key) && !matches!(m.value.value, Value::Map(_));
    let mut refused = Vec::new();
    let mut i = 0;
    while i < members.len() {
        let m = &members[i];
        let path = format!("spec.{list}.{}", m.key);
        let strays = members[i + 1..].iter().take_while(|s| is_field(s)).count();
        match &m.value.value {
            Value::Map(_) => {}
            Value::Null if strays > 0 => {
                let names: Vec<String> =
                    members[i + 1..=i + strays].iter().take(3).map(|s| format!("`{}`", s.key)).collect();
                let detail = format!(
                    "component `{}` is empty: {} below it are at its indentation, so they are read as components beside it, not as its fields",
                    m.key,
                    names.join(", ")
                );
                diags.push(
                    diag::invalid_value(m.key_span, &path, &detail)
                        .label("no fields under this key")
                        .help(format!("indent the fields of `{}` by two more spaces than `{}:`", m.key, m.key)),
                );
                refused.extend(i..=i + strays);
                i += strays + 1;
                continue;
            }
            _ if is_field(m) => {
                let detail = format!("`{}` is a component field, but here it stands where a component is named", m.key);
                diags.push(
                    diag::invalid_value(m.key_span, &path, &detail).help(
                        "indent it under the component it belongs to (two more spaces than the component's name)",
                    ),
                );
                refused.push(i);
            }
            _ => {
                let detail = "expected a component: a mapping of fields such as `runtime`, `inputs` and `output`";
                diags.push(diag::invalid_value(m.value.span, &path, detail));
                refused.push(i);
            }
        }
        i += 1;
    }
    refused
}

fn decode_mesh(doc: &Document, diags: &mut Diagnostics) -> Option<MeshSpec> {
    let spec_node = doc.root.get("spec");
    let Some(spec_node) = spec_node else {
        diags.push(diag::missing_field(doc.root.span, "spec", "(document)"));
        return None;
    };
    // Decode members one by one so each gets the per-kind field check.
    let mut mesh = MeshSpec::default();
    let mut ok = true;
    if let Value::Map(entries) = &spec_node.value {
        for e in entries {
            let kind = match e.key.as_str() {
                "functions" => ComponentKind::Function,
                "sources" => ComponentKind::Source,
                "sinks" => ComponentKind::Sink,
                other => {
                    let hint = crate::diagnostics::did_you_mean(other, ["functions", "sources", "sinks"]);
                    diags.push(diag::unknown_field(e.key_span, other, "spec", hint));
                    continue;
                }
            };
            let members = decode_members(doc, kind, &e.key, diags);
            ok &= members.is_some();
            let slot = match kind {
                ComponentKind::Function => &mut mesh.functions,
                ComponentKind::Source => &mut mesh.sources,
                ComponentKind::Sink => &mut mesh.sinks,
            };
            *slot = members;
        }
    } else if spec_node.value != Value::Null {
        let _: Option<MeshSpec> = decode(doc, &[key("spec")], &MESH_SCHEMA, diags);
        return None;
    }
    ok.then_some(mesh)
}

fn decode_members(
    doc: &Document,
    kind: ComponentKind,
    list: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<ComponentSpec>> {
    let list_path = [key("spec"), key(list)];
    let node = doc.root.lookup(&list_path);
    let items = match &node.value {
        Value::Seq(items) => items,
        Value::Null => return Some(Vec::new()),
        _ => {
            diags.push(diag::invalid_value(node.span, &format!("spec.{list}"), "expected a list"));
            return None;
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for i in 0..items.len() {
        let path = [key("spec"), key(list), PathSeg::Index(i)];
        let member = doc.root.lookup(&path);
        if !matches!(member.value, Value::Map(_)) {
            diags.push(diag::invalid_value(member.span, &format!("spec.{list}[{i}]"), "expected a mapping"));
            continue;
        }
        if let Some(spec) = decode_component(doc, kind, &path, diags) {
            out.push(spec);
        }
    }
    (out.len() == items.len()).then_some(out)
}
