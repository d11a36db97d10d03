//! YAML edge cases: a BOM is fine; NUL, control characters, bytes that are not
//! UTF-8 and non-finite numbers are coded errors in every format.

use super::fmc;

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"1\"}\n";

fn build_bytes(bytes: &[u8], format: &str) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("in.yaml");
    std::fs::write(&file, bytes).expect("write");
    let out = fmc().args(["build", "--error-format", format]).arg(&file).output().expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let (code, stdout, stderr) = build_bytes(format!("\u{feff}{CONFIGMAP}").as_bytes(), "human");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("kind: ConfigMap"));
}

#[test]
fn forbidden_bytes_are_coded_errors_in_every_format() {
    let nul = format!("{CONFIGMAP}\0---\nnot: [valid");
    let cases: [(&str, Vec<u8>); 3] = [
        ("NUL", nul.into_bytes()),
        ("control", format!("{CONFIGMAP}x: \u{1b}[31m\n").into_bytes()),
        ("latin-1", [CONFIGMAP.as_bytes(), b"x: caf\xe9\n"].concat()),
    ];
    for (what, bytes) in cases {
        for format in ["human", "json", "github"] {
            let (code, stdout, stderr) = build_bytes(&bytes, format);
            assert_eq!(code, Some(1), "{what} {format}: {stderr}");
            assert!(stdout.is_empty(), "{what}: something rendered");
            assert!(stderr.contains("P014"), "{what} {format}: {stderr}");
        }
        let (_, _, json) = build_bytes(&bytes, "json");
        let d: serde_json::Value = serde_json::from_str(json.lines().next().expect("a line")).expect("json");
        assert_eq!(d["code"], "P014", "{what}");
        assert_eq!(d["line"], 5, "{what}: {d}");
    }
}

#[test]
fn non_finite_numbers_are_errors() {
    for text in [
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {replicas: .inf, className: C, java: {jar: /f.jar}}\n",
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec: {className: C, java: {jar: /f.jar}, funcConfig: {threshold: .nan}}\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nbinaryData: {x: -.inf}\n",
    ] {
        let (code, stdout, stderr) = build_bytes(text.as_bytes(), "human");
        assert_eq!(code, Some(1), "{text}: {stdout}");
        assert!(stderr.contains("P008") && stderr.contains("not a number Kubernetes can store"), "{stderr}");
    }
}

#[test]
fn plug_in_modes_report_bytes_that_are_not_utf8_as_p014() {
    use std::io::Write;
    let bytes = [CONFIGMAP.as_bytes(), b"x: caf\xe9\n"].concat();
    for mode in [&["post-render", "--error-format", "json"][..], &["krm"][..]] {
        let mut child = fmc()
            .args(mode)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        child.stdin.take().expect("stdin").write_all(&bytes).expect("write");
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(1), "{mode:?}");
        assert!(out.stdout.is_empty(), "{mode:?} rendered something");
        assert!(String::from_utf8_lossy(&out.stderr).contains("P014"), "{mode:?}");
    }
}
