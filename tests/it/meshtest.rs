//! `fmc test`: a mesh's behaviour checked in-process (docs/testing.md). Each
//! test writes a mesh and a test file into a temporary folder and runs the
//! real `fmc` binary on them, as a user or CI does.

use crate::support::*;
use std::path::Path;
use std::process::{Command, Output};

const MESH: &str = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: shop, namespace: shop}
spec:
  defaults:
    resources:
      requests: {cpu: 50m, memory: 32Mi}
      limits: {cpu: 500m, memory: 64Mi}
  clusters:
    local: {brokerServiceUrl: 'pulsar://pulsar:6650', webServiceUrl: 'http://pulsar:8080'}
  schemas:
    Order:
      type: JSON
      definition: {type: record, name: Order, fields: [{name: id, type: string}, {name: cents, type: long}]}
    Priced:
      type: JSON
      definition: {type: record, name: Priced, fields: [{name: id, type: string}, {name: euros, type: double}, {name: desk, type: string}]}
  topics:
    orders: {schema: Order, external: true}
    priced: {schema: Priced}
    enriched: {schema: Priced, external: true}
    rejects: {external: true}
  functions:
    price:
      runtime: native
      jq: 'select(.cents >= $config.min) | {id, euros: (.cents / 100), desk: $secrets.DESK}'
      config: {min: 100}
      secrets:
        DESK: {secret: desks, key: desk}
      inputs: [orders]
      output: priced
      retries: {max: 1, deadLetterTopic: rejects}
    enrich:
      runtime: java
      file: /fn.jar
      className: com.shop.Enrich
      inputs: [priced]
      output: enriched
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: ClusterProvided
metadata: {name: cluster}
spec:
  secrets: [shop/desks]
";

const TESTS: &str = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: MeshTest
metadata: {name: shop}
spec:
  secrets: {DESK: berlin}
  standIns:
    enrich: {passThrough: true}
  tests:
    - name: an order is priced with the config and the secret
      send:
        - {topic: orders, key: k1, value: {id: a, cents: 250}}
        - {topic: orders, value: {id: b, cents: 99}}
      expect:
        priced:
          - {value: {id: a, euros: 2.5, desk: berlin}, key: k1}
        enriched:
          - jq: '.euros > 2'
        rejects: []
";

fn fmc_test(dir: &Path, args: &[&str]) -> Output {
    Command::new(fmc_bin()).arg("test").args(args).current_dir(dir).output().unwrap()
}

fn folder(mesh: &str, tests: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mesh.yaml"), mesh).unwrap();
    std::fs::write(dir.path().join("mesh.test.yaml"), tests).unwrap();
    dir
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn every_example_mesh_ships_tests_and_they_pass() {
    let out = fmc_test(&project_root(), &["examples"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(stdout(&out).ends_with(" passed, 0 failed\n"), "{shown}");
    for dir in std::fs::read_dir(project_root().join("examples/dsl")).unwrap() {
        let dir = dir.unwrap().path();
        assert!(dir.join("mesh.test.yaml").is_file(), "{} has no mesh.test.yaml", dir.display());
        assert!(
            shown.contains(&dir.join("mesh.test.yaml").strip_prefix(project_root()).unwrap().display().to_string())
        );
    }
    // The operator example that is a mesh (the other is one Function) has its tests too.
    assert!(shown.contains("examples/operator/pipeline-mesh.test.yaml (cdc)"), "{shown}");
}

#[test]
fn config_secrets_and_stand_ins_pass_through_a_mesh() {
    let dir = folder(MESH, TESTS);
    let out = fmc_test(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("ok    an order is priced"), "{}", text(&out));
    assert!(stdout(&out).ends_with("1 passed, 0 failed\n"), "{}", text(&out));
}

#[test]
fn a_failing_expectation_shows_what_arrived_and_exits_1_in_every_format() {
    let wrong = TESTS.replace("euros: 2.5", "euros: 3").replace("rejects: []", "rejects: [{text: x}]");
    let dir = folder(MESH, &wrong);
    let out = fmc_test(dir.path(), &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("FAIL  an order is priced"), "{shown}");
    assert!(
        shown.contains(
            r#"value: expected {"desk":"berlin","euros":3,"id":"a"}, got {"desk":"berlin","euros":2.5,"id":"a"}"#
        ),
        "{shown}"
    );
    assert!(shown.contains("`rejects`: expected 1 message, 0 arrived"), "{shown}");
    assert!(stdout(&out).ends_with("0 passed, 1 failed\n"), "{shown}");

    let json: serde_json::Value =
        serde_json::from_slice(&fmc_test(dir.path(), &["--error-format", "json"]).stdout).unwrap();
    assert_eq!((json["passed"].as_u64(), json["failed"].as_u64()), (Some(0), Some(1)));
    let case = &json["files"][0]["tests"][0];
    assert_eq!((case["passed"].as_bool(), case["line"].as_u64()), (Some(false), Some(9)), "{json}");
    assert_eq!(case["failures"].as_array().unwrap().len(), 2);

    let github = String::from_utf8(fmc_test(dir.path(), &["--error-format", "github"]).stdout).unwrap();
    assert!(github.starts_with("::error file=./mesh.test.yaml,line=9,col=13,title=fmc test%3A an order"), "{github}");
}

#[test]
fn a_message_that_breaks_a_schema_at_an_edge_fails_naming_topic_message_and_field() {
    // The function writes a string where `Priced` wants a number.
    let bad = MESH.replace("euros: (.cents / 100)", "euros: \"lots\"");
    let out = fmc_test(folder(&bad, TESTS).path(), &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    // The function's result is checked against the output's schema as the
    // runner checks it: it fails, and the message is dead-lettered, saying why.
    assert!(shown.contains("`rejects`: expected 0 messages, 1 arrived"), "{shown}");
    assert!(shown.contains("(dead-lettered: the result does not fit the output's schema: JSON does not match the schema: field `euros`: a string where the schema wants a number)"), "{shown}");
    // A sent value that does not fit the topic's schema is refused as it is encoded.
    let wrong_value = TESTS.replace("{id: a, cents: 250}", "{id: a, cents: many}");
    let shown = text(&fmc_test(folder(MESH, &wrong_value).path(), &[]));
    assert!(shown.contains("message 1 sent to `orders`: JSON does not match the schema: field `cents`"), "{shown}");
}

#[test]
fn raw_bytes_a_reader_cannot_read_and_failures_are_dead_lettered_as_the_runner_does() {
    let tests = TESTS
        .replace(
            "        - {topic: orders, value: {id: b, cents: 99}}",
            "        - {topic: orders, text: 'not json at all'}",
        )
        .replace(
            "rejects: []",
            "rejects: [{text: 'not json at all', properties: {REAL_TOPIC: persistent://public/default/orders}}]",
        );
    let out = fmc_test(folder(MESH, &tests).path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A program error (no secret given to `$secrets.DESK | ascii_downcase`... here: a jq error) is retried, then dead-lettered.
    let failing = MESH.replace("desk: $secrets.DESK}", "desk: ($secrets.DESK | error)}");
    let tests = TESTS
        .replace("priced:\n          - {value: {id: a, euros: 2.5, desk: berlin}, key: k1}", "priced: []")
        .replace("enriched:\n          - jq: '.euros > 2'", "enriched: []")
        .replace("rejects: []", "rejects: [{key: k1}]");
    let out = fmc_test(folder(&failing, &tests).path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn what_the_test_does_not_give_fails_the_case_by_name() {
    // No stand-in for the Java function, no value for the secret.
    let tests =
        TESTS.replace("  standIns:\n    enrich: {passThrough: true}\n", "").replace("  secrets: {DESK: berlin}\n", "");
    let shown = text(&fmc_test(folder(MESH, &tests).path(), &[]));
    assert!(
        shown.contains("`price` cannot run: it reads the secret `DESK`; give the test a value for it (`secrets.DESK`)"),
        "{shown}"
    );
    let tests = TESTS.replace("  standIns:\n    enrich: {passThrough: true}\n", "");
    let shown = text(&fmc_test(folder(MESH, &tests).path(), &[]));
    assert!(shown.contains("`enrich` is a Java function, which fmc test does not run: give it a stand-in"), "{shown}");
}

#[test]
fn a_webassembly_module_runs_with_its_config_through_fmc_init() {
    let dir = folder(
        &MESH
            .replace(
                "      jq: 'select(.cents >= $config.min) | {id, euros: (.cents / 100), desk: $secrets.DESK}'\n",
                "      file: /functions/upper.wasm\n",
            )
            .replace("orders: {schema: Order, external: true}", "orders: {external: true}")
            .replace("priced: {schema: Priced}", "priced: {}")
            .replace("enriched: {schema: Priced, external: true}", "enriched: {external: true}"),
        r#"apiVersion: fmc.functionmesh.io/v1alpha1
kind: MeshTest
metadata: {name: wasm}
spec:
  secrets: {DESK: berlin}
  modules: {price: modules/context.wat}
  standIns: {enrich: {passThrough: true}}
  tests:
    - name: the module sees its config and secrets
      send: [{topic: orders, text: anything}]
      expect:
        enriched: [{jq: 'contains("berlin") and contains("{\"min\":100}")'}]
"#,
    );
    std::fs::create_dir(dir.path().join("modules")).unwrap();
    let wat = std::fs::read_to_string(project_root().join("engine/tests/fixtures/context.wat")).unwrap();
    std::fs::write(dir.path().join("modules/context.wat"), wat).unwrap();
    let out = fmc_test(dir.path(), &["--error-format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // A module path that leaves the test's folder is refused, never read.
    let hostile = std::fs::read_to_string(dir.path().join("mesh.test.yaml"))
        .unwrap()
        .replace("modules/context.wat", "../../../../etc/passwd");
    std::fs::write(dir.path().join("mesh.test.yaml"), hostile).unwrap();
    let shown = text(&fmc_test(dir.path(), &[]));
    assert!(shown.contains("leaves the input's root") && !shown.contains("root:x:0"), "{shown}");
    // A mesh that is a link out of the test's folder is refused before it is read.
    std::fs::remove_file(dir.path().join("mesh.yaml")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("mesh.yaml")).unwrap();
    let out = fmc_test(dir.path(), &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(2), "{shown}");
    assert!(
        shown.contains("the test's mesh: `mesh.yaml` leaves the input's root") && !shown.contains("root:x:0"),
        "{shown}"
    );
}

#[test]
fn operator_resources_are_tested_like_a_native_mesh() {
    // Both input languages: a FunctionMesh's members by their resource names, topics by address or last segment.
    let mesh = std::fs::read_to_string(project_root().join("examples/operator/pipeline-mesh.yaml")).unwrap();
    let tests = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: MeshTest
metadata: {name: operator}
spec:
  standIns:
    cdc-flatten: {jq: '{id: .after.id}'}
  tests:
    - name: a change is flattened for the search sink
      send: [{topic: persistent://shop/cdc/orders, value: {after: {id: 7}}}]
      expect:
        orders-flat: [{value: {id: 7}}]
";
    let out = fmc_test(folder(&mesh, tests).path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Without the stand-in, the Java member is named as what the test must give.
    let bare = tests.replace("  standIns:\n    cdc-flatten: {jq: '{id: .after.id}'}\n", "");
    let shown = text(&fmc_test(folder(&mesh, &bare).path(), &[]));
    assert!(shown.contains("`cdc-flatten` is a Python function, which fmc test does not run"), "{shown}");
}

/// A file may hold several `MeshTest` documents; `base64` expects exact
/// bytes; a source's stand-in emits its `outputs` once at the start of a case.
#[test]
fn several_suites_per_file_base64_and_source_stand_ins() {
    let mesh = format!(
        "{}\n  sources:\n    feed: {{file: /pulsar/connectors/feed.nar, className: com.shop.Feed, output: orders}}\n",
        MESH.split("\n---\n")
            .next()
            .unwrap()
            .replace("orders: {schema: Order, external: true}", "orders: {schema: Order}")
    ) + "---\napiVersion: fmc.functionmesh.io/v1alpha1\nkind: ClusterProvided\nmetadata: {name: cluster}\nspec:\n  secrets: [shop/desks]\n";
    let second = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: MeshTest
metadata: {name: from-the-source}
spec:
  secrets: {DESK: paris}
  standIns:
    enrich: {passThrough: true}
    feed: {outputs: [{value: {id: s, cents: 500}}]}
  tests:
    - name: the source's order is priced
      send: []
      expect:
        priced:
          - {value: {id: s, euros: 5, desk: paris}}
        enriched:
          - base64: eyJpZCI6InMiLCJldXJvcyI6NS4wLCJkZXNrIjoicGFyaXMifQ==
";
    let tests = TESTS.replace(
        "  standIns:\n    enrich: {passThrough: true}\n",
        "  standIns:\n    enrich: {passThrough: true}\n    feed: {outputs: []}\n",
    );
    let dir = folder(&mesh, &format!("{tests}---\n{second}"));
    let out = fmc_test(dir.path(), &[]);
    let shown = text(&out);
    assert!(shown.contains("(shop)") && shown.contains("(from-the-source)"), "both suites run: {shown}");
    assert!(stdout(&out).ends_with("2 passed, 0 failed\n"), "{shown}");
    assert_eq!(out.status.code(), Some(0), "{shown}");
    // A source's stand-in that is not `outputs` is refused (T001), and an
    // unknown field of a test file gets help about test files.
    let bad = second
        .replace("feed: {outputs: [{value: {id: s, cents: 500}}]}", "feed: {passThrough: true}")
        .replace("  tests:", "  flavour: x\n  tests:");
    let dir = folder(&mesh, &bad);
    let out = fmc_test(dir.path(), &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("docs/testing.md lists the fields of a test file"), "{shown}");
    assert!(!shown.contains("the operator would silently ignore"), "{shown}");
    let dir =
        folder(&mesh, &second.replace("feed: {outputs: [{value: {id: s, cents: 500}}]}", "feed: {passThrough: true}"));
    let out = fmc_test(dir.path(), &[]);
    assert!(text(&out).contains("`feed` is a source: it has no input"), "{}", text(&out));
}

/// Issue 25: a jq function on an AVRO topic dead-lettered every message. Now
/// it reads the value (resolved from the writers' schema to the one its end
/// names: a renamed field, a default), and its results are AVRO on an AVRO
/// topic and a KEY_VALUE on a KEY_VALUE one; a route on AVRO decides on the
/// value and forwards the bytes.
#[test]
fn jq_and_route_functions_work_on_avro_and_key_value_values() {
    let mesh = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: risk, namespace: risk}
spec:
  clusters:
    local: {brokerServiceUrl: 'pulsar://pulsar:6650', webServiceUrl: 'http://pulsar:8080'}
  schemas:
    Payment:
      type: AVRO
      definition: {type: record, name: Payment, fields: [{name: id, type: string}, {name: cents, type: long}]}
    PaymentView:
      type: AVRO
      definition:
        type: record
        name: Payment
        fields:
          - {name: id, type: string}
          - {name: amount, type: long, aliases: [cents]}
          - {name: currency, type: string, default: EUR}
    Flag:
      type: AVRO
      definition: {type: record, name: Flag, fields: [{name: id, type: string}, {name: reason, type: string}]}
    Id: {type: STRING}
    FlagById: {type: KEY_VALUE, key: Id, value: Flag, encoding: SEPARATED}
  topics:
    payments: {schema: Payment, external: true}
    flags: {schema: Flag, external: true}
    keyed-flags: {schema: FlagById, external: true}
    large: {schema: Payment, external: true}
    risk-dlq: {external: true}
  functions:
    flag:
      runtime: native
      jq: 'select(.amount >= $config.min) | {id, reason: \"\\(.amount) \\(.currency) over \\($config.min)\"}'
      config: {min: 1000}
      inputs: [{topic: payments, schema: PaymentView}]
      output: flags
      retries: {max: 1, deadLetterTopic: risk-dlq}
    key-flags:
      runtime: native
      jq: '{key: .id, value: .}'
      inputs: [flags]
      output: keyed-flags
    large:
      runtime: native
      route:
        jq: 'if .cents >= 5000 then \"large\" else null end'
        topics: {large: large}
      inputs: [payments]
";
    let tests = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: MeshTest
metadata: {name: risk}
spec:
  tests:
    - name: a large payment is flagged, keyed and routed
      send:
        - {topic: payments, value: {id: p1, cents: 7000}}
        - {topic: payments, value: {id: p2, cents: 10}}
      expect:
        flags:
          - value: {id: p1, reason: 7000 EUR over 1000}
        keyed-flags:
          - {key: p1, value: {key: p1, value: {id: p1, reason: 7000 EUR over 1000}}}
        large:
          - value: {id: p1, cents: 7000}
        risk-dlq: []
";
    let out = fmc_test(folder(mesh, tests).path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&out).ends_with("1 passed, 0 failed\n"), "{}", text(&out));
    // And the runner is configured to do the same in the pod.
    let dir = folder(mesh, tests);
    let built = Command::new(fmc_bin()).arg("build").arg(dir.path().join("mesh.yaml")).output().unwrap();
    let yaml = String::from_utf8(built.stdout).unwrap();
    for key in ["inputSchemas", "readerSchemas", "outputSchemas", "\"keyValue\"", "\"aliases\"", "\"EUR\""] {
        assert!(yaml.contains(key), "{key} missing from the runner configuration:\n{yaml}");
    }
}
