//! `fmc build -o DIR` writes only inside DIR, atomically, one build at a time,
//! and never empties a tree because the input was empty (docs/security.md).

use super::{fmc, write};
use std::path::Path;

const FUNCTION: &str = "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f, namespace: streams}\nspec:\n  className: C\n  input: {topics: [persistent://public/default/in]}\n  java: {jar: /pulsar/f.jar}\n  pulsar: {pulsarConfig: pulsar}\n  resources: {requests: {memory: 1G}, limits: {memory: 1G}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: pulsar, namespace: streams}\ndata: {webServiceURL: 'http://b:8080', brokerServiceURL: 'pulsar://b:6650'}\n";

fn build_into(input: &Path, out: &Path) -> std::process::Output {
    fmc().arg("build").arg(input).arg("-o").arg(out).output().expect("fmc runs")
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if std::fs::symlink_metadata(&p).expect("meta").is_dir() {
                todo.push(p);
            } else {
                all.push(p.strip_prefix(dir).expect("under").display().to_string());
            }
        }
    }
    all.sort();
    all
}

/// Every file under `dir` with its text.
fn contents_under(dir: &Path) -> Vec<(String, String)> {
    files_under(dir).into_iter().map(|f| (f.clone(), std::fs::read_to_string(dir.join(&f)).expect("read"))).collect()
}

#[test]
fn object_identities_cannot_name_paths_outside_the_tree() {
    let cases = [
        ("namespace", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ../../static-pods}\n"),
        ("absolute namespace", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: /tmp/x}\n"),
        ("kind", "apiVersion: v1\nkind: ../../X\nmetadata: {name: p}\n"),
        ("name", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ..}\n"),
        ("kustomization", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: /../../kustomization}\n"),
        (
            "function namespace",
            "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f, namespace: ../up}\nspec: {className: C, java: {jar: /x.jar}}\n",
        ),
    ];
    for (what, text) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.yaml");
        write(&input, text);
        let out = dir.path().join("a/b/deploy");
        let run = build_into(&input, &out);
        assert_eq!(run.status.code(), Some(1), "{what}: {}", String::from_utf8_lossy(&run.stderr));
        assert!(String::from_utf8_lossy(&run.stderr).contains("P013"), "{what}");
        assert_eq!(files_under(dir.path()), vec!["in.yaml"], "{what}: something was written");
    }
}

#[test]
fn removal_and_writes_never_follow_links_out_of_the_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.yaml");
    write(&input, FUNCTION);
    // Another fmc tree, reachable through a link inside DIR.
    let other = dir.path().join("other");
    assert_eq!(build_into(&input, &other).status.code(), Some(0));
    let before = files_under(&other);
    let out = dir.path().join("deploy");
    std::fs::create_dir_all(&out).expect("dir");
    std::os::unix::fs::symlink(&other, out.join("elsewhere")).expect("link");
    assert_eq!(build_into(&input, &out).status.code(), Some(0));
    assert_eq!(files_under(&other), before, "stale-file removal went through a link");
    // A link where fmc wants to write a folder is refused, not written through.
    let out2 = dir.path().join("deploy2");
    std::fs::create_dir_all(&out2).expect("dir");
    let target = dir.path().join("target");
    std::fs::create_dir_all(&target).expect("dir");
    std::os::unix::fs::symlink(&target, out2.join("streams")).expect("link");
    let run = build_into(&input, &out2);
    assert_eq!(run.status.code(), Some(2), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(files_under(&target).is_empty(), "written through a link");
}

#[test]
fn link_loops_in_input_and_output_folders_terminate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("mesh");
    std::fs::create_dir_all(&input).expect("dir");
    write(&input.join("f.yaml"), FUNCTION);
    for l in ["a", "b"] {
        std::os::unix::fs::symlink(".", input.join(l)).expect("link");
    }
    let out = dir.path().join("deploy");
    std::fs::create_dir_all(&out).expect("dir");
    for l in ["a", "b"] {
        std::os::unix::fs::symlink(".", out.join(l)).expect("link");
    }
    let run = build_into(&input, &out);
    // Read once: a repeated file would be R003 (the objects defined twice).
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
}

#[test]
fn a_failed_write_leaves_the_previous_tree_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.yaml");
    write(&input, FUNCTION);
    let out = dir.path().join("deploy");
    assert_eq!(build_into(&input, &out).status.code(), Some(0));
    let before = contents_under(&out);
    // A second object whose file cannot be created: its folder is a read-only
    // file in the way. The new kustomization must not be written either.
    let blocker = out.join("blocked");
    write(&blocker, "not a folder\n");
    write(
        &input,
        &format!("{FUNCTION}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x, namespace: blocked}}\n"),
    );
    let run = build_into(&input, &out);
    assert_eq!(run.status.code(), Some(2), "{}", String::from_utf8_lossy(&run.stderr));
    std::fs::remove_file(&blocker).expect("rm");
    let after = contents_under(&out);
    assert_eq!(after, before);
}

#[test]
fn a_long_name_gets_a_short_file_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.yaml");
    let name = "n".repeat(250);
    write(&input, &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: streams}}\n"));
    let out = dir.path().join("deploy");
    let run = build_into(&input, &out);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let files = files_under(&out);
    assert_eq!(files.len(), 2, "{files:?}");
    let kustomization = std::fs::read_to_string(out.join("kustomization.yaml")).expect("read");
    for f in files.iter().filter(|f| *f != "kustomization.yaml") {
        assert!(f.len() < 255 && kustomization.contains(f.as_str()), "{f}");
    }
}

#[test]
fn concurrent_builds_into_one_tree_leave_a_consistent_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
    write(&a, FUNCTION);
    write(&b, &FUNCTION.replace("name: f,", "name: g,"));
    let out = dir.path().join("deploy");
    for _ in 0..5 {
        let spawn = |input: &Path| fmc().arg("build").arg(input).arg("-o").arg(&out).spawn().expect("spawn");
        let (mut x, mut y) = (spawn(&a), spawn(&b));
        assert!(x.wait().expect("wait").success() && y.wait().expect("wait").success());
        // Whichever ran last, the tree is exactly that build's tree.
        let check_a = fmc().arg("build").arg(&a).arg("-o").arg(&out).arg("--check").output().expect("run");
        let check_b = fmc().arg("build").arg(&b).arg("-o").arg(&out).arg("--check").output().expect("run");
        assert!(check_a.status.success() ^ check_b.status.success(), "the tree matches neither build");
    }
}

#[test]
fn an_empty_input_never_empties_a_tree_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.yaml");
    write(&input, FUNCTION);
    let out = dir.path().join("deploy");
    assert_eq!(build_into(&input, &out).status.code(), Some(0));
    let before = files_under(&out);
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir_all(&empty_dir).expect("dir");
    for text in ["", "# only a comment\n", "---\n"] {
        write(&input, text);
        let run = build_into(&input, &out);
        assert_eq!(run.status.code(), Some(1), "{text:?}");
        assert!(String::from_utf8_lossy(&run.stderr).contains("--allow-empty"));
        assert_eq!(files_under(&out), before);
    }
    assert_eq!(build_into(&empty_dir, &out).status.code(), Some(1));
    let stdout = fmc().arg("build").arg(&empty_dir).output().expect("run");
    assert_eq!(stdout.status.code(), Some(1), "an empty render on stdout would let Argo CD prune everything");
    let run = fmc().arg("build").arg(&empty_dir).arg("-o").arg(&out).arg("--allow-empty").output().expect("run");
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(files_under(&out), vec!["kustomization.yaml"]);
}

#[test]
fn objects_without_a_name_of_their_own_still_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.yaml");
    let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: migrate-, namespace: streams}\nspec: {template: {spec: {containers: [{name: c, image: busybox}], restartPolicy: Never}}}\n";
    write(&input, &format!("{job}---\napiVersion: v1\nkind: List\nitems: []\n"));
    let out = dir.path().join("deploy");
    let run = build_into(&input, &out);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(files_under(&out), vec!["_no-namespace/list-doc1.yaml", "kustomization.yaml", "streams/job-doc0.yaml"]);
    // Without generateName, a Job must have a name.
    write(&input, "apiVersion: batch/v1\nkind: Job\nmetadata: {namespace: streams}\n");
    assert_eq!(build_into(&input, &out).status.code(), Some(1));
}
