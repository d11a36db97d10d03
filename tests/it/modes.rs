//! The mode matrix: every input kind through every mode that renders, with
//! the real tools (Helm 3 and 4, kpt fn eval and fn render, kubectl kustomize
//! with the legacy plug-in), must give the objects `fmc build` gives — the
//! same objects, apart from what a mode adds by contract (Helm's filename
//! annotation, KRM's path and index annotations, kustomize's ids) and the
//! namespace a mode leaves to its tool when the input sets none.
//!
//! Adding a subcommand or an input kind without a row here fails
//! `every_subcommand_and_input_kind_has_its_row`.

use crate::support::*;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fmc_bin() -> &'static str {
    env!("CARGO_BIN_EXE_fmc")
}

/// The inputs of the matrix: one per input language, each with the
/// documents fmc consumes (ClusterProvided) besides the components.
const INPUTS: [(&str, &str); 2] =
    [("native Mesh", "fixtures/modes/mesh.yaml"), ("operator resources", "examples/operator/java-function.yaml")];

/// A mode: how to run it on an input text, in a scratch folder; `None` when
/// its tool is missing (outside CI only).
type Mode = fn(&str, &Path) -> Option<Vec<Value>>;

const MODES: [(&str, Mode); 8] = [
    ("build -o DIR", tree),
    ("post-render (stdin)", post_render),
    ("helm 3 --post-renderer", helm3),
    ("helm 4 post-renderer plug-in", helm4),
    ("kpt fn eval --exec", kpt_eval),
    ("kpt fn render (Kptfile)", kpt_render),
    ("kubectl kustomize (legacy plug-in)", kustomize),
    ("krm (ResourceList on stdin)", krm_direct),
];

/// Subcommands without a row: `build` is the reference every row is compared
/// with; the others render no manifests.
const NO_ROW: [&str; 9] = ["build", "check", "diff", "graph", "convert", "dev", "schema", "explain", "help"];

#[test]
fn every_mode_renders_every_input_kind_to_the_objects_build_gives() {
    for (what, rel) in INPUTS {
        let text = std::fs::read_to_string(project_root().join(rel)).unwrap();
        let want = normalised(build(&text));
        assert!(want.iter().any(|o| o["kind"] == "StatefulSet"), "{what}: build renders workloads");
        for (mode, run) in MODES {
            let scratch = tempfile::tempdir().unwrap();
            let Some(got) = run(&text, scratch.path()) else { continue };
            let got = normalised(got);
            assert_eq!(names(&got), names(&want), "{what} through {mode}: the same objects");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{what} through {mode}: {} {} differs", w["kind"], w["metadata"]["name"]);
            }
        }
    }
}

#[test]
fn every_subcommand_and_input_kind_has_its_row() {
    let help = Command::new(fmc_bin()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    let commands: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .and_then(|s| s.split("Options:").next())
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let rows = ["post-render", "krm", "kustomize-plugin"];
    for c in &commands {
        assert!(rows.contains(c) || NO_ROW.contains(c), "subcommand `{c}` has no row in the mode matrix");
    }
    // Input kinds: those of the input schema's top-level alternatives.
    let schema: Value = serde_json::from_str(&fmc::schema::input_schema()).unwrap();
    let kinds = kinds_in(&schema);
    assert!(kinds.iter().any(|k| k == "Mesh") && kinds.iter().any(|k| k == "Function"), "{kinds:?}");
    let covered = ["Function", "Source", "Sink", "FunctionMesh", "Mesh", "ClusterProvided", "BackendConfig"];
    for kind in kinds {
        assert!(covered.contains(&kind.as_str()), "input kind `{kind}` has no row in the mode matrix");
    }
}

/// The `kind` constants the input schema accepts.
fn kinds_in(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(schema, &mut |v| {
        if let Some(kind) = v.get("properties").and_then(|p| p.get("kind")) {
            for k in kind.get("enum").and_then(Value::as_array).into_iter().flatten() {
                out.extend(k.as_str().map(str::to_string));
            }
            out.extend(kind.get("const").and_then(Value::as_str).map(str::to_string));
        }
    });
    out.sort();
    out.dedup();
    out
}

fn walk(v: &Value, f: &mut impl FnMut(&Value)) {
    f(v);
    match v {
        Value::Object(m) => m.values().for_each(|x| walk(x, f)),
        Value::Array(a) => a.iter().for_each(|x| walk(x, f)),
        _ => {}
    }
}

fn names(objects: &[Value]) -> Vec<String> {
    objects.iter().map(|o| format!("{} {}/{}", o["kind"], o["metadata"]["namespace"], o["metadata"]["name"])).collect()
}

/// Objects without what modes add by contract, sorted by identity.
fn normalised(objects: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = objects
        .into_iter()
        .filter(|o| o["kind"] != "Kptfile" && o["kind"] != "MeshBuild")
        .map(|mut o| {
            if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
                if let Some(a) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                    a.retain(|k, _| {
                        !["config.kubernetes.io/", "internal.config.kubernetes.io/", "kustomize.config.k8s.io/"]
                            .iter()
                            .any(|p| k.starts_with(p))
                            && k != fmc::gitops::postrender::FILENAME_ANNOTATION
                    });
                    if a.is_empty() {
                        meta.remove("annotations");
                    }
                }
                // A mode leaves an unset namespace to its tool.
                meta.entry("namespace").or_insert_with(|| "default".into());
            }
            o
        })
        .collect();
    out.sort_by_key(|o| names(std::slice::from_ref(o)));
    out
}

fn documents(text: &str) -> Vec<Value> {
    let mut diags = fmc::diagnostics::Diagnostics::default();
    let docs = fmc::parse::yaml::read_documents(fmc::source::FileId(0), text, &mut diags);
    assert!(!diags.has_errors(), "{text}");
    docs.into_iter().map(|d| d.root.to_json()).filter(|v| !v.is_null()).collect()
}

fn ok(out: Output, mode: &str) -> String {
    assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The reference: `fmc build` on the input file.
fn build(text: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("input.yaml"), text).unwrap();
    documents(&ok(Command::new(fmc_bin()).arg("build").arg(dir.path().join("input.yaml")).output().unwrap(), "build"))
}

fn tree(text: &str, dir: &Path) -> Option<Vec<Value>> {
    std::fs::write(dir.join("input.yaml"), text).unwrap();
    let out = dir.join("deploy");
    ok(Command::new(fmc_bin()).arg("build").arg(dir.join("input.yaml")).arg("-o").arg(&out).output().unwrap(), "-o");
    let mut objects = Vec::new();
    for file in files_under(&out) {
        if file.file_name().is_some_and(|n| n != "kustomization.yaml") {
            objects.extend(documents(&std::fs::read_to_string(file).unwrap()));
        }
    }
    Some(objects)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

fn post_render(text: &str, _: &Path) -> Option<Vec<Value>> {
    Some(documents(&ok(with_stdin(Command::new(fmc_bin()).arg("post-render"), text), "post-render")))
}

fn krm_direct(text: &str, _: &Path) -> Option<Vec<Value>> {
    let items: Vec<Value> = documents(text);
    let list = serde_json::json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items});
    let out = ok(with_stdin(Command::new(fmc_bin()).arg("krm"), &list.to_string()), "krm");
    Some(documents(&out)[0]["items"].as_array().unwrap().clone())
}

/// A tool from `.tools/bin` or PATH; `None` (skip) only outside CI.
fn tool(name: &str) -> Option<PathBuf> {
    let local = project_root().join(".tools/bin").join(name);
    if local.exists() {
        return Some(local);
    }
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.exists()));
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "{name} not found (run scripts/setup.sh)");
    }
    found
}

/// A chart whose one template is the input.
fn chart(text: &str, dir: &Path) -> PathBuf {
    let chart = dir.join("chart");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: modes\nversion: 0.1.0\n").unwrap();
    std::fs::write(chart.join("templates/input.yaml"), text).unwrap();
    chart
}

fn helm(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env("HELM_CONFIG_HOME", dir.join("config"))
        .env("HELM_DATA_HOME", dir.join("data"))
        .env("HELM_CACHE_HOME", dir.join("cache"))
        .env("HELM_PLUGINS", project_root().join("plugins/helm"))
        .env("FMC_BIN", fmc_bin())
        .output()
        .unwrap()
}

fn helm3(text: &str, dir: &Path) -> Option<Vec<Value>> {
    let bin = tool("helm3")?;
    let chart = chart(text, dir);
    let args = ["template", "r", chart.to_str()?, "--post-renderer", fmc_bin(), "--post-renderer-args", "post-render"];
    Some(documents(&ok(helm(&bin, dir, &args), "helm 3")))
}

fn helm4(text: &str, dir: &Path) -> Option<Vec<Value>> {
    let bin = tool("helm4")?;
    let chart = chart(text, dir);
    Some(documents(&ok(helm(&bin, dir, &["template", "r", chart.to_str()?, "--post-renderer", "fmc"]), "helm 4")))
}

fn kpt_eval(text: &str, _: &Path) -> Option<Vec<Value>> {
    let kpt = tool("kpt")?;
    let exec = format!("{} krm", fmc_bin());
    let out = with_stdin(Command::new(&kpt).args(["fn", "eval", "-", "--exec", &exec, "-o", "unwrap"]), text);
    Some(documents(&ok(out, "kpt fn eval")))
}

fn kpt_render(text: &str, dir: &Path) -> Option<Vec<Value>> {
    let kpt = tool("kpt")?;
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("input.yaml"), text).unwrap();
    let kptfile = format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations: {{config.kubernetes.io/local-config: \"true\"}}\npipeline:\n  mutators:\n  - exec: {}\n",
        project_root().join("plugins/kpt/fmc-krm.sh").display()
    );
    std::fs::write(pkg.join("Kptfile"), kptfile).unwrap();
    let out = Command::new(&kpt)
        .args(["fn", "render", "pkg", "--allow-exec", "-o", "unwrap"])
        .current_dir(dir)
        .env("FMC_BIN", fmc_bin())
        .output()
        .unwrap();
    Some(documents(&ok(out, "kpt fn render")))
}

fn kustomize(text: &str, dir: &Path) -> Option<Vec<Value>> {
    let kubectl = tool("kubectl")?;
    std::fs::write(dir.join("kustomization.yaml"), "resources: [input.yaml]\ntransformers: [meshbuild.yaml]\n")
        .unwrap();
    std::fs::write(
        dir.join("meshbuild.yaml"),
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: MeshBuild\nmetadata:\n  name: fmc\nspec: {}\n",
    )
    .unwrap();
    std::fs::write(dir.join("input.yaml"), text).unwrap();
    let out = Command::new(&kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir)
        .env("KUSTOMIZE_PLUGIN_HOME", project_root().join("plugins/kustomize"))
        .env("FMC_BIN", fmc_bin())
        .output()
        .unwrap();
    Some(documents(&ok(out, "kubectl kustomize")))
}
