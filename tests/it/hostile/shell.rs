//! No value becomes shell code (docs/security.md, guarantee "shell").
//!
//! The fields are not a hand list: they are enumerated from the input's JSON
//! Schema (generated from the very types the parser decodes), so a field added
//! to the model is attacked here the day it is added. Every string field of a
//! Function, Source and Sink (each runtime) and of a native Mesh's clusters and
//! components gets each injection payload in turn; the result is rendered, and
//! every container command of every generated object runs under real `bash`
//! with stub binaries. No injected command may run, and where the payload reaches
//! a stub it arrives as the literal text the user wrote.

use fmc::options::BuildOptions;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

/// Each payload is self-contained (balanced on its own), so one that broke the
/// quoting would run its command rather than merely cause a syntax error:
/// quotes of both kinds, `$(…)`, backticks, `;`, `|`, `&&`, `${IFS}`, newlines.
const PAYLOADS: &[&str] = &[
    "x'$(touch $FMC_PWN)'",
    "x\"`touch $FMC_PWN`\"",
    "x;touch $FMC_PWN|x&&touch $FMC_PWN",
    "x${IFS}$(touch${IFS}$FMC_PWN)",
    "x\ntouch $FMC_PWN\n",
];

/// Records each invocation's arguments (NUL-separated, one invocation per line).
const STUB: &str =
    "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >> \"$ARGS_OUT\"\necho >> \"$ARGS_OUT\"\n";
const STUBS: &[&str] = &["java", "python", "python3", "pulsarctl", "wget", "pulsar_rust_instance"];

/// A string-valued place in a document: the path of keys (`[]` = one list item).
type FieldPath = Vec<String>;

/// Every string leaf reachable from `definition` (Kubernetes core types excluded:
/// they become structured pod fields, never command text; enums excluded: the
/// parser refuses anything but their names).
fn string_fields(schema: &Value, definition: &str) -> Vec<FieldPath> {
    let mut out = Vec::new();
    walk(schema, &schema["definitions"][definition], &mut Vec::new(), &mut vec![definition.to_string()], &mut out);
    out
}

fn walk(schema: &Value, node: &Value, path: &mut FieldPath, stack: &mut Vec<String>, out: &mut Vec<FieldPath>) {
    if let Some(r) = node["$ref"].as_str() {
        let name = r.trim_start_matches("#/definitions/").to_string();
        if name.starts_with("io.k8s.") || stack.contains(&name) {
            return;
        }
        stack.push(name.clone());
        walk(schema, &schema["definitions"][&name], path, stack, out);
        stack.pop();
        return;
    }
    for alt in ["anyOf", "oneOf", "allOf"] {
        for n in node[alt].as_array().into_iter().flatten() {
            walk(schema, n, path, stack, out);
        }
    }
    if node.get("enum").is_some() || node.get("const").is_some() {
        return;
    }
    let types: Vec<&str> = match &node["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if types.contains(&"string") {
        out.push(path.clone());
    }
    if let Some(props) = node["properties"].as_object() {
        for (k, v) in props {
            path.push(k.clone());
            walk(schema, v, path, stack, out);
            path.pop();
        }
    }
    match &node["additionalProperties"] {
        Value::Bool(true) => out.push([path.clone(), vec!["k".into()]].concat()),
        v @ Value::Object(_) => {
            path.push("k".into());
            walk(schema, v, path, stack, out);
            path.pop();
        }
        _ => {}
    }
    if node.get("items").is_some() {
        path.push("[]".into());
        walk(schema, &node["items"], path, stack, out);
        path.pop();
    }
}

/// Sets `path` under `root` to `value`, creating objects and one-item lists.
fn set(root: &mut Value, path: &[String], value: &str) {
    let mut node = root;
    for seg in path {
        node = if seg == "[]" {
            if !node.is_array() || node.as_array().is_some_and(Vec::is_empty) {
                *node = json!([{}]);
            }
            &mut node[0]
        } else {
            if !node.is_object() {
                *node = json!({});
            }
            node.as_object_mut().expect("object").entry(seg.clone()).or_insert(json!({}))
        };
    }
    *node = Value::String(value.into());
}

fn pulsar() -> Value {
    json!({
        "pulsarConfig": "pulsar",
        "tlsConfig": {"enabled": true, "certSecretName": "tls", "certSecretKey": "ca.crt"},
        "authConfig": {"oauth2Config": {"audience": "a", "issuerUrl": "https://i/", "keySecretName": "o", "keySecretKey": "key.json"}}
    })
}

/// The operator documents attacked: (kind, runtime key, base spec).
fn operator_bases() -> Vec<(&'static str, &'static str, Value)> {
    let io = json!({"input": {"topics": ["persistent://public/default/in"]}, "output": {"topic": "persistent://public/default/out"}});
    let with = |runtime: &str, pkg: Value, extra: Value| {
        let memory = json!({"memory": "1G"});
        let resources = json!({"requests": memory, "limits": memory});
        let mut spec = json!({"className": "C", "replicas": 1, "pulsar": pulsar(), "cleanupSubscription": true, "resources": resources});
        spec[runtime] = pkg;
        for (k, v) in extra.as_object().expect("object") {
            spec[k] = v.clone();
        }
        spec
    };
    vec![
        (
            "Function",
            "java",
            with("java", json!({"jar": "/pulsar/f.jar", "jarLocation": "function://public/default/f@1"}), io.clone()),
        ),
        (
            "Function",
            "python",
            with("python", json!({"py": "/pulsar/f.py", "pyLocation": "https://example.com/f.py"}), io.clone()),
        ),
        (
            "Function",
            "golang",
            with("golang", json!({"go": "/pulsar/f", "goLocation": "function://public/default/g@1"}), io.clone()),
        ),
        (
            "Function",
            "genericRuntime",
            with("genericRuntime", json!({"functionFile": "/pulsar/f.js", "language": "nodejs"}), io.clone()),
        ),
        (
            "Source",
            "java",
            with(
                "java",
                json!({"jar": "/pulsar/s.nar", "jarLocation": "source://public/default/s@1"}),
                json!({"output": io["output"]}),
            ),
        ),
        (
            "Sink",
            "java",
            with(
                "java",
                json!({"jar": "/pulsar/k.nar", "jarLocation": "sink://public/default/k@1"}),
                json!({"input": io["input"]}),
            ),
        ),
    ]
}

const RUNTIMES: &[&str] = &["java", "python", "golang", "genericRuntime"];

const CLUSTER_CONFIG: &str = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: pulsar, namespace: default}\ndata: {webServiceURL: 'http://b:8080', brokerServiceURL: 'pulsar://b:6650'}\n";

#[derive(Default)]
struct Tally {
    refused: usize,
    ran: usize,
    reached_stub: usize,
}

/// Every payload in turn at `field` of a document of `(apiVersion, kind)` whose spec is `base`.
fn attack_field(type_: (&str, &str), base: &Value, field: &[String], what: &str, tally: &mut Tally) {
    for payload in PAYLOADS {
        let mut spec = base.clone();
        set(&mut spec, field, payload);
        let doc = json!({
            "apiVersion": type_.0, "kind": type_.1,
            "metadata": {"name": "f", "namespace": "default"}, "spec": spec
        });
        attack(&doc, what, payload, tally);
    }
}

/// Builds `doc` under both option sets and runs every command it renders.
fn attack(doc: &Value, what: &str, payload: &str, tally: &mut Tally) {
    let text = format!("{}\n{CLUSTER_CONFIG}", serde_json::to_string(doc).expect("json"));
    for init in [false, true] {
        let options = BuildOptions { enable_init_containers: init, cleanup_hooks: init, ..BuildOptions::default() };
        let out = fmc::pipeline::compile(&crate::support::sources_from_text("hostile.yaml", &text), &options);
        if out.has_errors() {
            tally.refused += 1;
            continue;
        }
        for m in &out.manifests {
            // A command that does not hold the payload's text cannot run it:
            // only those are worth a shell.
            for cmd in commands(&m.value()).into_iter().filter(|c| c.contains("FMC_PWN")) {
                tally.ran += 1;
                if run(&cmd, what, payload) {
                    tally.reached_stub += 1;
                }
            }
        }
    }
}

/// `X` of every `[sh|bash, -c, X]` container command in an object.
fn commands(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_commands(v, &mut out);
    out
}

fn collect_commands(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(c)) = m.get("command")
                && c.len() == 3
                && c[1] == "-c"
            {
                out.push(c[2].as_str().expect("command string").to_string());
            }
            m.values().for_each(|x| collect_commands(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_commands(x, out)),
        _ => {}
    }
}

/// Runs one command in a sandbox; panics if the payload ran. Returns whether a
/// stub received the payload (checked to be intact).
fn run(cmd: &str, what: &str, payload: &str) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    for s in STUBS {
        write_exec(&bin.join(s), STUB);
    }
    for p in ["pulsar/bin/pulsar-admin", "pulsar/f"] {
        write_exec(&root.join(p), STUB);
    }
    std::fs::create_dir_all(root.join("pulsar/instances/python-instance")).expect("dirs");
    std::fs::write(root.join("pulsar/instances/python-instance/log.py"), "  Log.setLevel(1)\n").expect("log.py");
    let marker = root.join("PWNED");
    let args_out = root.join("args");
    let sandboxed = cmd.replace("/pulsar/", &format!("{}/pulsar/", root.display()));
    let status = Command::new("bash")
        .arg("-c")
        .arg(&sandboxed)
        .current_dir(root)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("POD_NAME", "x-0")
        .env("brokerServiceURL", "pulsar://b:6650")
        .env("webServiceURL", "http://b:8080")
        .env("ARGS_OUT", &args_out)
        .env("FMC_PWN", &marker)
        .output()
        .expect("bash runs");
    assert!(
        !marker.exists(),
        "{what} = {payload:?}: the payload ran a command.\ncommand: {cmd}\nstderr: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let recorded = std::fs::read(&args_out).unwrap_or_default();
    let args = String::from_utf8_lossy(&recorded).replace('\0', " ");
    assert!(!args.contains(&*marker.to_string_lossy()), "{what} = {payload:?}: $FMC_PWN was expanded: {args}");
    if recorded.is_empty() {
        return false;
    }
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    // The value may sit inside JSON (the function details), inside JSON inside
    // JSON (`userConfig`), or in the Go instance's JSON, which also escapes `&<>`.
    let json = |s: &str| {
        let q = serde_json::to_string(s).expect("json");
        q[1..q.len() - 1].to_string()
    };
    let once = json(payload);
    let go = once.replace('&', "\\u0026").replace('<', "\\u003c").replace('>', "\\u003e");
    let forms = [json(&once), json(&go), once, go];
    let intact = squash(&args).contains(&squash(payload)) || forms.iter().any(|f| args.contains(f.as_str()));
    assert!(intact, "{what} = {payload:?} reached the stub altered:\n{args}\ncommand: {cmd}");
    true
}

fn write_exec(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
    std::fs::write(path, text).expect("write");
    let mut perm = std::fs::metadata(path).expect("meta").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(path, perm).expect("chmod");
}

fn schema() -> Value {
    serde_json::from_str(&fmc::schema::input_schema()).expect("schema JSON")
}

#[test]
fn no_operator_field_reaches_the_shell_as_code() {
    let schema = schema();
    // Every kind's spec (a field foreign to a kind is refused on its bases).
    let mut fields = string_fields(&schema, "FunctionSpec");
    for f in string_fields(&schema, "SourceSpec").into_iter().chain(string_fields(&schema, "SinkSpec")) {
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    assert!(fields.len() > 100, "schema walk found only {} fields", fields.len());
    let mut tally = Tally::default();
    for field in &fields {
        let first = field[0].as_str();
        for (kind, runtime, base) in operator_bases() {
            // A runtime's own fields on its own base; the rest on every base.
            if RUNTIMES.contains(&first) && first != runtime {
                continue;
            }
            let what = format!("{kind}/{runtime} spec.{}", field.join("."));
            attack_field(("compute.functionmesh.io/v1alpha1", kind), &base, field, &what, &mut tally);
        }
    }
    eprintln!(
        "operator fields: {} fields, {} refused, {} commands run, {} reached a stub",
        fields.len(),
        tally.refused,
        tally.ran,
        tally.reached_stub
    );
    assert!(tally.reached_stub > 300, "too few payloads reached a runtime: {}", tally.reached_stub);
}

#[test]
fn no_mesh_field_reaches_the_shell_as_code() {
    let schema = schema();
    let mut targets: Vec<FieldPath> = Vec::new();
    for f in string_fields(&schema, "ClusterDecl") {
        targets.push([vec!["clusters".into(), "prod".into()], f].concat());
    }
    for f in string_fields(&schema, "ComponentDecl") {
        // The `spec` escape hatch is the operator spec, attacked above.
        if f[0] != "spec" {
            targets.push([vec!["functions".into(), "enrich".into()], f].concat());
        }
    }
    let base = json!({
        "clusters": {"prod": {
            "brokerServiceUrl": "pulsar+ssl://b:6651", "webServiceUrl": "https://b:8443",
            "tls": {"caCert": {"secret": "ca", "key": "ca.crt"}},
            "auth": {"oauth2": {"issuerUrl": "https://i/", "audience": "a", "privateKey": {"secret": "o", "key": "k.json"}}}
        }},
        "topics": {"in": {"external": true}, "out": {"external": true}},
        "functions": {"enrich": {
            "runtime": "java", "file": "/pulsar/f.jar", "className": "C", "cluster": "prod",
            "inputs": ["in"], "output": "out"
        }}
    });
    let mut tally = Tally::default();
    for field in &targets {
        let what = format!("Mesh spec.{}", field.join("."));
        attack_field(("fmc.functionmesh.io/v1alpha1", "Mesh"), &base, field, &what, &mut tally);
    }
    eprintln!(
        "mesh fields: {} fields, {} refused, {} commands run, {} reached a stub",
        targets.len(),
        tally.refused,
        tally.ran,
        tally.reached_stub
    );
    assert!(tally.ran > 50, "too few mesh builds rendered: {}", tally.ran);
}
