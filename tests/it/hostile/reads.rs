//! A mesh reads files only inside its root (docs/security.md, "files read").

use super::{fmc, write};
use std::io::Write;
use std::process::Stdio;

fn mesh(file: &str) -> String {
    format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {{name: shop}}\nspec:\n  clusters:\n    prod: {{brokerServiceUrl: pulsar://b:6650, webServiceUrl: http://b:8080}}\n  schemas:\n    Order: {{type: AVRO, file: {file}}}\n  topics:\n    orders: {{schema: Order, external: true}}\n  functions:\n    enrich: {{runtime: java, file: /f.jar, className: C, cluster: prod, inputs: [orders]}}\n"
    )
}

const AVSC: &str = r#"{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}"#;
const CANARY: &str = "CANARY-host-file-content";

struct Repo {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    outside: std::path::PathBuf,
}

fn repo() -> Repo {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("schemas")).expect("dirs");
    write(&root.join("schemas/order.avsc"), AVSC);
    let outside = dir.path().join("host-secret.avsc");
    write(&outside, &format!("{{\"type\": \"{CANARY}\"}}"));
    std::os::unix::fs::symlink(&outside, root.join("schemas/link.avsc")).expect("link");
    Repo { _dir: dir, root, outside }
}

fn build(args: &[&str], file_ref: &str, repo: &Repo) -> (Option<i32>, String) {
    write(&repo.root.join("mesh.yaml"), &mesh(file_ref));
    let out = fmc().arg("build").args(args).current_dir(&repo.root).output().expect("fmc runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn references_that_leave_the_root_are_refused_unread() {
    let r = repo();
    let outside = r.outside.display().to_string();
    for file_ref in ["../host-secret.avsc", outside.as_str(), "schemas/link.avsc", "/proc/self/environ", "/etc/passwd"]
    {
        for args in [&["mesh.yaml"][..], &["."][..], &["--error-format", "json", "."][..]] {
            let (code, stderr) = build(args, file_ref, &r);
            assert_eq!(code, Some(1), "{file_ref} {args:?}: {stderr}");
            assert!(stderr.contains("R014"), "{file_ref} {args:?}: {stderr}");
            assert!(!stderr.contains(CANARY) && !stderr.contains("root:x:0"), "{file_ref}: quoted: {stderr}");
        }
    }
    // The same reference inside the root builds.
    assert_eq!(build(&["mesh.yaml"], "schemas/order.avsc", &r).0, Some(0));
}

/// A missing file behind a folder link that leads out of the root is not
/// found, and the "did you mean" never names a file outside the root.
#[test]
fn a_missing_file_never_suggests_a_name_from_outside_the_root() {
    let r = repo();
    std::os::unix::fs::symlink(r.outside.parent().unwrap(), r.root.join("up")).expect("link");
    let (code, stderr) = build(&["mesh.yaml"], "up/host-secret.avs", &r);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("R015"), "{stderr}");
    assert!(!stderr.contains("host-secret.avsc"), "a name from outside the root: {stderr}");
    // Inside the root, the neighbour is offered.
    let (_, stderr) = build(&["mesh.yaml"], "schemas/orders.avsc", &r);
    assert!(stderr.contains("did you mean `order.avsc`"), "{stderr}");
}

#[test]
fn root_widens_and_stdin_reads_nothing_without_it() {
    let r = repo();
    let text = mesh("schemas/order.avsc");
    let stdin = |args: &[&str]| {
        let mut child = fmc()
            .args(args)
            .current_dir(&r.root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
        let out = child.wait_with_output().expect("wait");
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, stderr) = stdin(&["build", "-"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("R014") && stderr.contains("--root"), "{stderr}");
    let (code, _) = stdin(&["post-render"]);
    assert_eq!(code, Some(1), "the Helm post-renderer read a file without --root");
    assert_eq!(stdin(&["build", "--root", ".", "-"]).0, Some(0));
    // --root widens: a mesh in a subfolder may read the repository's shared schemas.
    std::fs::create_dir_all(r.root.join("team")).expect("dir");
    write(&r.root.join("team/mesh.yaml"), &mesh("../schemas/order.avsc"));
    let run = |args: &[&str]| fmc().arg("build").args(args).current_dir(&r.root).output().expect("run");
    assert_eq!(run(&["team/mesh.yaml"]).status.code(), Some(1));
    assert_eq!(run(&["."]).status.code(), Some(0), "a directory argument is the root");
    assert_eq!(run(&["--root", ".", "team/mesh.yaml"]).status.code(), Some(0));
}

#[test]
fn special_files_are_refused_even_inside_the_root() {
    let r = repo();
    let fifo = r.root.join("schemas/pipe.avsc");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let (code, stderr) = build(&["mesh.yaml"], "schemas/pipe.avsc", &r);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("R014") && stderr.contains("not a regular file"), "{stderr}");
}
