//! N8, N9: `fmc test` bounds every jq program it runs (a native function's, a
//! stand-in's, an `expect` predicate's): a program that loops, recurses or
//! allocates without bound fails its case with a clear message, and the run
//! ends; it never hangs or aborts.

use super::{fmc, write};

fn mesh(program: &str) -> String {
    super::shop_mesh(&format!(
        "  topics:\n    in: {{external: true}}\n    mid: {{}}\n    out: {{}}\n  functions:\n    first: {{runtime: native, jq: '{program}', inputs: [in], output: mid}}\n    second: {{runtime: java, file: /pulsar/x.jar, className: X, inputs: [mid], output: out}}\n"
    ))
}

fn run_case(program: &str, stand_in: &str, predicate: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("mesh.yaml"), &mesh(program));
    let test = format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: MeshTest\nmetadata: {{name: t}}\nspec:\n  mesh: mesh.yaml\n  standIns:\n    second: {{jq: '{stand_in}'}}\n  tests:\n  - name: bounded\n    send:\n    - {{topic: in, value: {{n: 1}}}}\n    expect:\n      out:\n      - jq: '{predicate}'\n"
    );
    write(&dir.path().join("mesh.test.yaml"), &test);
    let started = std::time::Instant::now();
    let run = fmc().arg("test").arg(dir.path()).output().expect("fmc test runs");
    let text = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(started.elapsed() < std::time::Duration::from_secs(120), "bounded: {text}");
    (run.status.code(), text)
}

#[test]
fn looping_recursing_and_allocating_programs_fail_their_case() {
    let programs = ["last(range(1e12))", "def f: [f]; f", "[range(1e9)] | length"];
    for hostile in programs {
        for (program, stand_in, predicate) in [(hostile, ".", "true"), (".", hostile, "true"), (".", ".", hostile)] {
            let (code, text) = run_case(program, stand_in, predicate);
            assert_eq!(code, Some(1), "{hostile} as ({program}, {stand_in}, {predicate}): {text}");
            assert!(
                text.contains("maxProcessingMs") || text.contains("maxMemory") || text.contains("overflowed"),
                "{hostile}: the case says which bound it hit: {text}"
            );
        }
    }
    let (code, text) = run_case(".", ".", ".n == 1");
    assert_eq!(code, Some(0), "a good program still passes: {text}");
}
