//! The rendered container commands run under a real `bash`, as the kubelet would
//! run them, with the runtime binaries replaced by stubs that record their
//! arguments. This proves the quoting: what the instance receives is exactly the
//! JSON and values fmc meant, and the generated log configs land on disk intact.

use crate::support::*;
use fmc::options::BuildOptions;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const STUB: &str = "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done > \"$ARGS_OUT\"\n";

/// Runs `command[2]` of the main container with `/pulsar/` moved under a temp dir.
/// Returns the arguments the runtime stub received and the sandbox root.
fn run(rel: &str, sts_name: &str, stub_path: Option<&str>) -> (Vec<String>, tempfile::TempDir) {
    let out = build_file(&corpus_root().join(rel), &BuildOptions::default());
    assert!(!out.has_errors(), "{rel}");
    let sts = object(&out, "StatefulSet", sts_name);
    let cmd = main_container(sts)["command"][2].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["java", "python"] {
        write_exec(&bin.join(name), STUB);
    }
    std::fs::create_dir_all(root.join("pulsar/instances/python-instance")).unwrap();
    std::fs::write(root.join("pulsar/instances/python-instance/log.py"), "  Log.setLevel(1)\n").unwrap();
    if let Some(p) = stub_path {
        let path = root.join(p.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_exec(&path, STUB);
    }
    let sandboxed = cmd.replace("/pulsar/", &format!("{}/pulsar/", root.display()));
    let args_out = root.join("args");
    let status = Command::new("bash")
        .arg("-c")
        .arg(&sandboxed)
        .current_dir(root)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("POD_NAME", format!("{sts_name}-2"))
        .env("brokerServiceURL", "pulsar://broker:6650")
        .env("webServiceURL", "http://broker:8080")
        .env("ARGS_OUT", &args_out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{rel}: bash failed: {}", String::from_utf8_lossy(&status.stderr));
    let raw = std::fs::read(&args_out).expect("the runtime stub ran");
    let args =
        raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8(a.to_vec()).unwrap()).collect();
    (args, dir)
}

fn write_exec(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    Command::new("chmod").arg("+x").arg(path).status().unwrap();
}

fn value<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("{flag} not in {args:?}"));
    &args[i + 1]
}

#[test]
fn java_instance_receives_intact_details_and_shard_id() {
    if !conformance() {
        return;
    }
    let (args, dir) =
        run("integration/quoted-function-details/manifests.yaml", "function-details-quoted-sample-function", None);
    assert_eq!(value(&args, "--instance_id"), "2");
    assert_eq!(value(&args, "--pulsar_serviceurl"), "pulsar://broker:6650");
    let details: Value = serde_json::from_str(value(&args, "--function_details")).unwrap();
    let user: Value = serde_json::from_str(details["userConfig"].as_str().unwrap()).unwrap();
    assert_eq!(user["timePartitionPattern"], "yyyy-MM-dd/HH'h'-mm'm'");
    let log4j = std::fs::read_to_string(dir.path().join("pulsar/conf/java-log/java_instance_log4j.xml")).unwrap();
    assert!(log4j.starts_with("<Configuration>") && log4j.contains("${sys:pulsar.log.level}"), "{log4j}");
}

#[test]
fn python_instance_and_log_config() {
    if !conformance() {
        return;
    }
    let (args, dir) = run("integration/python-log-format-json/manifests.yaml", "python-log-format-json-function", None);
    assert_eq!(args[0], format!("{}/pulsar/instances/python-instance/python_instance_main.py", dir.path().display()));
    assert_eq!(value(&args, "--logging_file"), "python-log-format-json-2.log");
    let ini = std::fs::read_to_string(dir.path().join("pulsar/conf/python-log/python_instance_logging.ini")).unwrap();
    assert!(ini.contains("level=DEBUG") && ini.contains("class=pythonjsonlogger.jsonlogger.JsonFormatter"), "{ini}");
    let log_py = std::fs::read_to_string(dir.path().join("pulsar/instances/python-instance/log.py")).unwrap();
    assert_eq!(log_py, "#  Log.setLevel(1)\n");
}

#[test]
fn oauth2_parameters_reach_the_instance_as_json() {
    if !conformance() {
        return;
    }
    let (args, _dir) = run("integration-oauth2/java-function/manifests.yaml", "function-sample-function", None);
    let params: Value = serde_json::from_str(value(&args, "--client_auth_params")).unwrap();
    assert_eq!(params["issuer_url"], "https://auth.sncloud-stg.dev/");
}

#[test]
fn go_instance_receives_expanded_configuration() {
    if !conformance() {
        return;
    }
    let (args, _dir) = run(
        "integration/go-function/manifests.yaml",
        "go-function-sample-function",
        Some("/pulsar/examples/go-exclamation-func"),
    );
    assert_eq!(args[0], "-instance-conf");
    let conf: Value = serde_json::from_str(&args[1]).unwrap();
    assert_eq!(conf["instanceID"], 2);
    assert_eq!(conf["pulsarServiceURL"], "pulsar://broker:6650");
    let uid = fmc::names::stable_uid("Function", "default", "go-function-sample");
    assert_eq!(conf["funcID"], format!("2-{uid}"));
}
