//! `fmc krm`: a KRM function (kpt, kustomize with exec functions) and
//! `fmc kustomize-plugin`: a legacy kustomize exec plug-in
//! (`kubectl kustomize --enable-alpha-plugins`).
//!
//! KRM: a `config.kubernetes.io/v1` ResourceList comes in on stdin; Function Mesh
//! items are replaced by the objects they compile to, other items pass through
//! unchanged, diagnostics become `results` (with the item's file path and index
//! from the `internal.config.kubernetes.io/*` annotations), and the exit code is 1
//! when there are errors. Options come from the `functionConfig`: a ConfigMap's
//! `data` or a `MeshBuild` resource's `spec` (see [`options_from`]).
//!
//! `sources: keep` in the function config is for `kpt fn render`, which writes
//! its output back into the package: the inputs fmc compiles stay in the
//! package marked `config.kubernetes.io/local-config` (kpt and kustomize never
//! apply such a resource), the objects made from them are marked
//! [`GENERATED_FROM`] and written beside them, and the next render drops the
//! marked objects before compiling again, so renders are idempotent and the
//! Mesh is never lost. The default, `consume`, replaces an input by its objects,
//! as `fmc build` does, for `kpt fn eval` and kustomize, whose output is applied.

use crate::diagnostics::{Diagnostic, Severity};
use crate::emit::yaml::to_yaml;
use crate::options::BuildOptions;
use crate::pipeline::compile;
use crate::render::DocumentOutput;
use crate::source::SourceMap;
use serde_json::{Value, json};

pub struct KrmOutput {
    /// The ResourceList to print.
    pub text: String,
    pub failed: bool,
}

/// What becomes of the inputs fmc compiles (the `sources` function-config key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sources {
    /// Replaced by the objects they compile to.
    #[default]
    Consume,
    /// Kept as local configuration beside the objects (in-place `kpt fn render`).
    Keep,
}

/// The annotation on an object fmc generated under `sources: keep`: the path of
/// the input it came from. The next render drops such objects and makes them anew.
pub const GENERATED_FROM: &str = "fmc.functionmesh.io/generated-from";
/// Beside [`GENERATED_FROM`]: the digest of the object as fmc wrote it. An
/// object is dropped only when it is where fmc writes that input's objects
/// and still is what fmc wrote, so a marker copied onto another object (a
/// `NetworkPolicy` in a file of its own) never deletes it.
pub const GENERATED_DIGEST: &str = "fmc.functionmesh.io/generated-digest";
const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";

/// The KRM function's options: fmc's build options and [`Sources`].
pub fn krm_options(config: &Value, base: &BuildOptions) -> Result<(BuildOptions, Sources), String> {
    let mut config = config.clone();
    let section = if config.get("spec").is_some() { "spec" } else { "data" };
    let sources = match config.get_mut(section).and_then(Value::as_object_mut).and_then(|f| f.remove("sources")) {
        None => Sources::Consume,
        Some(Value::String(s)) if s == "consume" => Sources::Consume,
        Some(Value::String(s)) if s == "keep" => Sources::Keep,
        Some(other) => return Err(format!("`sources` is `keep` or `consume`, not {other}")),
    };
    Ok((options_from(&config, base)?, sources))
}

/// Reads fmc options from a function config (`data` of a ConfigMap, `spec` of
/// a `MeshBuild`); unknown keys are reported as errors.
pub fn options_from(config: &Value, base: &BuildOptions) -> Result<BuildOptions, String> {
    let mut o = base.clone();
    let fields =
        config.get("spec").or_else(|| config.get("data")).and_then(Value::as_object).cloned().unwrap_or_default();
    for (k, v) in fields {
        let text = match &v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let flag = || matches!(text.as_str(), "true" | "True" | "1" | "yes");
        match k.as_str() {
            "namespace" => o.default_namespace = text,
            // The environment of native meshes (`fmc build --env`); empty: none.
            "env" => o.environment = Some(text).filter(|t| !t.is_empty()),
            "enableInitContainers" => o.enable_init_containers = flag(),
            "addDefaultAffinity" => o.add_default_affinity = flag(),
            "globalBackendConfig" => o.global_backend_config = Some(text),
            "globalBackendConfigNamespace" => o.global_backend_config_namespace = text,
            "namespacedBackendConfig" => o.namespaced_backend_config = text,
            "allowRoot" => o.run_as_non_root = !flag(),
            "cleanupHooks" => o.cleanup_hooks = flag(),
            "networkPolicy" => o.network_policy = flag(),
            "provision" => {
                let p = crate::options::Provisioner::parse(&text);
                o.provision = Some(p.ok_or_else(|| format!("`provision` is `resources-operator`, not `{text}`"))?);
            }
            "disruptionBudgets" => o.disruption_budgets = flag(),
            "keepAutoscaledReplicas" => o.keep_autoscaled_replicas = flag(),
            "pythonRunner" => {
                let r = crate::options::RunnerChoice::parse(&text);
                o.python_runner = r.ok_or_else(|| format!("`pythonRunner` is `operator` or `fmc`, not `{text}`"))?;
            }
            "goRunner" => {
                let r = crate::options::RunnerChoice::parse(&text);
                o.go_runner = r.ok_or_else(|| format!("`goRunner` is `operator` or `fmc`, not `{text}`"))?;
            }
            "monitor" => {
                let m = crate::options::MonitorKind::parse(&text).filter(|m| *m != crate::options::MonitorKind::None);
                o.monitor = Some(m.ok_or_else(|| format!("`monitor` is `pod` or `service`, not `{text}`"))?);
            }
            other => return Err(format!("unknown fmc option `{other}` in the function config")),
        }
    }
    o.validate()?;
    Ok(o)
}

fn annotation<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

fn item_path(item: &Value) -> Option<String> {
    annotation(item, "internal.config.kubernetes.io/path")
        .or_else(|| annotation(item, "config.kubernetes.io/path"))
        .map(str::to_string)
}

fn item_index(item: &Value) -> Option<i64> {
    annotation(item, "internal.config.kubernetes.io/index")
        .or_else(|| annotation(item, "config.kubernetes.io/index"))
        .and_then(|i| i.parse().ok())
}

fn result(d: &Diagnostic, item: &Value) -> Value {
    let mut r = json!({
        "message": format!("{}: {}{}", d.code, d.message, d.help.as_ref().map(|h| format!(" (help: {h})")).unwrap_or_default()),
        "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
    });
    let meta = item.get("metadata");
    if let (Some(kind), Some(name)) = (item.get("kind"), meta.and_then(|m| m.get("name"))) {
        let mut reference =
            json!({"apiVersion": item.get("apiVersion").cloned().unwrap_or_default(), "kind": kind, "name": name});
        if let Some(ns) = meta.and_then(|m| m.get("namespace")) {
            reference["namespace"] = ns.clone();
        }
        r["resourceRef"] = reference;
    }
    if let Some(path) = item_path(item) {
        let mut file = json!({"path": path});
        if let Some(i) = item_index(item) {
            file["index"] = i.into();
        }
        r["file"] = file;
    }
    r
}

/// Runs the KRM function over a ResourceList text.
pub fn run_krm(input: &str, base: &BuildOptions) -> KrmOutput {
    krm(input, base).0
}

/// The diagnostics a `sources: keep` render gives about the package itself
/// (P016, P017), located in the ResourceList text (file 0 of the map).
pub fn package_diagnostics(input: &str, base: &BuildOptions) -> (SourceMap, Vec<Diagnostic>) {
    let mut sources = SourceMap::default();
    sources.add("ResourceList", input);
    (sources, krm(input, base).1)
}

fn krm(input: &str, base: &BuildOptions) -> (KrmOutput, Vec<Diagnostic>) {
    let mut diags = crate::diagnostics::Diagnostics::default();
    let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), input, &mut diags);
    let list = docs.first().map(|d| d.root.to_json()).unwrap_or(Value::Null);
    if diags.has_errors() || list.get("kind").and_then(Value::as_str) != Some("ResourceList") {
        let message = diags.iter().next().map_or("stdin is not a ResourceList".to_string(), |d| d.message.clone());
        return (failure(json!([]), vec![json!({"message": message, "severity": "error"})]), Vec::new());
    }
    let items = list.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    let package_items = Value::Array(items.clone());
    let (options, keep) = match krm_options(list.get("functionConfig").unwrap_or(&Value::Null), base) {
        Ok((o, sources)) => (BuildOptions { write_default_namespace: false, ..o }, sources),
        Err(e) => return (failure(Value::Array(items), vec![json!({"message": e, "severity": "error"})]), Vec::new()),
    };
    let at = |i: usize, path: &[&str]| item_span(&docs[0].root, i, path);
    let mut package = Vec::new();
    let items: Vec<(usize, Value)> = match keep {
        Sources::Keep => own_outputs_dropped(items, &at, &mut package),
        Sources::Consume => items.into_iter().enumerate().collect(),
    };
    let mut sources = SourceMap::default();
    for (i, (_, item)) in items.iter().enumerate() {
        sources.add(item_path(item).unwrap_or_else(|| format!("items[{i}]")), to_yaml(item));
    }
    let out = compile(&sources, &options);
    let outputs = crate::render::document_outputs(&out.manifests, items.len());
    if keep == Sources::Keep {
        package.extend(outputs_taken(&items, &outputs, &at));
    }
    let mut results: Vec<Value> = package.iter().map(|d| result(d, &items_by_span(&items, d, &docs[0].root))).collect();
    results.extend(
        out.diagnostics
            .iter()
            .map(|d| result(d, &items[(d.primary.span.file.0 as usize).min(items.len().saturating_sub(1))].1)),
    );
    let plain: Vec<Value> = items.iter().map(|(_, item)| item.clone()).collect();
    if out.has_errors() || package.iter().any(Diagnostic::is_error) {
        // The package as it came: nothing fmc wrote earlier is dropped either.
        return (failure(package_items, results), package);
    }
    let mut new_items = Vec::new();
    let mut written = std::collections::BTreeMap::<String, usize>::new();
    for (i, (item, output)) in plain.iter().zip(outputs).enumerate() {
        match (output, keep) {
            (DocumentOutput::Itself, _) => new_items.push(item.clone()),
            (DocumentOutput::Objects(produced), Sources::Consume) => {
                new_items.extend(produced.into_iter().map(|m| m.value()))
            }
            (DocumentOutput::Objects(produced), Sources::Keep) => {
                let from = item_path(item).unwrap_or_else(|| format!("items[{i}]"));
                new_items.push(annotated(item.clone(), &[(LOCAL_CONFIG, "true".into())]));
                new_items.extend(produced.into_iter().map(|m| generated(m.value(), &from, &mut written)));
            }
        }
    }
    (KrmOutput { text: resource_list(Value::Array(new_items), results), failed: false }, package)
}

/// The span of `items[i]` (or of a path inside it) in the ResourceList.
fn item_span(root: &crate::ast::Node, i: usize, path: &[&str]) -> crate::source::Span {
    use crate::ast::PathSeg;
    let mut full = vec![PathSeg::Key("items".into()), PathSeg::Index(i)];
    full.extend(path.iter().map(|k| PathSeg::Key((*k).to_string())));
    root.lookup(&full).span
}

/// The item a package diagnostic is about (for its `file` and `resourceRef`).
fn items_by_span(items: &[(usize, Value)], d: &Diagnostic, root: &crate::ast::Node) -> Value {
    let found = items.iter().find(|(i, _)| {
        let span = item_span(root, *i, &[]);
        span.start <= d.primary.span.start && d.primary.span.end <= span.end
    });
    found.map(|(_, item)| item.clone()).unwrap_or(Value::Null)
}

/// Under `sources: keep`: the package's items less the objects an earlier
/// render of this package wrote (its marker, in the file fmc writes for that
/// input, with the digest of what fmc wrote). An item that carries the marker
/// but is not such an object is kept, with P016. Items keep their index.
fn own_outputs_dropped(
    items: Vec<Value>,
    at: &dyn Fn(usize, &[&str]) -> crate::source::Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(usize, Value)> {
    let mut kept = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let Some(from) = annotation(&item, GENERATED_FROM) else {
            kept.push((i, item));
            continue;
        };
        let in_place = item_path(&item).as_deref() == Some(generated_file(from).as_str());
        let intact = annotation(&item, GENERATED_DIGEST) == Some(digest(&item).as_str());
        if in_place && intact {
            continue;
        }
        let why = match (in_place, annotation(&item, GENERATED_DIGEST)) {
            (false, _) => format!("it is not in `{}`, where fmc writes the objects of `{from}`", generated_file(from)),
            (true, None) => "it has no digest of what fmc wrote".to_string(),
            (true, Some(_)) => "it was changed since fmc wrote it".to_string(),
        };
        let span = at(i, &["metadata", "annotations", GENERATED_FROM]);
        diags.push(foreign_marker(span, &why));
        kept.push((i, item));
    }
    kept
}

/// P017 for every item that sits in the file fmc writes an input's objects
/// to, though fmc did not write it (a hand-written `mesh.generated.yaml`).
fn outputs_taken(
    items: &[(usize, Value)],
    outputs: &[DocumentOutput],
    at: &dyn Fn(usize, &[&str]) -> crate::source::Span,
) -> Vec<Diagnostic> {
    let targets: std::collections::BTreeSet<String> = items
        .iter()
        .zip(outputs)
        .filter(|(_, o)| matches!(o, DocumentOutput::Objects(_)))
        .filter_map(|((_, item), _)| item_path(item))
        .map(|from| generated_file(&from))
        .collect();
    items
        .iter()
        .filter_map(|(i, item)| {
            let path = item_path(item)?;
            targets.contains(&path).then(|| output_file_taken(at(*i, &[]), &path))
        })
        .collect()
}

fn foreign_marker(span: crate::source::Span, why: &str) -> Diagnostic {
    Diagnostic::warning("P016", span, format!("this object carries fmc's `{GENERATED_FROM}` marker, but fmc did not write it: {why}; it is kept"))
        .label("marker fmc did not write")
        .help("remove the annotation; fmc drops only the objects it wrote itself, in the `.generated.yaml` file beside their input")
}

fn output_file_taken(span: crate::source::Span, file: &str) -> Diagnostic {
    Diagnostic::error(
        "P017",
        span,
        format!("`{file}` holds an object fmc did not write, but fmc writes an input's objects there"),
    )
    .label("not written by this render of fmc")
    .help(format!("move the object to another file (or delete `{file}` if it is an old output) and render again"))
}

/// The file the objects made from the input at `from` are written to.
fn generated_file(from: &str) -> String {
    let stem = from.strip_suffix(".yaml").or_else(|| from.strip_suffix(".yml")).unwrap_or(from);
    format!("{stem}.generated.yaml")
}

/// `sha256:` and the digest of an object as fmc wrote it: its canonical JSON
/// (keys sorted), without the annotations fmc and kpt add to it, so the
/// digest survives kpt's write and read of the package.
fn digest(object: &Value) -> String {
    let mut object = object.clone();
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut)
        && let Some(annotations) = metadata.get_mut("annotations").and_then(Value::as_object_mut)
    {
        annotations.retain(|k, _| {
            k != GENERATED_FROM
                && k != GENERATED_DIGEST
                && !k.starts_with("internal.config.kubernetes.io/")
                && !k.starts_with("config.kubernetes.io/")
                && !k.starts_with("config.k8s.io/")
        });
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
    let text = crate::json_text::write(&object, &crate::json_text::sorted);
    format!("sha256:{}", crate::names::sha256_hex(&text))
}

/// An object made from the input at `from` under `sources: keep`: marked, and
/// written to `<from without .yaml>.generated.yaml` beside its input, after
/// the objects `written` counts there already.
fn generated(object: Value, from: &str, written: &mut std::collections::BTreeMap<String, usize>) -> Value {
    let file = generated_file(from);
    let count = written.entry(file.clone()).or_default();
    let index = std::mem::replace(count, *count + 1);
    let digest = digest(&object);
    annotated(
        object,
        &[
            (GENERATED_FROM, from.to_string()),
            (GENERATED_DIGEST, digest),
            ("internal.config.kubernetes.io/path", file),
            ("internal.config.kubernetes.io/index", index.to_string()),
        ],
    )
}

fn annotated(mut object: Value, pairs: &[(&str, String)]) -> Value {
    let metadata = &mut object["metadata"];
    if !metadata["annotations"].is_object() {
        metadata["annotations"] = json!({});
    }
    for (k, v) in pairs {
        metadata["annotations"][*k] = Value::String(v.clone());
    }
    object
}

fn resource_list(items: Value, results: Vec<Value>) -> String {
    let mut list = json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items});
    if !results.is_empty() {
        list["results"] = Value::Array(results);
    }
    to_yaml(&list)
}

fn failure(items: Value, results: Vec<Value>) -> KrmOutput {
    KrmOutput { text: resource_list(items, results), failed: true }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = "apiVersion: config.kubernetes.io/v1
kind: ResourceList
functionConfig:
  apiVersion: v1
  kind: ConfigMap
  metadata: {name: function-input}
  data: {cleanupHooks: 'true'}
items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: pulsar
    annotations: {internal.config.kubernetes.io/path: cm.yaml, internal.config.kubernetes.io/index: '0'}
  data: {webServiceURL: x, brokerServiceURL: y}
- apiVersion: compute.functionmesh.io/v1alpha1
  kind: Function
  metadata:
    name: f
    annotations: {internal.config.kubernetes.io/path: fn.yaml, internal.config.kubernetes.io/index: '1'}
  spec:
    className: C
    replica: 1
    input: {topics: [in]}
    pulsar: {pulsarConfig: pulsar}
    java: {jar: a.jar}
    resources: {requests: {memory: 1G}, limits: {memory: 1G}}
";

    #[test]
    fn errors_become_results_with_file_and_resource() {
        let out = run_krm(LIST, &BuildOptions::default());
        assert!(out.failed);
        let mut d = crate::diagnostics::Diagnostics::default();
        let list = crate::parse::yaml::read_documents(crate::source::FileId(0), &out.text, &mut d)[0].root.to_json();
        let r = &list["results"][0];
        assert_eq!(r["severity"], "error");
        assert_eq!(r["file"], json!({"path": "fn.yaml", "index": 1}));
        assert_eq!(r["resourceRef"]["name"], "f");
        assert!(r["message"].as_str().unwrap().starts_with("P007: unknown field `replica`"));
        assert_eq!(list["items"].as_array().unwrap().len(), 2, "items are returned unchanged on failure");
    }

    #[test]
    fn unknown_options_are_refused() {
        let bad = LIST.replace("cleanupHooks", "cleanupHook");
        let out = run_krm(&bad, &BuildOptions::default());
        assert!(out.failed && out.text.contains("unknown fmc option `cleanupHook`"));
    }

    #[test]
    fn items_are_expanded_in_place() {
        let ok = LIST.replace("    replica: 1\n", "");
        let out = run_krm(&ok, &BuildOptions::default());
        assert!(!out.failed, "{}", out.text);
        let pos = |s: &str| out.text.find(s).unwrap();
        assert!(pos("name: pulsar\n") < pos("kind: StatefulSet"));
    }

    fn items_of(text: &str) -> Vec<Value> {
        let mut d = crate::diagnostics::Diagnostics::default();
        let list = crate::parse::yaml::read_documents(crate::source::FileId(0), text, &mut d)[0].root.to_json();
        list["items"].as_array().unwrap().clone()
    }

    #[test]
    fn kept_sources_stay_as_local_config_and_a_second_render_changes_nothing() {
        let keep = LIST.replace("    replica: 1\n", "").replace("{cleanupHooks: 'true'}", "{sources: keep}");
        let first = run_krm(&keep, &BuildOptions::default());
        assert!(!first.failed, "{}", first.text);
        let items = items_of(&first.text);
        let function = items.iter().find(|i| i["kind"] == "Function").expect("the Function is kept");
        assert_eq!(function["metadata"]["annotations"][LOCAL_CONFIG], "true");
        let made: Vec<&Value> =
            items.iter().filter(|i| i["metadata"]["annotations"][GENERATED_FROM] == "fn.yaml").collect();
        assert!(made.iter().any(|i| i["kind"] == "StatefulSet"), "{}", first.text);
        assert!(
            made.iter()
                .all(|i| i["metadata"]["annotations"]["internal.config.kubernetes.io/path"] == "fn.generated.yaml")
        );
        let indexes: Vec<&Value> =
            made.iter().map(|i| &i["metadata"]["annotations"]["internal.config.kubernetes.io/index"]).collect();
        assert_eq!(
            indexes,
            (0..made.len()).map(|n| json!(n.to_string())).collect::<Vec<_>>().iter().collect::<Vec<_>>()
        );
        let again = first.text.replace("ResourceList\n", "ResourceList\nfunctionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {sources: keep}}\n");
        let second = run_krm(&again, &BuildOptions::default());
        assert_eq!(items_of(&second.text), items, "rendering the rendered package again is a no-op");
    }

    #[test]
    fn sources_takes_keep_or_consume() {
        let bad = LIST.replace("{cleanupHooks: 'true'}", "{sources: discard}");
        let out = run_krm(&bad, &BuildOptions::default());
        assert!(out.failed && out.text.contains("`sources` is `keep` or `consume`"), "{}", out.text);
    }
}
