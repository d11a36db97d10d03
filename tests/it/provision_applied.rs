//! Provisioning applied to Apache Pulsar: what `--provision resources-operator`
//! renders for a mesh (tenant, namespace, a partitioned topic with retention,
//! deduplication, a compatibility strategy and its schema) is applied to the
//! standalone with the admin REST calls the resources operator makes for those
//! fields (its `pkg/admin/impl.go`: `Tenants().Create` with every cluster when
//! none is named, `Namespaces().CreateNsWithPolices`, `Topics().Create` with the
//! partitions, then `SetRetention` (minutes, and MB as `ScaledValue(Mega)`),
//! `SetDeduplicationStatus`, `SetSchemaCompatibilityStrategy` at topic level,
//! and `Schemas().CreateSchemaByPayload`), read back equal, and then met by real
//! producers (the official Python client): one with the topic's schema is
//! accepted, one whose schema fmc rejects under the topic's strategy (C019) is
//! refused by the broker.

use crate::broker_schemas::{admin_address, call, ok};
use crate::support::*;
use serde_json::{Value, json};

/// The mesh's provisioning objects, by kind.
fn provisioned() -> Vec<Value> {
    let out = std::process::Command::new(fmc_bin())
        .args(["build", "--provision", "resources-operator"])
        .arg(project_root().join("fixtures/modes/mesh.yaml"))
        .output()
        .expect("fmc runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    crate::modes::documents(&String::from_utf8_lossy(&out.stdout))
        .into_iter()
        .filter(|o| o["apiVersion"] == "resource.streamnative.io/v1alpha1")
        .collect()
}

fn one<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = objects.iter().filter(|o| o["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind} in {objects:#?}");
    found[0]
}

/// Accepts 409 (already there) as the operator does (`IsAlreadyExist`).
fn create(admin: &str, method: &str, path: &str, body: &Value) {
    let (status, text) = call(admin, method, path, Some(body));
    assert!((200..300).contains(&status) || status == 409, "{method} {path}: {status} {text}");
}

/// `7d` and the like, as minutes.
fn minutes(duration: &str) -> i64 {
    let (n, unit) = duration.split_at(duration.len() - 1);
    let n: i64 = n.parse().expect("a number");
    n * match unit {
        "m" => 1,
        "h" => 60,
        "d" => 24 * 60,
        "w" => 7 * 24 * 60,
        other => panic!("unit {other}"),
    }
}

/// A Kubernetes quantity (`10Gi`) in MB, rounded up (`ScaledValue(Mega)`).
fn megabytes(quantity: &str) -> i64 {
    let (n, unit) = quantity.split_at(quantity.find(|c: char| c.is_alphabetic()).unwrap_or(quantity.len()));
    let bytes = n.parse::<i64>().expect("a number")
        * match unit {
            "Ki" => 1 << 10,
            "Mi" => 1 << 20,
            "Gi" => 1 << 30,
            "Ti" => 1 << 40,
            "M" => 1_000_000,
            "G" => 1_000_000_000,
            "" => 1,
            other => panic!("unit {other}"),
        };
    (bytes + 999_999) / 1_000_000
}

/// A topic-level policy reads back once the broker has applied it (topic
/// policies travel through a system topic).
fn eventually(admin: &str, path: &str, want: &Value) {
    let mut got = Value::Null;
    for _ in 0..200 {
        let (status, text) = call(admin, "GET", path, None);
        got = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status == 200 && &got == want {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("GET {path}: {got} instead of {want}");
}

/// The broker URL of the standalone the admin address belongs to.
pub(crate) fn broker_url() -> String {
    standalone_url("FMC_PULSAR_URL").expect("FMC_PULSAR_URL, or a running standalone's env file")
}

/// Creates a producer with `schema` (an Avro definition) on `topic` with the
/// official Python client and sends one message: `Ok(())` or the client's error.
fn produce_with_schema(topic: &str, schema: &Value, record: &Value) -> Result<(), String> {
    let python = project_root().join(".venv/bin/python");
    let script = r#"
import json, sys, pulsar
from pulsar.schema import AvroSchema
url, topic, definition, record = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
client = pulsar.Client(url, operation_timeout_seconds=20)
try:
    producer = client.create_producer(topic, schema=AvroSchema(None, schema_definition=definition))
    producer.send(record)
    print("sent")
except Exception as e:
    print("refused: %s" % e)
    sys.exit(1)
finally:
    client.close()
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script, &broker_url(), topic, &schema.to_string(), &record.to_string()])
        .output()
        .expect("python runs");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() { Ok(()) } else { Err(format!("{said} {}", String::from_utf8_lossy(&out.stderr).trim())) }
}

#[test]
fn provisioning_applied_to_apache_pulsar_reads_back_and_its_schema_guards_the_topic() {
    let Some(admin) = admin_address() else { return };
    let objects = provisioned();
    let (tenant, namespace, topic) =
        (one(&objects, "PulsarTenant"), one(&objects, "PulsarNamespace"), one(&objects, "PulsarTopic"));

    // The tenant, with every cluster (none named), as the operator does.
    let clusters: Value = serde_json::from_str(&ok(&admin, "GET", "/admin/v2/clusters", None)).unwrap();
    let tenant_name = tenant["spec"]["name"].as_str().unwrap();
    let tenant_data = json!({"adminRoles": tenant["spec"]["adminRoles"], "allowedClusters": clusters});
    create(&admin, "PUT", &format!("/admin/v2/tenants/{tenant_name}"), &tenant_data);
    let read: Value =
        serde_json::from_str(&ok(&admin, "GET", &format!("/admin/v2/tenants/{tenant_name}"), None)).unwrap();
    assert_eq!(read["adminRoles"], tenant["spec"]["adminRoles"]);
    assert_eq!(read["allowedClusters"], clusters);

    // The namespace, with the operator's creation policies (4 bundles).
    let ns = namespace["spec"]["name"].as_str().unwrap();
    create(&admin, "PUT", &format!("/admin/v2/namespaces/{ns}"), &json!({"bundles": {"numBundles": 4}}));
    let namespaces: Value =
        serde_json::from_str(&ok(&admin, "GET", &format!("/admin/v2/namespaces/{tenant_name}"), None)).unwrap();
    assert!(namespaces.as_array().unwrap().contains(&json!(ns)), "{namespaces}");

    // The topic with its partitions, then its policies at topic level.
    let spec = &topic["spec"];
    let name = spec["name"].as_str().unwrap().strip_prefix("persistent://").expect("a persistent topic");
    let path = format!("/admin/v2/persistent/{name}");
    create(&admin, "PUT", &format!("{path}/partitions"), &spec["partitions"]);
    let retention = json!({
        "retentionTimeInMinutes": minutes(spec["retentionTime"].as_str().unwrap()),
        "retentionSizeInMB": megabytes(spec["retentionSize"].as_str().unwrap()),
    });
    ok(&admin, "POST", &format!("{path}/retention"), Some(&retention));
    ok(&admin, "POST", &format!("{path}/deduplicationEnabled"), Some(&spec["deduplication"]));
    ok(&admin, "PUT", &format!("{path}/schemaCompatibilityStrategy"), Some(&spec["schemaCompatibilityStrategy"]));
    let schema_info = &spec["schemaInfo"];
    let payload = json!({"type": schema_info["type"], "schema": schema_info["schema"], "properties": {}});
    ok(&admin, "POST", &format!("/admin/v2/schemas/{name}/schema"), Some(&payload));

    // Read back equal.
    eventually(&admin, &format!("{path}/partitions"), &json!({"deleted": false, "partitions": spec["partitions"]}));
    eventually(&admin, &format!("{path}/retention"), &retention);
    eventually(&admin, &format!("{path}/deduplicationEnabled"), &spec["deduplication"]);
    eventually(&admin, &format!("{path}/schemaCompatibilityStrategy"), &spec["schemaCompatibilityStrategy"]);
    let stored: Value =
        serde_json::from_str(&ok(&admin, "GET", &format!("/admin/v2/schemas/{name}/schema"), None)).unwrap();
    assert_eq!(stored["type"], schema_info["type"]);
    let as_json = |v: &Value| serde_json::from_str::<Value>(v.as_str().unwrap()).unwrap();
    assert_eq!(as_json(&stored["data"]), as_json(&schema_info["schema"]), "the stored schema is the rendered one");

    // Producers meet the schema as fmc predicts.
    let big_order = as_json(&schema_info["schema"]);
    let topic_name = spec["name"].as_str().unwrap();
    produce_with_schema(topic_name, &big_order, &json!({"id": "o-1", "cents": 150_000}))
        .unwrap_or_else(|e| panic!("a producer with the provisioned schema: {e}"));
    let mut breaking = big_order.clone();
    breaking["fields"].as_array_mut().unwrap().push(json!({"name": "currency", "type": "string"}));
    let evolution = json!({
        "kind": "evolve", "compatibility": spec["schemaCompatibilityStrategy"], "history": [],
        "current": {"type": "AVRO", "definition": big_order},
        "writer": {"type": "AVRO", "definition": breaking},
    });
    let fixture_dir = project_root().join("fixtures/schema-rules/provisioned.yaml");
    let (fmc, _) = crate::schema_rules::verdict(&fixture_dir, &evolution);
    assert_eq!(fmc, "rejected", "fmc predicts C019 for a required field added under BACKWARD");
    let refused = produce_with_schema(topic_name, &breaking, &json!({"id": "o-2", "cents": 1, "currency": "EUR"}));
    let why = refused.expect_err("the broker refuses the producer fmc rejects");
    assert!(why.contains("Incompatible") || why.contains("incompatible"), "{why}");
}
