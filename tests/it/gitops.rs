//! The output tree for Git (`-o DIR`, `--check`) and the semantic diff.

use crate::support::*;
use std::path::Path;
use std::process::Command;

fn fmc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fmc")).args(args).output().unwrap()
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                files.push((p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn output_tree_is_stable_checkable_and_cleans_up_after_itself() {
    if !conformance() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src.yaml");
    let out = work.path().join("out");
    let (src_s, out_s) = (src.to_str().unwrap(), out.to_str().unwrap());
    std::fs::copy(corpus_root().join("integration/java-function/manifests.yaml"), &src).unwrap();

    assert_eq!(fmc(&["build", src_s, "-o", out_s]).status.code(), Some(0));
    let first = snapshot(&out);
    assert!(first.iter().any(|(p, _)| p == "default/statefulset-function-sample-function.yaml"), "{first:?}");
    assert!(first.iter().any(|(p, _)| p == "kustomization.yaml"));
    assert_eq!(fmc(&["build", src_s, "-o", out_s]).status.code(), Some(0));
    assert_eq!(snapshot(&out), first, "two builds give byte-identical trees");
    assert_eq!(fmc(&["build", src_s, "-o", out_s, "--check"]).status.code(), Some(0));

    // A foreign file is never touched; a source change makes --check fail with a diff.
    std::fs::write(out.join("default/NOTES.yaml"), "# mine\n").unwrap();
    let text = std::fs::read_to_string(&src)
        .unwrap()
        .replace("maxReplicas: 5", "maxReplicas: 7")
        .replace("  replicas: 1\n", "  replicas: 2\n");
    std::fs::write(&src, text).unwrap();
    let check = fmc(&["build", src_s, "-o", out_s, "--check"]);
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8(check.stdout).unwrap();
    // The function is autoscaled: the change shows in its HPA (the StatefulSet
    // leaves replicas to it).
    assert!(diff.contains("-  maxReplicas: 5\n+  maxReplicas: 7"), "{diff}");
    assert!(diff.contains("+++ b/default/horizontalpodautoscaler-function-sample-function.yaml"), "{diff}");
    assert_eq!(snapshot(&out).len(), first.len() + 1, "--check writes nothing");

    // Dropping the HPA (no maxReplicas) removes its stale file, keeps the foreign one.
    let text = std::fs::read_to_string(&src).unwrap().replace("  maxReplicas: 7\n", "");
    std::fs::write(&src, text).unwrap();
    assert_eq!(fmc(&["build", src_s, "-o", out_s]).status.code(), Some(0));
    let after = snapshot(&out);
    assert!(!after.iter().any(|(p, _)| p.contains("horizontalpodautoscaler")), "{after:?}");
    assert!(after.iter().any(|(p, _)| p == "default/NOTES.yaml"));
    let k = std::fs::read_to_string(out.join("kustomization.yaml")).unwrap();
    assert!(!k.contains("horizontalpodautoscaler"));
    assert_eq!(fmc(&["build", src_s, "-o", out_s, "--check"]).status.code(), Some(0));
}

#[test]
fn output_tree_never_overwrites_foreign_files() {
    if !conformance() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("kustomization.yaml"), "resources: []\n").unwrap();
    let src = corpus_root().join("integration/java-function/manifests.yaml");
    let run = fmc(&["build", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("not written by fmc"));
    assert_eq!(std::fs::read_to_string(out.join("kustomization.yaml")).unwrap(), "resources: []\n");
}

#[test]
fn semantic_diff_between_sources_and_rendered_output() {
    if !conformance() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let old = corpus_root().join("integration/java-function/manifests.yaml");
    let new = work.path().join("new.yaml");
    std::fs::write(&new, std::fs::read_to_string(&old).unwrap().replace("  replicas: 1\n", "  replicas: 3\n")).unwrap();
    let run = fmc(&["diff", "--keep-autoscaled-replicas", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(text.contains("~ StatefulSet default/function-sample-function: spec.replicas 1 → 3"), "{text}");

    // A rendered tree compared with its sources: no difference.
    let rendered = work.path().join("rendered");
    assert_eq!(fmc(&["build", old.to_str().unwrap(), "-o", rendered.to_str().unwrap()]).status.code(), Some(0));
    let same = fmc(&["diff", rendered.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stdout));
}

#[test]
fn flux_substitution_is_disabled_on_objects_with_shell_variables() {
    if !conformance() {
        return;
    }
    let src = corpus_root().join("integration/java-function/manifests.yaml");
    let run = fmc(&["build", "--flux-no-substitute", src.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(0));
    let text = String::from_utf8(run.stdout).unwrap();
    let docs: Vec<&str> = text.split("---\n").filter(|d| !d.is_empty()).collect();
    for doc in docs {
        let annotated = doc.contains("kustomize.toolkit.fluxcd.io/substitute: disabled");
        assert_eq!(annotated, doc.contains("${"), "{doc}");
    }
}

#[test]
fn argocd_plugin_generate_command_renders_the_examples() {
    let plugin = std::fs::read_to_string(project_root().join("examples/argocd/plugin.yaml")).unwrap();
    let line = plugin
        .lines()
        .find(|l| l.trim_start().starts_with("command: [sh, -c, \"set -eu;") && l.contains("fmc build"))
        .expect("generate command");
    let script = line.split_once("\"").unwrap().1.rsplit_once("\"]").unwrap().0.replace("\\\"", "\"");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_fmc")).parent().unwrap();
    let run = |dir: &str, env: &[(&str, &str)]| {
        Command::new("sh")
            .args(["-c", &script])
            .current_dir(project_root().join(dir))
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .env("ARGOCD_APP_NAMESPACE", "streaming")
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let plain = run("examples/operator", &[]);
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    assert!(String::from_utf8_lossy(&plain.stdout).contains("kind: StatefulSet"));
    // An Application's plugin.env turns the build options on.
    let env = [
        ("ARGOCD_ENV_FMC_PROVISION", "resources-operator"),
        ("ARGOCD_ENV_FMC_MONITOR", "service"),
        ("ARGOCD_ENV_FMC_DISRUPTION_BUDGETS", "true"),
    ];
    let provisioned = run("examples/dsl/payment-retries", &env);
    assert!(provisioned.status.success(), "{}", String::from_utf8_lossy(&provisioned.stderr));
    let text = String::from_utf8_lossy(&provisioned.stdout);
    assert!(text.contains("kind: PulsarTopic") && text.contains("kind: PodMonitor"), "{text}");
    // ... and an env value is one argument, never shell code.
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let hostile = format!("pod; touch {}", marker.display());
    let refused = run("examples/operator", &[("ARGOCD_ENV_FMC_MONITOR", &hostile)]);
    assert_eq!(refused.status.code(), Some(2), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(refused.stdout.is_empty() && !marker.exists());
}

/// `cd repo && fmc build . -o deploy`, run again: the second run does not
/// read the tree the first wrote (it skips folders whose kustomization
/// carries fmc's header), so it succeeds and changes nothing.
#[test]
fn building_a_folder_into_a_tree_inside_it_is_idempotent() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy(project_root().join("fixtures/modes/mesh.yaml"), repo.path().join("mesh.yaml")).unwrap();
    std::fs::create_dir(repo.path().join("schemas")).unwrap();
    for schema in ["order.avsc", "purchase.proto"] {
        let from = project_root().join("fixtures/modes/schemas").join(schema);
        std::fs::copy(from, repo.path().join("schemas").join(schema)).unwrap();
    }
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_fmc"))
            .args(["build", ".", "-o", "deploy"])
            .current_dir(repo.path())
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let tree = snapshot(&repo.path().join("deploy"));
    assert!(tree.iter().any(|(p, _)| p.ends_with("configmap-modes-cluster-eu.yaml")), "{tree:?}");
    let second = run();
    assert_eq!(second.status.code(), Some(0), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(snapshot(&repo.path().join("deploy")), tree);
    // A folder that only looks like output (no header) is still read.
    std::fs::create_dir(repo.path().join("more")).unwrap();
    std::fs::write(repo.path().join("more/kustomization.yaml"), "resources: []\n").unwrap();
    std::fs::write(
        repo.path().join("more/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra, namespace: streams}\n",
    )
    .unwrap();
    assert_eq!(run().status.code(), Some(0));
    assert!(snapshot(&repo.path().join("deploy")).iter().any(|(p, _)| p.ends_with("configmap-extra.yaml")));
}

/// Two `-o` trees compared: fmc's own kustomization is fmc's (no P012), and a
/// config change shows as the key that changed inside the runner's JSON.
#[test]
fn diff_of_two_trees_names_the_key_inside_embedded_json() {
    let work = tempfile::tempdir().unwrap();
    let mesh = |threshold: u32| {
        format!(
            "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {{name: shop, namespace: streams}}\nspec:\n  clusters:\n    local: {{brokerServiceUrl: 'pulsar://b:6650', webServiceUrl: 'http://b:8080'}}\n  topics:\n    orders: {{external: true}}\n  functions:\n    tag: {{runtime: native, jq: 'select(.n > $config.min)', config: {{min: {threshold}}}, inputs: [orders]}}\n"
        )
    };
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    for (dir, threshold) in [(&a, 3), (&b, 4)] {
        let input = work.path().join(format!("mesh-{threshold}.yaml"));
        std::fs::write(&input, mesh(threshold)).unwrap();
        assert_eq!(fmc(&["build", input.to_str().unwrap(), "-o", dir.to_str().unwrap()]).status.code(), Some(0));
    }
    let run = fmc(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert_eq!(run.status.code(), Some(1), "{stdout}{stderr}");
    assert!(!stderr.contains("P012"), "{stderr}");
    assert!(stdout.contains("data.runner.json⟨json⟩.userConfig.min 3 → 4"), "{stdout}");
}
