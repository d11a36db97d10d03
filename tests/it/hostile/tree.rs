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

fn mesh_with_envs() -> String {
    super::shop_mesh(
        "  topics:\n    orders: {external: true}\n  functions:\n    tag: {runtime: native, jq: '.', inputs: [orders]}\n  environments:\n    prod: {}\n    staging: {}\n",
    )
}

fn build_all_envs(input: &Path, out: &Path) -> std::process::Output {
    fmc().arg("build").arg("--all-envs").arg(input).arg("-o").arg(out).output().expect("fmc runs")
}

/// N1: a link committed as `DIR/prod` is refused like any link below DIR:
/// nothing outside DIR is created, written or removed, and no environment
/// is written (all or nothing).
#[test]
fn all_envs_never_writes_or_deletes_through_a_link_for_an_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("mesh.yaml");
    write(&input, &mesh_with_envs());
    // Another team's generated tree, and an empty folder, outside DIR.
    let other = dir.path().join("other-team/deploy");
    assert_eq!(build_into(&dir.path().join("in-other.yaml"), &other).status.code(), Some(2), "no such input");
    write(&dir.path().join("in-other.yaml"), FUNCTION);
    assert_eq!(build_into(&dir.path().join("in-other.yaml"), &other).status.code(), Some(0));
    let before = contents_under(&other);
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    for target in [&other, &empty] {
        let out = dir.path().join("deploy");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).expect("dir");
        std::os::unix::fs::symlink(target, out.join("prod")).expect("link");
        let run = build_all_envs(&input, &out);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is a symbolic link; fmc never writes through it"), "{stderr}");
        assert_eq!(contents_under(&other), before, "the other team's tree changed");
        assert!(files_under(&empty).is_empty(), "files were created outside DIR");
        assert_eq!(files_under(&out), vec!["prod"], "staging was written although prod was refused");
    }
    // `--check` refuses the same way and writes nothing.
    let out = dir.path().join("deploy");
    let run =
        fmc().arg("build").arg("--all-envs").arg(&input).arg("-o").arg(&out).arg("--check").output().expect("run");
    assert_eq!(run.status.code(), Some(2), "{}", String::from_utf8_lossy(&run.stderr));
}

/// N1: environments are written together; a rebuild replaces only fmc's
/// files inside each environment's folder.
#[test]
fn all_envs_writes_every_environment_and_keeps_other_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("mesh.yaml");
    write(&input, &mesh_with_envs());
    let out = dir.path().join("deploy");
    assert_eq!(build_all_envs(&input, &out).status.code(), Some(0));
    write(&out.join("README.yaml"), "# hand-written\n");
    let files = files_under(&out);
    assert!(
        files.contains(&"prod/kustomization.yaml".to_string())
            && files.contains(&"staging/kustomization.yaml".to_string()),
        "{files:?}"
    );
    assert_eq!(build_all_envs(&input, &out).status.code(), Some(0));
    assert_eq!(files_under(&out), files, "a second build changes nothing");
    let check =
        fmc().arg("build").arg("--all-envs").arg(&input).arg("-o").arg(&out).arg("--check").output().expect("run");
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stderr));
}

/// N4: a first build into a new DIR that fails leaves nothing behind, not
/// even DIR; a planned file that would also be a folder is refused up front.
#[test]
fn a_failed_first_build_into_a_new_folder_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in.yaml");
    // A namespace folder named like the kustomization: the plan refuses it.
    write(&input, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kustomization.yaml}\n");
    let out = dir.path().join("new/deploy");
    let run = build_into(&input, &out);
    assert_ne!(run.status.code(), Some(0));
    assert_eq!(files_under(dir.path()), vec!["in.yaml"], "{}", String::from_utf8_lossy(&run.stderr));
    // The case: `--namespace kustomization.yaml` into a new DIR.
    write(&input, FUNCTION.replace(", namespace: streams", "").as_str());
    let run = fmc()
        .args(["build", "--namespace", "kustomization.yaml"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run");
    assert_eq!(run.status.code(), Some(2), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(files_under(dir.path()), vec!["in.yaml"], "{}", String::from_utf8_lossy(&run.stderr));
}
