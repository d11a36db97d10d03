//! The documentation's commands and paths work: every `fmc` command in a
//! shell block of the README or docs/*.md runs, with its placeholder names
//! replaced by shipped files, and every repository path the text names
//! exists. A snippet with a name that is neither a real file nor a listed
//! placeholder fails, so a broken example cannot ship. (`fmc --help`'s own
//! examples: `cli::every_example_in_the_help_runs`.)

use crate::support::project_root;
use std::process::Command;

/// Placeholder → what stands in for it. `{tmp}` is a fresh folder per document.
const PLACEHOLDERS: [(&str, &str); 11] = [
    // What `bash scripts/images.sh out/` writes (tests/it/images.rs builds the real one).
    ("out/runner-images.json", "fixtures/images/runner-images.json"),
    ("[PATH…]", "examples/dsl/clickstream-analytics/mesh.yaml"),
    ("PATH…", "examples/dsl/clickstream-analytics/mesh.yaml"),
    ("CODE", "C018"),
    ("mesh/", "examples/dsl/cdc-pipeline/"),
    ("mesh.yaml", "examples/dsl/clickstream-analytics/mesh.yaml"),
    ("operator-resources.yaml", "examples/operator/pipeline-mesh.yaml"),
    ("deploy/", "{tmp}/deploy/"),
    ("old/", "examples/operator/"),
    ("new/", "examples/operator/"),
    ("--format dot|mermaid", "--format mermaid"),
];

/// Subcommands a snippet shows but this test does not run, and where they are tested.
const RUN_ELSEWHERE: [(&str, &str); 1] =
    [("dev", "native_runtime::fmc_dev_runs_a_native_mesh_against_a_local_pulsar_lite")];

fn documents() -> Vec<(String, String)> {
    let mut out = vec![("README.md".to_string(), std::fs::read_to_string(project_root().join("README.md")).unwrap())];
    let mut docs: Vec<_> = std::fs::read_dir(project_root().join("docs")).unwrap().map(|e| e.unwrap().path()).collect();
    docs.sort();
    for path in docs.into_iter().filter(|p| p.extension().is_some_and(|e| e == "md")) {
        let name = format!("docs/{}", path.file_name().unwrap().to_string_lossy());
        out.push((name, std::fs::read_to_string(path).unwrap()));
    }
    out
}

/// The lines of the fenced `sh` blocks of `text`.
fn shell_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_shell = false;
    for line in text.lines() {
        let fence = line.trim_start();
        if let Some(info) = fence.strip_prefix("```") {
            in_shell = !in_shell && matches!(info.trim(), "sh" | "bash" | "shell");
            continue;
        }
        if in_shell {
            out.push(line.trim().to_string());
        }
    }
    out
}

/// An `fmc` command line without its comment, placeholders replaced.
fn runnable(line: &str, tmp: &str) -> Option<Vec<String>> {
    let command = line.split(" #").next()?.trim();
    let command = command.strip_prefix("fmc ")?;
    let mut command = format!(" {command} ");
    for (placeholder, real) in PLACEHOLDERS {
        command = command.replace(&format!(" {placeholder} "), &format!(" {} ", real.replace("{tmp}", tmp)));
    }
    let words: Vec<String> = command.split(" > ").next()?.split_whitespace().map(str::to_string).collect();
    Some(words)
}

#[test]
fn every_fmc_command_in_the_docs_runs() {
    let mut ran = 0;
    for (doc, text) in documents() {
        let tmp = tempfile::tempdir().unwrap();
        for line in shell_lines(&text) {
            let Some(words) = runnable(&line, &tmp.path().display().to_string()) else { continue };
            if RUN_ELSEWHERE.iter().any(|(sub, _)| words.first().is_some_and(|w| w == sub)) {
                continue;
            }
            for w in words.iter().filter(|w| !w.starts_with('-') && w.contains('/')) {
                let exists = std::path::Path::new(w).is_absolute() || project_root().join(w).exists();
                assert!(exists || w.starts_with(&tmp.path().display().to_string()), "{doc}: `{line}` names `{w}`");
            }
            let out =
                Command::new(env!("CARGO_BIN_EXE_fmc")).args(&words).current_dir(project_root()).output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{doc}: `{line}` ran as `fmc {}`:\n{}",
                words.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 15, "only {ran} commands found");
}

/// Shell lines that run another tool (Helm, kpt, kubectl), each with the
/// test that runs that invocation for real (with a scratch chart, package or
/// kustomization in place of the placeholder).
const TOOL_LINES: [(&str, &str); 9] = [
    ("skopeo copy --preserve-digests oci:", "the_images_push_to_a_registry_and_pull_back_by_digest"),
    (
        "helm template r examples/helm/pulsar-function --post-renderer fmc --post-renderer-args post-render",
        "helm3_post_renderer",
    ),
    ("helm plugin install ./plugins/helm/fmc", "helm4_post_renderer_plugin"),
    ("helm template r examples/helm/pulsar-function --post-renderer fmc", "helm4_post_renderer_plugin"),
    (
        "helm template r CHART -n streams",
        "the_release_namespace_reaches_generated_objects_through_the_documented_argument",
    ),
    ("kpt fn eval - --exec \"fmc krm\"", "kpt_fn_eval_exec"),
    ("kpt fn render pkg --allow-exec", "kpt_fn_render_with_a_kptfile"),
    ("FMC_ROOT=$PWD/pkg kpt fn render pkg --allow-exec", "kpt_render_in_place"),
    ("KUSTOMIZE_PLUGIN_HOME=$PWD/plugins/kustomize kubectl kustomize", "kubectl_kustomize_legacy_plugin"),
];

/// Every other command a shell block shows is run by a test: `bash`
/// scripts exist, and each Helm, kpt or kubectl line has its test.
#[test]
fn every_other_command_in_the_docs_has_its_test() {
    let sources: String = ["plugins.rs", "modes.rs", "images.rs"]
        .iter()
        .map(|f| std::fs::read_to_string(project_root().join("tests/it").join(f)).unwrap())
        .collect();
    let mut checked = 0;
    for (doc, text) in documents() {
        for line in shell_lines(&text) {
            let command = line.split(" #").next().unwrap_or_default().trim();
            if command.is_empty() || command.starts_with('#') || command.starts_with("fmc ") {
                continue;
            }
            if let Some(script) = command.strip_prefix("bash ") {
                let script = script.split_whitespace().next().unwrap_or_default();
                assert!(project_root().join(script).is_file(), "{doc}: `{line}`: no {script}");
            } else {
                let (_, test) = TOOL_LINES
                    .iter()
                    .find(|(prefix, _)| command.starts_with(prefix))
                    .unwrap_or_else(|| panic!("{doc}: `{line}` is run by no test (add it to TOOL_LINES)"));
                assert!(sources.contains(&format!("fn {test}(")), "{doc}: `{line}`: no test `{test}`");
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} commands found");
}

/// `text` without its fenced blocks other than shell ones (YAML examples
/// name files relative to the reader's own mesh, not to this repository).
fn prose_and_shell(text: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<bool> = None;
    for line in text.lines() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            fence = match fence {
                None => Some(matches!(info.trim(), "sh" | "bash" | "shell")),
                Some(_) => None,
            };
            continue;
        }
        if fence != Some(false) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every path into the repository that the README and docs/*.md name in
/// prose, backticks, links or shell blocks exists.
#[test]
fn every_repository_path_in_the_docs_exists() {
    const TOP: [&str; 11] = [
        "examples/",
        "docs/",
        "plugins/",
        "scripts/",
        "schemas/",
        "fixtures/",
        "runner/",
        "src/",
        "bench/",
        "tests/",
        "sdk/",
    ];
    let mut checked = 0;
    for (doc, text) in documents() {
        for token in prose_and_shell(&text).split(['`', '(', ')', ' ', '\n', '[', ']', ',', '"']) {
            let token = token.trim_end_matches(['.', ':', ';', '}']).split('#').next().unwrap_or_default();
            if !TOP.iter().any(|t| token.starts_with(t)) || token.contains(['<', '*', '…', '{', '$']) {
                continue;
            }
            let base = if doc.starts_with("docs/") && !project_root().join(token).exists() {
                project_root().join("docs")
            } else {
                project_root()
            };
            assert!(base.join(token).exists(), "{doc} names `{token}`, which does not exist");
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} paths found");
}

/// The webhook table of docs/compatibility.md names only fixtures that exist.
#[test]
fn every_fixture_the_webhook_table_names_exists() {
    let text = std::fs::read_to_string(project_root().join("docs/compatibility.md")).unwrap();
    let table = text.split("## The operator's admission webhook, rule by rule").nth(1).expect("the webhook table");
    // Up to the next section (the table of refusals has no fixture column).
    let table = table.split("\n## ").next().unwrap_or_default();
    let mut named = 0;
    for row in table.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| webhook rule")) {
        let fixtures = row.rsplit(" | ").next().unwrap_or_default();
        let mut folder = String::new();
        for file in fixtures.split('`').skip(1).step_by(2) {
            let (dir, name) = file.split_once('/').map_or((folder.as_str(), file), |(d, n)| (d, n));
            let dir = dir.to_string();
            assert!(
                project_root().join("fixtures/diagnostics").join(&dir).join(name).exists(),
                "docs/compatibility.md names a missing fixture `{dir}/{name}`"
            );
            folder = dir;
            named += 1;
        }
    }
    assert!(named >= 30, "only {named} fixtures named");
}
