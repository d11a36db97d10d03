//! The pipeline's stages import backward only (ARCHITECTURE.md): parse, lower,
//! resolve, check, render and emit each use earlier stages and the shared
//! vocabulary below them, never a later stage or the modes built on top; the
//! vocabulary modules use no stage at all. Read from the sources, so a new
//! forward import fails here rather than in a review.

use crate::support::project_root;
use std::path::Path;

const STAGES: [&str; 6] = ["parse", "lower", "resolve", "check", "render", "emit"];
/// Modules built on the pipeline (and `schema`, the editors' JSON Schema of
/// every input, `MeshTest` included): no stage may use them.
const ABOVE: [&str; 7] = ["pipeline", "convert", "gitops", "meshtest", "cli", "main", "schema"];
/// The shared vocabulary every stage may use.
const BELOW: [&str; 12] = [
    "ast",
    "source",
    "files",
    "names",
    "options",
    "yaml_text",
    "json_text",
    "model",
    "types",
    "diagnostics",
    "quantity",
    "parallel",
];

/// The top-level module a file of `src/` belongs to.
fn module_of(path: &Path, src: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// Each `crate::MODULE` a file names outside comments and `#[cfg(test)]` modules.
fn imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or_default();
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            out.push((n + 1, name));
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_stage_imports_only_earlier_stages_and_the_shared_vocabulary() {
    let src = project_root().join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut forward = Vec::new();
    let mut checked = 0;
    for path in all {
        let module = module_of(&path, &src);
        let rank = STAGES.iter().position(|s| *s == module);
        let vocabulary = BELOW.contains(&module.as_str());
        if rank.is_none() && !vocabulary {
            continue;
        }
        checked += 1;
        for (line, target) in imports(&std::fs::read_to_string(&path).unwrap()) {
            let target_rank = STAGES.iter().position(|s| *s == target);
            let wrong = match (rank, target_rank) {
                _ if ABOVE.contains(&target.as_str()) => true,
                (Some(r), Some(t)) => t > r,
                (None, Some(_)) => true,
                _ => false,
            };
            if wrong {
                forward
                    .push(format!("{}:{line}: `{module}` uses `{target}`", path.strip_prefix(&src).unwrap().display()));
            }
        }
    }
    assert!(checked > 60, "the stages' files were read ({checked})");
    assert!(forward.is_empty(), "imports against the pipeline:\n{}", forward.join("\n"));
}

#[test]
fn a_forward_import_is_seen() {
    let text = "use crate::model::X;\nlet a = crate::render::native::STATE_DIR; // crate::emit in a comment\n#[cfg(test)]\nuse crate::cli;";
    let found: Vec<String> = imports(text).into_iter().map(|(_, m)| m).collect();
    assert_eq!(found, ["model", "render"]);
}

/// The compiler links no Pulsar client and no Python (ARCHITECTURE.md): its
/// dependency tree has neither the `pulsar` crate, tokio, PyO3 nor the
/// runner's crates.
#[test]
fn the_compiler_links_no_pulsar_client_no_async_runtime_and_no_python() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--offline", "-p", "fmc", "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(project_root())
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && tree.contains("fmc-engine"), "{tree}{}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    for banned in ["pulsar", "tokio", "pyo3", "fmc-runner", "fmc-python"] {
        assert!(!names.contains(&banned), "fmc depends on {banned}:\n{tree}");
    }
}
