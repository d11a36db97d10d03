//! N2: under `sources: keep`, fmc drops a package item only when it is the
//! output of this source, unchanged, in the file fmc writes it to; a marker
//! fmc did not write keeps its object (P016), and a hand-written
//! `*.generated.yaml` is P017, never a crash.

use fmc::gitops::krm::{GENERATED_DIGEST, GENERATED_FROM, run_krm};
use serde_json::{Value, json};

fn mesh() -> String {
    super::shop_mesh(
        "  topics:\n    orders: {external: true}\n  functions:\n    tag: {runtime: native, jq: '.', inputs: [orders]}\n",
    )
}

fn item(text: &str, path: &str, index: usize) -> Value {
    let mut d = fmc::diagnostics::Diagnostics::default();
    let mut v = fmc::parse::yaml::read_documents(fmc::source::FileId(0), text, &mut d)[0].root.to_json();
    v["metadata"]["annotations"] = json!({
        "internal.config.kubernetes.io/path": path,
        "internal.config.kubernetes.io/index": index.to_string(),
    });
    v
}

fn list(items: Vec<Value>) -> String {
    let list = json!({
        "apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
        "functionConfig": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"sources": "keep"}},
        "items": items,
    });
    list.to_string()
}

fn parsed(text: &str) -> Value {
    let mut d = fmc::diagnostics::Diagnostics::default();
    fmc::parse::yaml::read_documents(fmc::source::FileId(0), text, &mut d)[0].root.to_json()
}

fn policy(name: &str, kind: &str) -> Value {
    item(
        &format!(
            "apiVersion: networking.k8s.io/v1\nkind: {kind}\nmetadata: {{name: {name}, namespace: streams}}\nspec: {{podSelector: {{}}}}\n"
        ),
        "policies.yaml",
        0,
    )
}

#[test]
fn a_copied_marker_deletes_nothing_and_is_reported() {
    let first = parsed(&run_krm(&list(vec![item(&mesh(), "mesh.yaml", 0)]), &Default::default()).text);
    let mut items = first["items"].as_array().expect("items").clone();
    let generated = items.iter().filter(|i| i["metadata"]["annotations"][GENERATED_FROM] == "mesh.yaml").count();
    assert!(
        generated > 0
            && items.iter().all(|i| i["metadata"]["annotations"][GENERATED_FROM].is_null()
                || i["metadata"]["annotations"][GENERATED_DIGEST].as_str().is_some_and(|d| d.starts_with("sha256:")))
    );
    // One annotation line on a default-deny NetworkPolicy and on a quota, in
    // a file of their own: the marker alone, and the marker with a digest
    // copied from one of fmc's objects.
    let digest = items
        .iter()
        .find_map(|i| i["metadata"]["annotations"][GENERATED_DIGEST].as_str())
        .expect("a digest")
        .to_string();
    let mut deny = policy("default-deny", "NetworkPolicy");
    deny["metadata"]["annotations"][GENERATED_FROM] = "mesh.yaml".into();
    let mut quota = policy("quota", "NetworkPolicy");
    quota["metadata"]["annotations"][GENERATED_FROM] = "does-not-exist.yaml".into();
    quota["metadata"]["annotations"][GENERATED_DIGEST] = digest.into();
    items.push(deny);
    items.push(quota);
    let second = run_krm(&list(items), &Default::default());
    assert!(!second.failed, "{}", second.text);
    let out = parsed(&second.text);
    let names: Vec<&str> =
        out["items"].as_array().unwrap().iter().filter_map(|i| i["metadata"]["name"].as_str()).collect();
    assert!(names.contains(&"default-deny") && names.contains(&"quota"), "{names:?}");
    let warnings: Vec<&Value> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["message"].as_str().unwrap().starts_with("P016"))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", second.text);
    assert_eq!(warnings[0]["severity"], "warning");
    assert_eq!(warnings[0]["file"]["path"], "policies.yaml");
    // fmc's own objects were made anew, once: no duplicates.
    let again = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["metadata"]["annotations"][GENERATED_FROM] == "mesh.yaml"
                && i["metadata"]["annotations"][GENERATED_DIGEST].is_string()
                && i["metadata"]["annotations"]["internal.config.kubernetes.io/path"] == "mesh.generated.yaml"
        })
        .count();
    assert_eq!(again, generated);
}

#[test]
fn an_edited_output_or_a_hand_written_generated_file_is_p017_and_changes_nothing() {
    let first = parsed(&run_krm(&list(vec![item(&mesh(), "mesh.yaml", 0)]), &Default::default()).text);
    let mut edited = first["items"].as_array().unwrap().clone();
    let target = edited.iter_mut().find(|i| i["kind"] == "StatefulSet").expect("a StatefulSet");
    target["spec"]["replicas"] = 9.into();
    let hand = {
        let mut cm = item(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine, namespace: streams}\ndata: {a: b}\n",
            "mesh.generated.yaml",
            0,
        );
        cm["metadata"]["annotations"]["internal.config.kubernetes.io/index"] = "0".into();
        cm
    };
    for items in [edited, vec![item(&mesh(), "mesh.yaml", 0), hand]] {
        let out = run_krm(&list(items.clone()), &Default::default());
        assert!(out.failed, "{}", out.text);
        let parsed = parsed(&out.text);
        assert!(
            parsed["results"].as_array().unwrap().iter().any(|r| r["message"].as_str().unwrap().starts_with("P017")),
            "{}",
            out.text
        );
        assert_eq!(parsed["items"].as_array().unwrap(), &items, "a failed render returns the package unchanged");
    }
}
