//! `--target operator`: Function Mesh resources instead of plain manifests.
//!
//! For teams that keep the operator: a native mesh compiles to one `Function`,
//! `Source` or `Sink` per component (with the operator's defaults written out,
//! so what the operator receives is what was reviewed), plus the ConfigMaps the
//! mesh generates. Operator input round-trips (FunctionMesh members come out
//! as separate resources named `<mesh>-<member>`); BackendConfigs and other
//! documents pass through. Native-runtime components have no operator
//! resource: their plain manifests (runner StatefulSet, ConfigMap, …) are emitted.

use super::Manifest;
use crate::model::FM_API_VERSION;
use crate::model::Provenance;
use crate::options::BuildOptions;
use crate::resolve::{Component, Resolved};
use serde_json::{Map, Value, json};

pub fn render(resolved: &Resolved, options: &BuildOptions) -> Vec<Manifest> {
    let mut out = Vec::new();
    for c in &resolved.components {
        if c.native.is_some() || c.go_launcher.is_some() {
            // fmc's runner has no operator resource: its plain workload is emitted.
            super::render_component(c, options, &mut out);
        } else {
            out.push(resource(c, options));
            // The operator renders none of these: they stay fmc's to render.
            super::around::render(c, options, &mut out);
        }
    }
    for b in &resolved.backend_configs {
        let mut meta = Map::new();
        meta.insert("name".into(), b.meta.name.clone().into());
        if let Some(ns) = &b.meta.namespace {
            meta.insert("namespace".into(), ns.clone().into());
        }
        let spec = serde_json::to_value(&b.spec).expect("invariant: specs serialize");
        let value = json!({"apiVersion": FM_API_VERSION, "kind": "BackendConfig", "metadata": meta, "spec": spec});
        out.push(Manifest::from_value(value, Provenance::copied(b.origin.doc), options));
    }
    out.extend(resolved.passthrough.iter().map(|p| super::passthrough_manifest(p, options)));
    out
}

fn resource(comp: &Component, options: &BuildOptions) -> Manifest {
    let mut meta = Map::new();
    meta.insert("name".into(), comp.cr_name.clone().into());
    if comp.explicit_namespace || options.write_default_namespace {
        meta.insert("namespace".into(), comp.namespace.clone().into());
    }
    if !comp.meta.labels.is_empty() {
        meta.insert("labels".into(), json!(comp.meta.labels));
    }
    if !comp.meta.annotations.is_empty() {
        meta.insert("annotations".into(), json!(comp.meta.annotations));
    }
    let mut spec = comp.spec.clone();
    // As on the StatefulSet: the autoscaler owns an autoscaled resource's scale.
    spec.replicas = super::replicas(comp, options);
    // The CRD requires it; the operator overwrites it with `className` anyway.
    if let Some(w) = spec.window_config.as_mut() {
        w.actual_window_function_class_name.get_or_insert_with(|| comp.spec.class_name.clone().unwrap_or_default());
    }
    let spec = serde_json::to_value(&spec).expect("invariant: specs serialize");
    let value =
        json!({"apiVersion": FM_API_VERSION, "kind": comp.kind.kind(), "metadata": Value::Object(meta), "spec": spec});
    let mut m = Manifest::from_value(value, Provenance::generated(comp.origin.doc), options);
    m.namespace = comp.namespace.clone();
    m
}
