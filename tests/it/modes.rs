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
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The inputs of the matrix: one per input language, each with the
/// documents fmc consumes (ClusterProvided) besides the components. The
/// Mesh reads its Avro and protobuf schemas from files beside it.
const INPUTS: [(&str, &str); 3] = [
    ("native Mesh", "fixtures/modes/mesh.yaml"),
    ("operator resources", "examples/operator/java-function.yaml"),
    ("Python functions", "examples/operator/python-functions.yaml"),
];

/// A mode: how to run it on `pkg/input.yaml` (the input's folder copied, so
/// its schema files are beside it); `None` when its tool is missing (outside
/// CI only). Where a mode hands fmc no file, fmc is given `pkg` as its root
/// the documented way for that mode.
type Mode = fn(&Pkg) -> Option<Vec<Value>>;

/// The scratch package: `dir/pkg` holds `input.yaml` and its schema files.
struct Pkg {
    dir: tempfile::TempDir,
    text: String,
}

impl Pkg {
    fn new(input: &Path) -> Pkg {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        let schemas = input.parent().unwrap().join("schemas");
        if schemas.is_dir() {
            copy_dir(&schemas, &pkg.join("schemas"));
        }
        let text = std::fs::read_to_string(input).unwrap();
        std::fs::write(pkg.join("input.yaml"), &text).unwrap();
        Pkg { dir, text }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("pkg")
    }

    fn input(&self) -> PathBuf {
        self.path().join("input.yaml")
    }

    fn root_arg(&self) -> String {
        format!("--root={}", self.path().display())
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
}

const MODES: [(&str, Mode); 10] = [
    ("Argo CD plug-in (examples/argocd)", argocd),
    ("build -o DIR", tree),
    ("post-render (stdin)", post_render),
    ("helm 3 --post-renderer", helm3),
    ("helm 4 post-renderer plug-in", helm4),
    ("kpt fn eval --exec", kpt_eval),
    ("kpt fn render (Kptfile)", kpt_render),
    ("kpt fn render in place (sources: keep)", kpt_render_in_place),
    ("kubectl kustomize (legacy plug-in)", kustomize),
    ("krm (ResourceList on stdin)", krm_direct),
];

/// Subcommands without a row: `build` is the reference every row is compared
/// with; the others render no manifests.
/// Subcommands that are no plug-in mode: `test` renders nothing (it runs a
/// mesh's tests, docs/testing.md, and tests/it/meshtest.rs tests it).
const NO_ROW: [&str; 10] = ["build", "check", "diff", "graph", "convert", "dev", "test", "schema", "explain", "help"];

std::thread_local! {
    /// Build options given to every mode as the environment (`FMC_PROVISION`, …):
    /// the one way that reaches fmc through Helm, kpt, kustomize and Argo CD alike.
    static OPTIONS_ENV: std::cell::RefCell<Vec<(&'static str, &'static str)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `Command::new` with the matrix's option environment.
fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    OPTIONS_ENV.with(|env| c.envs(env.borrow().iter().copied()));
    c
}

#[test]
fn every_mode_renders_every_input_kind_to_the_objects_build_gives() {
    matrix(&[]);
    // The mesh's own choice (`runner: fmc`) holds in every mode with no option.
    let out =
        Command::new(fmc_bin()).arg("build").arg(project_root().join("fixtures/modes/mesh.yaml")).output().unwrap();
    let objects = documents(&ok(out, "fmc build"));
    let notes = objects
        .iter()
        .find(|o| o["kind"] == "StatefulSet" && o["metadata"]["name"] == "order-notes-function")
        .expect("the mesh's Python function has its workload");
    assert_eq!(notes["spec"]["template"]["spec"]["containers"][0]["image"], "fmc/runner-python:0.1.0");
    // Its runner declares the input's schema to the broker, as a native function's does.
    let config = objects
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "order-notes-function-runner")
        .expect("the runner's configuration");
    let config: Value = serde_json::from_str(config["data"]["runner.json"].as_str().unwrap()).unwrap();
    let declared = &config["declaredSchemas"]["persistent://shop/orders/big-orders"];
    assert_eq!(declared["type"], "AVRO", "{config}");
    assert!(declared["schema"].as_str().unwrap().contains("\"name\":\"BigOrder\""), "{declared}");
}

/// The same matrix with provisioning and every object around the workloads
/// asked for: the Pulsar resources, disruption budgets and monitors are the
/// same objects in every mode.
#[test]
fn every_mode_renders_provisioning_and_around_objects_as_build_does() {
    let env = [("FMC_PROVISION", "resources-operator"), ("FMC_DISRUPTION_BUDGETS", "true"), ("FMC_MONITOR", "pod")];
    let kinds = matrix(&env);
    for kind in
        ["PulsarConnection", "PulsarTenant", "PulsarNamespace", "PulsarTopic", "PodDisruptionBudget", "PodMonitor"]
    {
        assert!(kinds.contains(kind), "{kind} in {kinds:?}");
    }
    for kind in ["ScaledObject", "TriggerAuthentication", "ServiceMonitor"] {
        assert!(kinds.contains(kind), "the mesh asks for {kind} itself: {kinds:?}");
    }
}

/// A mesh environment chosen the way each mode takes options (`FMC_ENV`, a
/// MeshBuild's or KRM config's `env`, Argo CD's `plugin.env`): every mode
/// renders the environment's objects, as `fmc build --env staging` does.
#[test]
fn every_mode_renders_the_environment_it_is_given() {
    matrix(&[("FMC_ENV", "staging")]);
    let staging = Command::new(fmc_bin())
        .args(["build", "--env", "staging"])
        .arg(project_root().join("fixtures/modes/mesh.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&staging.stdout);
    assert!(staging.status.success(), "{}", String::from_utf8_lossy(&staging.stderr));
    assert!(text.contains("replicas: 3"), "the staging override shows: {text}");
}

/// Python functions on fmc's runner chosen the way each mode takes options
/// (`FMC_PYTHON_RUNNER`, a MeshBuild's or KRM config's `pythonRunner`, Argo
/// CD's plugin.env): every mode renders the runner's workload for every
/// Python function, as `fmc build --python-runner fmc` does.
#[test]
fn every_mode_renders_python_functions_on_the_runner_it_is_given() {
    matrix(&[("FMC_PYTHON_RUNNER", "fmc")]);
    let out = Command::new(fmc_bin())
        .args(["build", "--python-runner", "fmc"])
        .arg(project_root().join("examples/operator/python-functions.yaml"))
        .output()
        .unwrap();
    let objects = documents(&ok(out, "fmc build --python-runner fmc"));
    let images: Vec<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "StatefulSet")
        .map(|o| o["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap())
        .collect();
    assert_eq!(images, ["fmc/runner-python:0.1.0"; 2], "both Python functions run on fmc's runner");
}

/// Go functions started from fmc's runner image chosen the way each mode
/// takes options (`FMC_GO_RUNNER`, a MeshBuild's or KRM config's `goRunner`,
/// Argo CD's plugin.env): every mode renders the launcher for every Go
/// function, as `fmc build --go-runner fmc` does.
#[test]
fn every_mode_starts_go_functions_from_the_runner_it_is_given() {
    let go = "examples/operator/go-functions.yaml";
    matrix_over(&[("Go functions", go)], &[("FMC_GO_RUNNER", "fmc")]);
    let out =
        Command::new(fmc_bin()).args(["build", "--go-runner", "fmc"]).arg(project_root().join(go)).output().unwrap();
    let objects = documents(&ok(out, "fmc build --go-runner fmc"));
    let commands: Vec<(&str, &str)> = objects
        .iter()
        .filter(|o| o["kind"] == "StatefulSet")
        .map(|o| &o["spec"]["template"]["spec"]["containers"][0])
        .map(|c| (c["image"].as_str().unwrap(), c["command"][1].as_str().unwrap()))
        .collect();
    assert_eq!(commands, [("fmc/runner:0.1.0", "launch-go"); 2], "both Go functions start from fmc's runner image");
}

/// Runs every mode over every input with `env` and returns the kinds built.
fn matrix(env: &[(&'static str, &'static str)]) -> std::collections::BTreeSet<String> {
    matrix_over(&INPUTS, env)
}

/// [`matrix`] over `inputs`.
fn matrix_over(inputs: &[(&str, &str)], env: &[(&'static str, &'static str)]) -> std::collections::BTreeSet<String> {
    OPTIONS_ENV.with(|e| *e.borrow_mut() = env.to_vec());
    let mut kinds = std::collections::BTreeSet::new();
    for (what, rel) in inputs {
        let want = normalised(build(&Pkg::new(&project_root().join(rel))));
        assert!(want.iter().any(|o| o["kind"] == "StatefulSet"), "{what}: build renders workloads");
        kinds.extend(want.iter().filter_map(|o| o["kind"].as_str().map(str::to_string)));
        let mut ran = 0;
        for (mode, run) in MODES {
            let Some(got) = run(&Pkg::new(&project_root().join(rel))) else { continue };
            ran += 1;
            let got = normalised(got);
            assert_eq!(names(&got), names(&want), "{what} through {mode}: the same objects");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{what} through {mode}: {} {} differs", w["kind"], w["metadata"]["name"]);
            }
        }
        eprintln!("{what}: {ran} of {} modes ran", MODES.len());
        if std::env::var_os("CI").is_some() {
            assert_eq!(ran, MODES.len(), "{what}: under CI every mode runs");
        }
    }
    kinds
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
    // A test file is read by `fmc test` alone (a build skips `*.test.yaml`).
    let not_built = ["MeshTest"];
    for kind in kinds.iter().filter(|k| !not_built.contains(&k.as_str())) {
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

pub(crate) fn documents(text: &str) -> Vec<Value> {
    let mut diags = fmc::diagnostics::Diagnostics::default();
    let docs = fmc::parse::yaml::read_documents(fmc::source::FileId(0), text, &mut diags);
    assert!(!diags.has_errors(), "{text}");
    docs.into_iter().map(|d| d.root.to_json()).filter(|v| !v.is_null()).collect()
}

fn ok(out: Output, mode: &str) -> String {
    assert!(out.status.success(), "{mode}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The reference: `fmc build` on the input file.
fn build(pkg: &Pkg) -> Vec<Value> {
    documents(&ok(command(fmc_bin()).arg("build").arg(pkg.input()).output().unwrap(), "build"))
}

fn tree(pkg: &Pkg) -> Option<Vec<Value>> {
    let out = pkg.dir.path().join("deploy");
    ok(command(fmc_bin()).arg("build").arg(pkg.input()).arg("-o").arg(&out).output().unwrap(), "-o");
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

fn post_render(pkg: &Pkg) -> Option<Vec<Value>> {
    let out = run_with_stdin(command(fmc_bin()).args(["post-render", &pkg.root_arg()]), &pkg.text);
    Some(documents(&ok(out, "post-render")))
}

/// Items as kpt hands them over, with their path inside the package.
fn krm_direct(pkg: &Pkg) -> Option<Vec<Value>> {
    let mut items: Vec<Value> = documents(&pkg.text);
    for (i, item) in items.iter_mut().enumerate() {
        // kpt adds its own annotations to the resource's.
        let annotations = &mut item["metadata"]["annotations"];
        if annotations.is_null() {
            *annotations = serde_json::json!({});
        }
        annotations["internal.config.kubernetes.io/path"] = "input.yaml".into();
        annotations["internal.config.kubernetes.io/index"] = i.to_string().into();
    }
    let list = serde_json::json!({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items});
    let out = ok(run_with_stdin(command(fmc_bin()).args(["krm", &pkg.root_arg()]), &list.to_string()), "krm");
    Some(documents(&out)[0]["items"].as_array().unwrap().clone())
}

/// The package as a chart: its one template is the input; the schema files
/// stay at the chart's root, which fmc is given as its root.
fn chart(pkg: &Pkg) -> PathBuf {
    let chart = pkg.path();
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: modes\nversion: 0.1.0\n").unwrap();
    std::fs::rename(pkg.input(), chart.join("templates/input.yaml")).unwrap();
    chart
}

fn helm3(pkg: &Pkg) -> Option<Vec<Value>> {
    let bin = tool("helm3")?;
    let chart = chart(pkg);
    let root = pkg.root_arg();
    let args = [
        "template",
        "r",
        chart.to_str()?,
        "--post-renderer",
        fmc_bin(),
        "--post-renderer-args",
        "post-render",
        "--post-renderer-args",
        &root,
    ];
    let env = OPTIONS_ENV.with(|e| e.borrow().clone());
    Some(documents(&ok(helm_with(&bin, pkg.dir.path(), &args, &env), "helm 3")))
}

fn helm4(pkg: &Pkg) -> Option<Vec<Value>> {
    let bin = tool("helm4")?;
    let chart = chart(pkg);
    let root = pkg.root_arg();
    let args = ["template", "r", chart.to_str()?, "--post-renderer", "fmc", "--post-renderer-args", &root];
    let env = OPTIONS_ENV.with(|e| e.borrow().clone());
    Some(documents(&ok(helm_with(&bin, pkg.dir.path(), &args, &env), "helm 4")))
}

fn kpt_eval(pkg: &Pkg) -> Option<Vec<Value>> {
    let kpt = tool("kpt")?;
    let exec = format!("{} krm {}", fmc_bin(), pkg.root_arg());
    let out = command(&kpt)
        .args(["fn", "eval", "pkg", "--exec", &exec, "-o", "unwrap"])
        .current_dir(pkg.dir.path())
        .output()
        .unwrap();
    Some(documents(&ok(out, "kpt fn eval")))
}

/// `kpt fn render`: the Kptfile's exec takes no arguments, so the root comes
/// from `$FMC_ROOT`.
fn kpt_render(pkg: &Pkg) -> Option<Vec<Value>> {
    let out = kpt_fn_render(pkg, None, &["-o", "unwrap"])?;
    Some(documents(&ok(out, "kpt fn render")))
}

/// `kpt fn render` writing back into the package, with `sources: keep`, twice:
/// the inputs stay in the package as local configuration, the second render
/// changes no file, and the package's objects besides its local configuration
/// are the objects `fmc build` gives.
fn kpt_render_in_place(pkg: &Pkg) -> Option<Vec<Value>> {
    ok(kpt_fn_render(pkg, Some("{sources: keep}"), &[])?, "kpt fn render in place");
    let first = yaml_files(&pkg.path());
    ok(kpt_fn_render(pkg, Some("{sources: keep}"), &[])?, "kpt fn render in place, again");
    assert_eq!(yaml_files(&pkg.path()), first, "a second render changes no file of the package");
    let kept = documents(&first[&pkg.input()]);
    let local = |o: &Value| o["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true";
    assert!(kept.iter().any(|o| o["kind"] == "Mesh" || o["kind"] == "Function"), "the input stays: {kept:?}");
    assert!(kept.iter().filter(|o| o["kind"] == "ClusterProvided").all(local));
    let mut objects = Vec::new();
    for text in first.values() {
        for mut o in documents(text).into_iter().filter(|o| !local(o)) {
            let annotations = o.get_mut("metadata").and_then(|m| m.get_mut("annotations"));
            if let Some(a) = annotations.and_then(Value::as_object_mut) {
                a.remove(fmc::gitops::krm::GENERATED_FROM);
                a.remove(fmc::gitops::krm::GENERATED_DIGEST);
            }
            objects.push(o);
        }
    }
    Some(objects)
}

/// Runs `kpt fn render` over `pkg` with fmc's exec function (its
/// `configMap` given inline), after writing the package's Kptfile.
fn kpt_fn_render(pkg: &Pkg, config: Option<&str>, args: &[&str]) -> Option<Output> {
    let kpt = tool("kpt")?;
    let config = config.map(|c| format!("    configMap: {c}\n")).unwrap_or_default();
    let kptfile = format!(
        "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: pkg\n  annotations: {{config.kubernetes.io/local-config: \"true\"}}\npipeline:\n  mutators:\n  - exec: {}\n{config}",
        project_root().join("plugins/kpt/fmc-krm.sh").display()
    );
    std::fs::write(pkg.path().join("Kptfile"), kptfile).unwrap();
    let out = command(&kpt)
        .args(["fn", "render", "pkg", "--allow-exec"])
        .args(args)
        .current_dir(pkg.dir.path())
        .env("FMC_BIN", fmc_bin())
        .env("FMC_ROOT", pkg.path())
        .output()
        .unwrap();
    Some(out)
}

/// The package's YAML files (Kptfile included) by path, with their text.
fn yaml_files(dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    let yaml = |p: &PathBuf| p.extension().is_some_and(|e| e == "yaml") || p.ends_with("Kptfile");
    files_under(dir).into_iter().filter(yaml).map(|p| (p.clone(), std::fs::read_to_string(&p).unwrap())).collect()
}

/// The Argo CD Config Management Plugin as shipped: its `discover` command
/// must find the package, its `generate` command (fmc on PATH, run in the
/// app's folder) renders it.
fn argocd(pkg: &Pkg) -> Option<Vec<Value>> {
    let plugin = std::fs::read_to_string(project_root().join("examples/argocd/plugin.yaml")).unwrap();
    let plugin = &documents(&plugin)[0]["spec"];
    let fmc_dir = Path::new(fmc_bin()).parent().unwrap().display().to_string();
    let path = format!("{fmc_dir}:{}", std::env::var("PATH").unwrap_or_default());
    let run = |command: &Value| {
        let words: Vec<&str> = command.as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
        let mut c = Command::new(words[0]);
        // Argo CD hands an Application's `plugin.env` over as ARGOCD_ENV_<NAME>.
        OPTIONS_ENV.with(|env| c.envs(env.borrow().iter().map(|(k, v)| (format!("ARGOCD_ENV_{k}"), *v))));
        c.args(&words[1..])
            .current_dir(pkg.path())
            .env("PATH", &path)
            .env("ARGOCD_APP_NAMESPACE", "default")
            .output()
            .unwrap()
    };
    let found = ok(run(&plugin["discover"]["find"]["command"]), "argocd discover");
    assert!(!found.trim().is_empty(), "discover finds the package");
    Some(documents(&ok(run(&plugin["generate"]["command"]), "argocd generate")))
}

/// The legacy kustomize plug-in: files resolve inside the kustomization root.
fn kustomize(pkg: &Pkg) -> Option<Vec<Value>> {
    let kubectl = tool("kubectl")?;
    let dir = &pkg.path();
    std::fs::write(dir.join("kustomization.yaml"), "resources: [input.yaml]\ntransformers: [meshbuild.yaml]\n")
        .unwrap();
    // kustomize hands the plug-in its config, not the environment: the
    // options go into the MeshBuild's spec (docs/gitops.md).
    let spec: Vec<String> = OPTIONS_ENV.with(|env| {
        env.borrow()
            .iter()
            .map(|(k, v)| match *k {
                "FMC_PROVISION" => format!("provision: {v}"),
                "FMC_DISRUPTION_BUDGETS" => format!("disruptionBudgets: \"{v}\""),
                "FMC_MONITOR" => format!("monitor: {v}"),
                "FMC_ENV" => format!("env: {v}"),
                "FMC_PYTHON_RUNNER" => format!("pythonRunner: {v}"),
                "FMC_GO_RUNNER" => format!("goRunner: {v}"),
                other => panic!("no MeshBuild option for {other}"),
            })
            .collect()
    });
    let meshbuild = format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: MeshBuild\nmetadata:\n  name: fmc\nspec: {{{}}}\n",
        spec.join(", ")
    );
    std::fs::write(dir.join("meshbuild.yaml"), meshbuild).unwrap();
    let out = command(&kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir)
        .env("KUSTOMIZE_PLUGIN_HOME", project_root().join("plugins/kustomize"))
        .env("FMC_BIN", fmc_bin())
        .output()
        .unwrap();
    Some(documents(&ok(out, "kubectl kustomize")))
}
