//! Python functions as Pulsar's examples write them, run by the engine one
//! message at a time: each API area with a function of its own.

use fmc_engine::config::Config;
use fmc_engine::function::{Context, Record, UserFunction};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

const INPUT: &str = "persistent://public/default/in";

fn fixture(file: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/functions").join(file).display().to_string()
}

fn config(class_name: &str, file: &str, extra: Value) -> Config {
    let mut python = json!({"className": class_name, "path": fixture(file)});
    python.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    serde_json::from_value(json!({
        "tenant": "public", "namespace": "default", "name": "f",
        "inputs": [INPUT], "output": "persistent://public/default/out",
        "function": {"python": python},
    }))
    .unwrap()
}

fn load(config: &Config, user_config: Value, secrets: &[(&str, &str)]) -> Box<dyn UserFunction> {
    let secrets: BTreeMap<String, String> = secrets.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let fmc_engine::config::FunctionConfig::Python(python) = &config.function else { panic!() };
    fmc_python::load(config, python, &Context::new(user_config, secrets)).unwrap()
}

fn message(payload: &[u8]) -> Record {
    Record {
        payload: payload.to_vec(),
        key: Some("k1".into()),
        from: Some(INPUT.into()),
        message_id: Some("7:1:-1".into()),
        ..Record::default()
    }
}

fn payloads(records: &[Record]) -> Vec<(Option<&str>, String)> {
    records.iter().map(|r| (r.topic.as_deref(), String::from_utf8_lossy(&r.payload).into_owned())).collect()
}

#[test]
fn a_function_subclass_gets_its_input_through_identity_serde() {
    let mut f = load(&config("exclamation.ExclamationFunction", "exclamation.py", json!({})), json!(null), &[]);
    let out = f.process(&message(b"hello")).unwrap();
    assert_eq!(payloads(&out), [(None, "hello!".to_string())]);
    assert_eq!(out[0].key.as_deref(), Some("k1"), "the output keeps the input's key");
    // IdentitySerDe reads b"5" as the int 5, as upstream does: int + str fails.
    let err = f.process(&message(b"5")).unwrap_err();
    assert!(err.starts_with("TypeError: unsupported operand") && err.contains("exclamation.py:7 in process"), "{err}");
}

#[test]
fn user_config_and_secrets_come_from_the_context_and_errors_never_show_a_secret() {
    let c = config("config_append.ConfigAppend", "config_append.py", json!({}));
    let mut f = load(&c, json!({"suffix": "!!"}), &[("API_TOKEN", "s3cr3t-value")]);
    assert_eq!(payloads(&f.process(&message(b"hi")).unwrap()), [(None, "hi!! (12)".to_string())]);
    let err = f.process(&message(b"leak")).unwrap_err();
    assert!(err.starts_with("ValueError: the token is ") && !err.contains("s3cr3t-value"), "{err}");
    // Nor does a log line (here on the log topic; the runner's log gets the same line).
    let mut c = config(
        "config_append.ConfigAppend",
        "config_append.py",
        json!({"logTopic": "persistent://public/default/logs"}),
    );
    c.name = "logs".into();
    let mut f = load(&c, json!({"suffix": "!!"}), &[("API_TOKEN", "s3cr3t-value")]);
    let out = f.process(&message(b"log")).unwrap();
    let line = out.iter().find(|r| r.topic.as_deref() == Some("persistent://public/default/logs")).expect("a log line");
    assert_eq!(String::from_utf8_lossy(&line.payload), "using token <redacted:API_TOKEN>");
}

#[test]
fn a_module_process_and_a_custom_serde_run_unchanged() {
    let mut f = load(&config("pure", "pure.py", json!({})), json!(null), &[]);
    assert_eq!(payloads(&f.process(&message(b"abc")).unwrap()), [(None, "ABC".to_string())]);
    let serde = json!({"inputSerde": {INPUT: "custom_serde.PointSerDe"}, "outputSerde": "custom_serde.PointSerDe"});
    let mut f = load(&config("custom_serde.Mirror", "custom_serde.py", serde), json!(null), &[]);
    assert_eq!(payloads(&f.process(&message(b"1,2")).unwrap()), [(None, "2,1".to_string())]);
}

#[test]
fn logs_publishes_and_a_void_result() {
    let c =
        config("logging_publish.Audit", "logging_publish.py", json!({"logTopic": "persistent://public/default/logs"}));
    let mut f = load(&c, json!(null), &[]);
    let out = f.process(&message(b"x")).unwrap();
    assert_eq!(
        payloads(&out),
        [
            (Some("persistent://public/default/audit"), "seen x".to_string()),
            (Some("persistent://public/default/logs"), format!("audit x from {INPUT} key k1")),
        ],
        "no output of its own (it returns None)"
    );
    assert_eq!(out[0].properties, [("by".to_string(), "f".to_string())]);
}

#[test]
fn publish_callbacks_run_when_the_broker_answers_and_a_failed_call_tells_them_at_once() {
    let c = config("publish_callback.Confirmed", "publish_callback.py", json!({}));
    let mut f = load(&c, json!(null), &[]);
    let first = f.process(&message(b"a")).unwrap();
    assert_eq!(payloads(&first)[0], (None, String::new()), "no callback before the broker answers");
    let ticket = first[1].receipt.expect("the published record carries the callback's ticket");
    assert_eq!(first[0].receipt, None, "the function's own output has no callback");
    f.receipts(vec![(ticket, Ok("7:0:-1".into()))]);
    let second = f.process(&message(b"b")).unwrap();
    assert_eq!(payloads(&second)[0].1, "Ok 7:0:-1");
    f.receipts(vec![(second[1].receipt.unwrap(), Err("producer closed".into()))]);
    assert!(f.process(&message(b"raise")).is_err());
    let last = f.process(&message(b"c")).unwrap();
    assert_eq!(
        payloads(&last)[0].1,
        "Ok 7:0:-1,UnknownError None,UnknownError None",
        "a failed send and a call that raised (nothing sent) each answer their callback once"
    );
}

#[test]
fn publish_honours_a_key_event_time_and_properties_and_refuses_a_delayed_delivery() {
    let mut f = load(&config("publish_conf.Conf", "publish_conf.py", json!({})), json!(null), &[]);
    let out = f.process(&message(b"now")).unwrap();
    let published = &out[0];
    assert_eq!(published.topic.as_deref(), Some("persistent://public/default/conf"));
    assert_eq!(published.key.as_deref(), Some("k-now"));
    assert_eq!(published.event_time, Some(1_700_000_000_000));
    assert_eq!(published.properties, [("p".to_string(), "1".to_string())]);
    let err = f.process(&message(b"later")).unwrap_err();
    assert!(err.starts_with("NotImplementedError: publish: message_conf 'deliver_after' (delayed delivery)"), "{err}");
}

#[test]
fn a_user_exception_is_the_messages_error_and_the_next_message_goes_on() {
    let mut f = load(&config("fails.Fails", "fails.py", json!({})), json!(null), &[]);
    let results = f.process_batch(&[message(b"ok"), message(b"bad"), message(b"fine")]);
    assert_eq!(results[0].as_ref().map(|r| payloads(r)), Ok(vec![(None, "ok".to_string())]));
    assert!(results[1].as_ref().unwrap_err().starts_with("ValueError: cannot take bad"), "{:?}", results[1]);
    assert!(results[2].is_ok());
}

#[test]
fn an_avro_input_reaches_a_record_and_a_json_output_is_written_from_one() {
    let typed = json!({
        "inputSchemaTypes": {INPUT: "AVRO"}, "inputTypeClasses": {INPUT: "typed.Payment"},
        "outputSchemaType": "JSON", "outputTypeClass": "typed.Priced",
    });
    let mut f = load(&config("typed.Price", "typed.py", typed), json!(null), &[]);
    // Avro binary of {id: "p1", cents: 250}: string "p1", long 250.
    let avro = [vec![4, b'p', b'1'], vec![0xf4, 0x03]].concat();
    let out = f.process(&message(&avro)).unwrap();
    assert_eq!(payloads(&out), [(None, r#"{"id":"p1","euros":2.5}"#.to_string())]);
}

#[test]
fn state_is_refused_with_a_clear_error() {
    let mut f = load(&config("stateful.Count", "stateful.py", json!({})), json!(null), &[]);
    let err = f.process(&message(b"x")).unwrap_err();
    assert!(err.contains("needs BookKeeper's table service"), "{err}");
}

#[test]
fn a_missing_class_refuses_to_load() {
    let c = config("exclamation.Nope", "exclamation.py", json!({}));
    let fmc_engine::config::FunctionConfig::Python(python) = &c.function else { panic!() };
    let err = fmc_python::load(&c, python, &Context::default()).err().unwrap();
    assert!(
        err.contains("cannot load the Python function exclamation.Nope") && err.contains("AttributeError"),
        "{err}"
    );
}

/// Code shipped as a `.zip` or a `.whl`: the archive goes on `sys.path`, so
/// the function and the pure-Python dependency packed beside it import from
/// it, with nothing installed. (Module names differ per archive: one process
/// imports a module once.)
#[test]
fn a_function_and_its_dependency_import_from_a_zip_and_a_wheel() {
    let dir = tempfile::tempdir().unwrap();
    for (archive, module) in [("shouter-1.0.zip", "zipped"), ("shouter-1.0-py3-none-any.whl", "wheeled")] {
        let path = dir.path().join(archive);
        let pack = "import sys, zipfile\n\
                    m = sys.argv[2]\n\
                    with zipfile.ZipFile(sys.argv[1], 'w') as z:\n\
                    \x20   z.writestr(m + '_loudness/__init__.py', 'def loud(s):\\n    return s.upper() + \"!\"\\n')\n\
                    \x20   z.writestr(m + '.py', 'from pulsar import Function\\nfrom ' + m + '_loudness import loud\\n\\nclass Shout(Function):\\n    def process(self, input, context):\\n        return loud(input)\\n')\n";
        let status = std::process::Command::new("/usr/bin/python3.11")
            .arg("-c")
            .arg(pack)
            .arg(&path)
            .arg(module)
            .status()
            .unwrap();
        assert!(status.success());
        let c: Config = serde_json::from_value(json!({
            "tenant": "public", "namespace": "default", "name": "shout", "inputs": [INPUT],
            "function": {"python": {"className": format!("{module}.Shout"), "path": path.display().to_string()}},
        }))
        .unwrap();
        let mut f = load(&c, json!(null), &[]);
        assert_eq!(payloads(&f.process(&message(b"hey")).unwrap()), [(None, "HEY!".to_string())], "{archive}");
    }
}

/// The Avro reader of `pulsar.schema` (AVRO inputs of Python functions) bounds
/// array and map blocks as the runner's own reader does: seven bytes claiming
/// 2^40 nulls are refused at once instead of looping.
#[test]
fn an_avro_block_claiming_more_items_than_its_bytes_is_refused() {
    let check = r#"
from pulsar.schema import _avro
s = _avro.Schema({"type": "array", "items": "null"})
def claim(n):
    n, out = n << 1, b""
    while n > 0x7f:
        out += bytes([(n & 0x7f) | 0x80]); n >>= 7
    return out + bytes([n]) + b"\x00"
try:
    s.read(claim(1 << 40))
    print("read")
except ValueError as e:
    print(e)
print(len(s.read(claim(100))))
"#;
    let out = std::process::Command::new("/usr/bin/python3.11")
        .arg("-c")
        .arg(check)
        .env("PYTHONPATH", PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        said,
        "an array or map block of 1099511627776 items in a payload of 7 bytes\n100\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
