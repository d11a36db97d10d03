//! `fmc convert`: operator resources → the native mesh DSL, for migration.
//!
//! Functions, Sources, Sinks and FunctionMesh members become components of one
//! `Mesh` per Kubernetes namespace. What the DSL says natively is lifted out of
//! the operator spec (class, runtime and package, inputs and output as declared
//! topics, parallelism); everything else stays, unchanged, in the component's
//! `spec` escape hatch, so building the converted mesh renders exactly the
//! manifests the original renders (a test checks this over the whole corpus).
//! Topics not both written and read inside the input are marked `external`.
//! Every other document (ConfigMaps, Secrets, BackendConfigs, native meshes,
//! unmanaged resources) is copied byte for byte.

use crate::diagnostics::Diagnostics;
use crate::model::*;
use crate::source::SourceMap;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One component to write, before topics are named.
struct Member {
    key: String,
    kind: ComponentKind,
    meta: Meta,
    spec: ComponentSpec,
}

/// Converts every file of `sources`; `Err` carries the parse diagnostics.
pub fn convert(sources: &SourceMap) -> Result<String, Diagnostics> {
    let (input, diags) = crate::parse::parse(sources);
    if diags.has_errors() {
        return Err(diags);
    }
    let mut by_namespace: BTreeMap<Option<String>, Vec<Member>> = BTreeMap::new();
    let mut verbatim = Vec::new();
    for res in input.resources {
        match res {
            Resource::Component(c) if !unmanaged(&c.meta) => {
                let member = Member { key: c.meta.name.clone(), kind: c.kind, meta: c.meta.clone(), spec: c.spec };
                by_namespace.entry(c.meta.namespace.clone()).or_default().push(member);
            }
            Resource::Mesh(m) if !unmanaged(&m.meta) => {
                for (kind, list) in [
                    (ComponentKind::Function, &m.spec.functions),
                    (ComponentKind::Source, &m.spec.sources),
                    (ComponentKind::Sink, &m.spec.sinks),
                ] {
                    for spec in list.iter().flatten() {
                        let key = format!("{}-{}", m.meta.name, spec.name.clone().unwrap_or_default());
                        let meta = Meta { name: key.clone(), namespace: m.meta.namespace.clone(), ..Meta::default() };
                        by_namespace.entry(m.meta.namespace.clone()).or_default().push(Member {
                            key,
                            kind,
                            meta,
                            spec: spec.clone(),
                        });
                    }
                }
            }
            other => verbatim.push(doc_index(&other)),
        }
    }
    let mut out = String::new();
    let all: Vec<&Member> = by_namespace.values().flatten().collect();
    let topics = TopicNames::new(&all);
    for (ns, members) in &by_namespace {
        out.push_str("---\n");
        out.push_str(&crate::emit::yaml::to_yaml(&mesh_document(ns.as_deref(), members, &topics)));
    }
    for doc in verbatim {
        let d = &input.documents[doc];
        let text = &sources.get(d.file).text;
        out.push_str("---\n");
        out.push_str(&text[d.root.span.start as usize..d.root.span.end as usize]);
        out.push('\n');
    }
    Ok(out)
}

fn unmanaged(meta: &Meta) -> bool {
    meta.annotations.get(crate::resolve::MANAGED_ANNOTATION).map(String::as_str) == Some("false")
}

fn doc_index(res: &Resource) -> usize {
    match res {
        Resource::Component(c) => c.origin.doc,
        Resource::Mesh(m) => m.origin.doc,
        Resource::DslMesh(m) => m.origin.doc,
        Resource::BackendConfig(b) => b.origin.doc,
        Resource::ClusterProvided(c) => c.origin.doc,
        Resource::Passthrough(p) => p.origin.doc,
    }
}

/// Logical names for topic addresses: the last path segment, made unique.
struct TopicNames {
    names: BTreeMap<String, String>,
    written: BTreeSet<String>,
    read: BTreeSet<String>,
}

impl TopicNames {
    fn new(members: &[&Member]) -> Self {
        let mut t = TopicNames { names: BTreeMap::new(), written: BTreeSet::new(), read: BTreeSet::new() };
        for m in members {
            for topic in lifted_inputs(m).into_iter().flatten() {
                t.read.insert(topic.clone());
                t.name(&topic);
            }
            if let Some(topic) = lifted_output(m) {
                t.written.insert(topic.clone());
                t.name(&topic);
            }
        }
        t
    }

    fn name(&mut self, address: &str) {
        if self.names.contains_key(address) {
            return;
        }
        let base = address.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or("topic").to_string();
        let taken: BTreeSet<&String> = self.names.values().collect();
        let mut name = base.clone();
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        self.names.insert(address.to_string(), name);
    }
}

/// The input topics the DSL can say natively (a plain list without repeats).
fn lifted_inputs(m: &Member) -> Option<Vec<String>> {
    if m.kind == ComponentKind::Source {
        return None;
    }
    let topics = m.spec.input.as_ref()?.topics.clone()?;
    let unique: BTreeSet<&String> = topics.iter().collect();
    (!topics.is_empty() && unique.len() == topics.len()).then_some(topics)
}

fn lifted_output(m: &Member) -> Option<String> {
    if m.kind == ComponentKind::Sink {
        return None;
    }
    m.spec.output.as_ref()?.topic.clone().filter(|t| !t.is_empty())
}

fn mesh_document(namespace: Option<&str>, members: &[Member], topics: &TopicNames) -> Value {
    let mut used = BTreeSet::new();
    let mut lists: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for m in members {
        let list = match m.kind {
            ComponentKind::Function => "functions",
            ComponentKind::Source => "sources",
            ComponentKind::Sink => "sinks",
        };
        let decl = component(m, topics, &mut used);
        lists.entry(list).or_default().insert(m.key.clone(), decl);
    }
    let mut topic_decls = Map::new();
    for address in used {
        let mut t = Map::new();
        t.insert("topic".into(), address.clone().into());
        if !(topics.written.contains(&address) && topics.read.contains(&address)) {
            t.insert("external".into(), true.into());
        }
        topic_decls.insert(topics.names[&address].clone(), Value::Object(t));
    }
    let mut spec = Map::new();
    if !topic_decls.is_empty() {
        spec.insert("topics".into(), Value::Object(topic_decls));
    }
    for (list, decls) in lists {
        spec.insert(list.into(), Value::Object(decls));
    }
    let name = match namespace {
        Some(ns) => format!("converted-{ns}"),
        None => "converted".to_string(),
    };
    let mut meta = Map::new();
    meta.insert("name".into(), crate::names::shorten(&name, 63).into());
    if let Some(ns) = namespace {
        meta.insert("namespace".into(), ns.into());
    }
    json!({"apiVersion": FMC_API_VERSION, "kind": "Mesh", "metadata": meta, "spec": spec})
}

fn component(m: &Member, topics: &TopicNames, used: &mut BTreeSet<String>) -> Value {
    let mut decl = Map::new();
    let mut hatch = m.spec.clone();
    if let Some(class) = hatch.class_name.take() {
        decl.insert("className".into(), class.into());
    }
    if let Some(r) = hatch.replicas.take() {
        decl.insert("parallelism".into(), r.into());
    }
    lift_runtime(&mut hatch, &mut decl);
    // A container emptied by lifting would read back as set-but-empty: it is dropped.
    if let Some(inputs) = lifted_inputs(m) {
        let input = hatch.input.as_mut().expect("invariant: lifted inputs exist");
        input.topics = None;
        if *input == Default::default() {
            hatch.input = None;
        }
        let names: Vec<Value> = inputs.iter().map(|t| topics.names[t].clone().into()).collect();
        used.extend(inputs);
        decl.insert("inputs".into(), names.into());
    }
    if let Some(output) = lifted_output(m) {
        let out = hatch.output.as_mut().expect("invariant: lifted output exists");
        out.topic = None;
        if *out == Default::default() {
            hatch.output = None;
        }
        decl.insert("output".into(), topics.names[&output].clone().into());
        used.insert(output);
    }
    if !m.meta.labels.is_empty() {
        decl.insert("labels".into(), json!(m.meta.labels));
    }
    if !m.meta.annotations.is_empty() {
        decl.insert("annotations".into(), json!(m.meta.annotations));
    }
    let rest = serde_json::to_value(&hatch).expect("invariant: specs serialize");
    if rest.as_object().is_some_and(|o| !o.is_empty()) {
        decl.insert("spec".into(), rest);
    }
    Value::Object(decl)
}

/// `java.jar`/`jarLocation` (and the Python and Go forms) → `runtime`, `file`, `package`.
fn lift_runtime(hatch: &mut ComponentSpec, decl: &mut Map<String, Value>) {
    let present = [hatch.java.is_some(), hatch.python.is_some(), hatch.golang.is_some()];
    if present.iter().filter(|p| **p).count() != 1 {
        return;
    }
    let (runtime, file, package) = if let Some(j) = hatch.java.as_mut().filter(|j| !j.jar.is_empty()) {
        ("java", std::mem::take(&mut j.jar), j.jar_location.take())
    } else if let Some(p) = hatch.python.as_mut().filter(|p| !p.py.is_empty()) {
        ("python", std::mem::take(&mut p.py), p.py_location.take())
    } else if let Some(g) = hatch.golang.as_mut().filter(|g| !g.go.is_empty()) {
        ("go", std::mem::take(&mut g.go), g.go_location.take())
    } else {
        return;
    };
    // A block left with nothing but the lifted fields is recreated by lowering.
    if hatch.java.as_ref() == Some(&Default::default()) {
        hatch.java = None;
    }
    if hatch.python.as_ref() == Some(&Default::default()) {
        hatch.python = None;
    }
    if hatch.golang.as_ref() == Some(&Default::default()) {
        hatch.golang = None;
    }
    decl.insert("runtime".into(), runtime.into());
    decl.insert("file".into(), file.into());
    if let Some(p) = package {
        decl.insert("package".into(), p.into());
    }
}
