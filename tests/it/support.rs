//! Helpers shared by the integration tests.

use fmc::options::BuildOptions;
use fmc::pipeline::{CompileOutput, compile};
use fmc::source::SourceMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared reference folder: `$FMC_SHARED`, else `../shared` beside the
/// project. It is read in place, never copied into the repository.
pub fn shared_root() -> PathBuf {
    std::env::var_os("FMC_SHARED").map(PathBuf::from).unwrap_or_else(|| project_root().join("../shared"))
}

/// The Function Mesh operator's corpus (samples, test resources, CRDs).
pub fn corpus_root() -> PathBuf {
    shared_root().join("corpus/function-mesh")
}

/// The guard of the conformance group: the tests over the operator's corpus
/// run when it is there. On a clone without it they are skipped, with a line
/// saying so (and `scripts/test.sh` says so up front); under CI a missing
/// corpus fails, so CI always runs them.
pub fn conformance() -> bool {
    if corpus_root().join("samples").is_dir() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "conformance corpus not found at {} (set FMC_SHARED to the shared folder)",
        corpus_root().display()
    );
    eprintln!("conformance test skipped: no corpus at {} (set FMC_SHARED)", corpus_root().display());
    false
}

/// Every YAML file of the corpus suites, sorted, as (relative name, path).
pub fn corpus_files() -> Vec<(String, PathBuf)> {
    let root = corpus_root();
    let mut out = Vec::new();
    for suite in ["samples", "integration", "integration-oauth2"] {
        collect(&root.join(suite), &mut out);
    }
    out.sort();
    assert!(out.len() > 50, "corpus not found at {}", root.display());
    out.into_iter().map(|p| (p.strip_prefix(&root).expect("under root").display().to_string(), p)).collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = entry.expect("dir entry").path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

/// Every shipped example: `examples/operator/*.yaml` and `examples/dsl/*/mesh.yaml`,
/// sorted, as (relative name, path).
pub fn example_files() -> Vec<(String, PathBuf)> {
    let root = project_root().join("examples");
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join("operator")).expect("examples/operator") {
        let path = e.expect("entry").path();
        // A mesh test (`fmc test`) is no input of a build.
        if !fmc::source::is_mesh_test(&path) {
            out.push(path);
        }
    }
    for e in std::fs::read_dir(root.join("dsl")).expect("examples/dsl") {
        let mesh = e.expect("entry").path().join("mesh.yaml");
        if mesh.exists() {
            out.push(mesh);
        }
    }
    out.sort();
    out.into_iter().map(|p| (p.strip_prefix(&root).expect("under examples").display().to_string(), p)).collect()
}

pub fn sources_from_files(paths: &[&Path]) -> SourceMap {
    let mut sources = SourceMap::default();
    for p in paths {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        // Rooted at the file's folder, as `fmc build FILE` roots it.
        let root = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        sources.add_rooted(p.display().to_string(), text, root);
    }
    sources
}

pub fn sources_from_text(name: &str, text: &str) -> SourceMap {
    let mut sources = SourceMap::default();
    sources.add(name, text.to_string());
    sources
}

/// `text` as the file at `path`, rooted at its folder as `fmc build PATH` roots it.
pub fn sources_from_text_at(path: &str, text: &str) -> SourceMap {
    let mut sources = SourceMap::default();
    let root = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    sources.add_rooted(path, text.to_string(), root);
    sources
}

pub fn build_text(text: &str) -> CompileOutput {
    compile(&sources_from_text("input.yaml", text), &BuildOptions::default())
}

pub fn build_file(path: &Path, options: &BuildOptions) -> CompileOutput {
    compile(&sources_from_files(&[path]), options)
}

/// The rendered object of `kind` and `name`.
pub fn object(out: &CompileOutput, kind: &str, name: &str) -> &'static serde_json::Value {
    // Read back from the YAML and leaked: tests are short-lived, and call sites
    // keep borrowing as they would from a tree.
    let m = out.manifests.iter().find(|m| m.kind == kind && m.name == name).unwrap_or_else(|| {
        panic!("no {kind} {name}; have {:?}", out.manifests.iter().map(|m| (&m.kind, &m.name)).collect::<Vec<_>>())
    });
    Box::leak(Box::new(m.value()))
}

/// The main container of a rendered StatefulSet.
pub fn main_container(sts: &serde_json::Value) -> &serde_json::Value {
    let containers = sts["spec"]["template"]["spec"]["containers"].as_array().expect("containers");
    containers.iter().find(|c| c["name"].as_str().is_some_and(|n| n.starts_with("pulsar-"))).expect("main container")
}

/// `command[2]` split into shell words (quotes removed), like a shell would.
pub fn shell_words(cmd: &str) -> Vec<String> {
    shell_words::split(cmd).unwrap_or_else(|e| panic!("unparsable command ({e}): {cmd}"))
}

/// The value following `flag` in `words`.
pub fn flag_value<'a>(words: &'a [String], flag: &str) -> &'a str {
    let i = words.iter().position(|w| w == flag).unwrap_or_else(|| panic!("no {flag} in {words:?}"));
    &words[i + 1]
}

/// A tool from `.tools/bin` or PATH; `None` (skip) only outside CI.
pub fn tool(name: &str) -> Option<PathBuf> {
    let local = project_root().join(".tools/bin").join(name);
    if local.exists() {
        return Some(local);
    }
    let found = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|p| p.join(name)).find(|p| p.exists()));
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "{name} not found (run scripts/setup.sh)");
        eprintln!("skipping: {name} not installed");
    }
    found
}

/// Runs `cmd` with `input` on its stdin.
pub fn run_with_stdin(cmd: &mut Command, input: &str) -> Output {
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The `fmc` binary under test.
pub fn fmc_bin() -> &'static str {
    env!("CARGO_BIN_EXE_fmc")
}

/// Helm (3 or 4) with its homes in `home`, fmc's plug-in folder and binary,
/// and the diagnostics file Helm 4's hidden stderr needs.
pub fn helm(bin: &Path, home: &Path, args: &[&str]) -> Output {
    helm_with(bin, home, args, &[])
}

/// [`helm`] with extra environment variables (build options such as `FMC_PROVISION`).
pub fn helm_with(bin: &Path, home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin)
        .args(args)
        .envs(env.iter().copied())
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_PLUGINS", project_root().join("plugins/helm"))
        .env("FMC_BIN", fmc_bin())
        .env("FMC_DIAGNOSTICS_FILE", home.join("fmc-diagnostics.log"))
        .output()
        .unwrap()
}

/// The `openAPIV3Schema` of the CRD file `crd`, written into `dir` as a JSON
/// Schema file for check-jsonschema.
pub fn crd_json_schema(dir: &Path, crd: &Path) -> PathBuf {
    let text = std::fs::read_to_string(crd).unwrap();
    let mut diags = fmc::diagnostics::Diagnostics::default();
    let docs = fmc::parse::yaml::read_documents(fmc::source::FileId(0), &text, &mut diags);
    let json = docs[0].root.to_json();
    let schema = json["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    assert!(schema.is_object(), "{}: no openAPIV3Schema", crd.display());
    let path = dir.join(format!("{}.schema.json", crd.file_stem().unwrap().to_string_lossy()));
    std::fs::write(&path, schema.to_string()).unwrap();
    path
}

/// A URL of the Apache Pulsar standalone the tests use (`FMC_PULSAR_URL`,
/// `FMC_PULSAR_ADMIN_URL`): the variable, else the `env` file
/// `bash scripts/pulsar-standalone.sh start` writes for its default instance.
pub fn standalone_url(key: &str) -> Option<String> {
    std::env::var(key).ok().or_else(|| {
        let file = std::fs::read_to_string(project_root().join(".pulsar/run/default/env")).ok()?;
        file.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(str::to_string))
    })
}
