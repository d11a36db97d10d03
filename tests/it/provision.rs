//! `--provision resources-operator` and the objects around workloads
//! (docs/provisioning.md): what a mesh provisions, field by field; that every
//! rendered custom resource validates against its official CRD (the
//! pulsar-resources-operator, KEDA and Prometheus Operator corpora beside the
//! project, a conformance group); ordering through a real `kubectl kustomize`;
//! and the refusals.

use crate::support::*;
use fmc::options::{BuildOptions, MonitorKind, Provisioner};
use fmc::pipeline::{CompileOutput, compile};
use serde_json::{Value, json};
use std::process::Command;

/// A mesh that uses every provisioning feature: two clusters (token and
/// OAuth2), a geo-replicated topic, a non-persistent and a partitioned one,
/// every schema form, dead-letter and log topics, tenant and namespace
/// declarations, and workloads with every object around them.
const MESH: &str = r#"
apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: shop, namespace: streams}
spec:
  defaults: {tenant: shop, namespace: orders, cluster: east, disruptionBudget: true, monitor: pod}
  clusters:
    east:
      brokerServiceUrl: pulsar://pulsar.east:6650
      webServiceUrl: http://pulsar.east:8080
      clusterName: east
      auth: {token: {secret: east-token, key: token}}
    west:
      brokerServiceUrl: pulsar+ssl://pulsar.west:6651
      webServiceUrl: https://pulsar.west:8443
      clusterName: west
      tls: {hostnameVerification: true}
      auth:
        oauth2:
          issuerUrl: https://auth.example.com/
          audience: urn:pulsar:west
          clientId: shop-client
          privateKey: {secret: west-oauth2, key: credentials.json}
  tenants:
    shop: {adminRoles: [shop-admin]}
    public: {provision: false}
  namespaces:
    shop/orders:
      lifecyclePolicy: CleanUpAfterDeletion
      policies: {retentionTime: 7d, retentionSize: 10Gi, messageTTL: 1d, bundles: 8, deduplication: true,
                 schemaCompatibilityStrategy: BACKWARD,
                 backlogQuotaLimitSize: 1Gi, backlogQuotaRetentionPolicy: producer_request_hold}
  schemas:
    Order:
      type: AVRO
      definition: {type: record, name: Order, namespace: shop, fields: [{name: id, type: string}, {name: cents, type: long, default: 0}]}
    Audit: {type: JSON, definition: '{"type":"record","name":"Audit","fields":[{"name":"id","type":"string"}]}'}
    Id: {type: STRING}
    Raw: {type: BYTES}
    Keyed: {type: KEY_VALUE, key: Id, value: Order, encoding: SEPARATED}
  topics:
    orders: {schema: Order, external: true}
    checked:
      schema: Order
      partitions: 4
      compatibility: FORWARD_TRANSITIVE
      lifecyclePolicy: CleanUpAfterDeletion
      policies: {retentionTime: "-1", retentionSize: "-1", maxProducers: 2, maxUnAckedMessagesPerConsumer: 1000,
                 properties: {owner: checkout}}
    keyed: {schema: Keyed, replicationClusters: [east, west]}
    audit: {schema: Audit, persistent: false}
    dead: {schema: Order}
    logs: {schema: Id, tenant: public, namespace: default}
    blobs: {schema: Raw, external: false}
  functions:
    check:
      runtime: native
      jq: '.'
      parallelism: 2
      inputs: [orders]
      output: checked
      retries: {max: 3, deadLetterTopic: dead}
      autoscaling: {maxParallelism: 10, backlog: {msgBacklogThreshold: 250, activationMsgBacklogThreshold: 5}}
    key:
      runtime: native
      jq: '.'
      inputs: [checked]
      output: keyed
      monitor: service
      disruptionBudget: {maxUnavailable: 25%}
      parallelism: 4
    copy:
      runtime: java
      file: /pulsar/functions/copy.jar
      className: com.example.Copy
      logTopic: logs
      cluster: west
      inputs: [keyed]
      output: audit
      monitor: none
      disruptionBudget: false
      parallelism: 3
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: ClusterProvided
metadata: {name: cluster}
spec: {secrets: [streams/east-token, streams/west-oauth2]}
"#;

fn provisioned(text: &str) -> CompileOutput {
    let options = BuildOptions { provision: Some(Provisioner::ResourcesOperator), ..BuildOptions::default() };
    compile(&sources_from_text("mesh.yaml", text), &options)
}

fn of_kind<'a>(out: &'a CompileOutput, kind: &str) -> Vec<(&'a str, Value)> {
    out.manifests.iter().filter(|m| m.kind == kind).map(|m| (m.name.as_str(), m.value())).collect()
}

fn topic<'a>(topics: &'a [(&str, Value)], address: &str) -> &'a Value {
    let found = topics.iter().find(|(_, t)| t["spec"]["name"] == address);
    &found.unwrap_or_else(|| panic!("no PulsarTopic for {address}")).1
}

#[test]
fn a_mesh_provisions_its_clusters_tenants_namespaces_and_topics() {
    let out = provisioned(MESH);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);

    let connections = of_kind(&out, "PulsarConnection");
    let names: Vec<&str> = connections.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["shop-east", "shop-west"]);
    let east = &connections[0].1["spec"];
    assert_eq!(east["adminServiceURL"], "http://pulsar.east:8080");
    assert_eq!(east["brokerServiceURL"], "pulsar://pulsar.east:6650");
    assert_eq!(east["clusterName"], "east");
    assert_eq!(east["authentication"], json!({"token": {"secretRef": {"name": "east-token", "key": "token"}}}));
    let west = &connections[1].1["spec"];
    assert_eq!(west["adminServiceSecureURL"], "https://pulsar.west:8443");
    assert_eq!(west["brokerServiceSecureURL"], "pulsar+ssl://pulsar.west:6651");
    assert_eq!(west["tlsEnableHostnameVerification"], true);
    let oauth2 = &west["authentication"]["oauth2"];
    assert_eq!(oauth2["clientID"], "shop-client");
    assert_eq!(oauth2["issuerEndpoint"], "https://auth.example.com/");
    assert_eq!(oauth2["key"], json!({"secretRef": {"name": "west-oauth2", "key": "credentials.json"}}));
    assert!(!out.yaml().contains("value:"), "credentials only as Secret references");

    // `public` is declared `provision: false`: no tenant object for it, only for `shop` on each cluster.
    let tenants = of_kind(&out, "PulsarTenant");
    assert!(tenants.iter().all(|(_, t)| t["spec"]["name"] == "shop"), "{tenants:?}");
    assert_eq!(tenants.len(), 2, "shop on east and on west (the replicated topic)");
    let shop = &tenants[0].1["spec"];
    assert_eq!(shop["adminRoles"], json!(["shop-admin"]));
    assert_eq!(shop["allowedClusters"], json!(["east", "west"]));
    assert_eq!(shop["lifecyclePolicy"], "KeepAfterDeletion");

    let namespaces = of_kind(&out, "PulsarNamespace");
    let orders = namespaces.iter().find(|(n, _)| *n == "shop-east-shop-orders").map(|(_, v)| &v["spec"]).unwrap();
    assert_eq!(orders["name"], "shop/orders");
    assert_eq!(orders["connectionRef"]["name"], "shop-east");
    assert_eq!(orders["lifecyclePolicy"], "CleanUpAfterDeletion", "the mesh asked for it");
    assert_eq!(
        (&orders["retentionTime"], &orders["retentionSize"], &orders["messageTTL"]),
        (&json!("7d"), &json!("10Gi"), &json!("1d"))
    );
    assert_eq!((&orders["bundles"], &orders["deduplication"]), (&json!(8), &json!(true)));
    assert_eq!(orders["schemaCompatibilityStrategy"], "BACKWARD");
    assert_eq!(orders["backlogQuotaRetentionPolicy"], "producer_request_hold");
    assert!(namespaces.iter().any(|(_, n)| n["spec"]["name"] == "public/default"), "the log topic's namespace");

    let topics = of_kind(&out, "PulsarTopic");
    assert!(!topics.iter().any(|(_, t)| t["spec"]["name"] == "persistent://shop/orders/orders"), "external: not ours");
    let checked = &topic(&topics, "persistent://shop/orders/checked")["spec"];
    assert_eq!((&checked["partitions"], &checked["persistent"]), (&json!(4), &json!(true)));
    assert_eq!(checked["schemaCompatibilityStrategy"], "FORWARD_TRANSITIVE");
    assert_eq!(checked["lifecyclePolicy"], "CleanUpAfterDeletion");
    assert_eq!((&checked["retentionTime"], &checked["retentionSize"]), (&json!("-1"), &json!("-1")));
    assert_eq!((&checked["maxProducers"], &checked["maxUnAckedMessagesPerConsumer"]), (&json!(2), &json!(1000)));
    assert_eq!(checked["properties"], json!({"owner": "checkout"}));
    assert_eq!(checked["schemaInfo"]["type"], "AVRO");
    let avro: Value = serde_json::from_str(checked["schemaInfo"]["schema"].as_str().unwrap()).unwrap();
    assert_eq!(
        avro,
        json!({"type": "record", "name": "Order", "namespace": "shop", "fields": [{"name": "id", "type": "string"}, {"name": "cents", "type": "long", "default": 0}]}),
        "exactly the checked definition"
    );

    // Dead-letter and log topics are provisioned like any other, with their schemas.
    let dead = &topic(&topics, "persistent://shop/orders/dead")["spec"];
    assert_eq!((&dead["schemaInfo"]["type"], &dead["lifecyclePolicy"]), (&json!("AVRO"), &json!("KeepAfterDeletion")));
    assert_eq!(dead["schemaCompatibilityStrategy"], "FULL", "what fmc checked when none is declared");
    let logs = &topic(&topics, "persistent://public/default/logs")["spec"];
    assert_eq!(logs["schemaInfo"], json!({"type": "STRING"}));

    let blobs = &topic(&topics, "persistent://shop/orders/blobs")["spec"];
    assert!(blobs.get("schemaInfo").is_none(), "Pulsar's admin API refuses a BYTES schema upload");

    let audit = &topic(&topics, "non-persistent://shop/orders/audit")["spec"];
    assert_eq!(audit["persistent"], false);
    assert_eq!(audit["connectionRef"]["name"], "shop-west", "the topic lives where its components run");
    assert_eq!(audit["schemaInfo"]["type"], "JSON");
    assert_eq!(
        audit["schemaInfo"]["schema"],
        r#"{"type":"record","name":"Audit","fields":[{"name":"id","type":"string"}]}"#
    );

    // KEY_VALUE as Pulsar's admin API takes it: both parts' schemas, the encoding in the properties.
    let keyed: Vec<&Value> =
        topics.iter().filter(|(_, t)| t["spec"]["name"] == "persistent://shop/orders/keyed").map(|(_, t)| t).collect();
    assert_eq!(keyed.len(), 2, "one per replication cluster");
    let info = &keyed[0]["spec"]["schemaInfo"];
    assert_eq!(info["type"], "KEY_VALUE");
    let data: Value = serde_json::from_str(info["schema"].as_str().unwrap()).unwrap();
    assert_eq!(data["key"], "", "a primitive key has no schema data");
    assert_eq!(data["value"]["name"], "Order");
    assert_eq!(info["properties"]["kv.encoding.type"], "SEPARATED");
    let text = serde_json::to_string(info).unwrap();
    assert!(
        info["schema"].as_str().unwrap().starts_with(r#"{"key":"","value":{"type":"record","name":"Order""#),
        "the value's definition as an AVRO topic holds it: {text}"
    );
    assert_eq!(
        (&info["properties"]["key.schema.type"], &info["properties"]["value.schema.type"]),
        (&json!("STRING"), &json!("AVRO"))
    );

    // Geo-replication: one PulsarGeoReplication per direction, referenced by the topic on its source.
    let geo = of_kind(&out, "PulsarGeoReplication");
    let names: Vec<&str> = geo.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["shop-geo-east-to-west", "shop-geo-west-to-east"]);
    assert_eq!(geo[0].1["spec"]["connectionRef"]["name"], "shop-east");
    assert_eq!(geo[0].1["spec"]["destinationConnectionRef"]["name"], "shop-west");
    let refs: Vec<&Value> = keyed.iter().map(|t| &t["spec"]["geoReplicationRefs"]).collect();
    assert!(
        refs.contains(&&json!([{"name": "shop-geo-east-to-west"}]))
            && refs.contains(&&json!([{"name": "shop-geo-west-to-east"}])),
        "{refs:?}"
    );
}

#[test]
fn provisioning_comes_first_in_sync_waves_and_in_emission_order() {
    let out = provisioned(MESH);
    let wave = |kind: &str| -> i32 {
        let m = out.manifests.iter().find(|m| m.kind == kind).unwrap_or_else(|| panic!("{kind}"));
        m.value()["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"].as_str().unwrap().parse().unwrap()
    };
    let waves: Vec<i32> = ["PulsarConnection", "PulsarTenant", "PulsarNamespace", "PulsarTopic"].map(wave).to_vec();
    assert!(
        waves.windows(2).all(|w| w[0] < w[1]) && waves[3] < 0,
        "each after what it needs, all before wave 0: {waves:?}"
    );
    let position = |kind: &str| out.manifests.iter().position(|m| m.kind == kind).unwrap();
    assert!(position("PulsarTopic") < position("StatefulSet"), "provisioning before the workloads");
    let sts = object(&out, "StatefulSet", "check-function");
    assert!(sts["metadata"]["annotations"].get("argocd.argoproj.io/sync-wave").is_none(), "workloads stay in wave 0");
}

#[test]
fn without_the_flag_nothing_is_provisioned_and_deleting_keeps_data_by_default() {
    let plain = compile(&sources_from_text("mesh.yaml", MESH), &BuildOptions::default());
    assert!(!plain.has_errors());
    assert!(!plain.manifests.iter().any(|m| m.api_version.starts_with("resource.streamnative.io")));
    let out = provisioned(MESH);
    for m in out.manifests.iter().filter(|m| m.api_version.starts_with("resource.streamnative.io")) {
        let v = m.value();
        let explicit = ["checked"].iter().any(|t| v["spec"]["name"].as_str().is_some_and(|n| n.ends_with(t)))
            || v["spec"]["name"] == "shop/orders";
        if m.kind != "PulsarConnection" && !explicit {
            assert_eq!(v["spec"]["lifecyclePolicy"], "KeepAfterDeletion", "{} {}", m.kind, m.name);
        }
    }
}

#[test]
fn workloads_get_disruption_budgets_monitors_and_backlog_autoscaling() {
    let out = provisioned(MESH);
    // check: parallelism 2, KEDA up to 10; key: 4 replicas with 25%; copy opted out.
    let pdb = object(&out, "PodDisruptionBudget", "check-function");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["selector"]["matchLabels"]["compute.functionmesh.io/name"], "check");
    assert_eq!(object(&out, "PodDisruptionBudget", "key-function")["spec"]["maxUnavailable"], "25%");
    assert!(!out.manifests.iter().any(|m| m.kind == "PodDisruptionBudget" && m.name == "copy-function"));

    let pod_monitor = object(&out, "PodMonitor", "check-function");
    let endpoint = &pod_monitor["spec"]["podMetricsEndpoints"][0];
    assert_eq!((&endpoint["port"], &endpoint["honorLabels"]), (&json!("http-metrics"), &json!(true)));
    let targets: Vec<&str> =
        endpoint["relabelings"].as_array().unwrap().iter().map(|r| r["targetLabel"].as_str().unwrap()).collect();
    assert_eq!(targets, ["kubernetes_namespace", "kubernetes_pod_name"]);
    let service_monitor = object(&out, "ServiceMonitor", "key-function");
    assert_eq!(service_monitor["spec"]["endpoints"][0]["port"], "http-metrics");
    assert!(!out.manifests.iter().any(|m| m.kind.ends_with("Monitor") && m.name == "copy-function"), "monitor: none");

    let scaled = object(&out, "ScaledObject", "check-function");
    assert_eq!(
        scaled["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "check-function"})
    );
    assert_eq!((&scaled["spec"]["minReplicaCount"], &scaled["spec"]["maxReplicaCount"]), (&json!(2), &json!(10)));
    let trigger = &scaled["spec"]["triggers"][0];
    assert_eq!(trigger["type"], "pulsar");
    let metadata = &trigger["metadata"];
    assert_eq!(metadata["adminURL"], "http://pulsar.east:8080");
    assert_eq!(metadata["topic"], "persistent://shop/orders/orders");
    assert_eq!(metadata["subscription"], "shop/orders/check", "the subscription the runner uses");
    let config = object(&out, "ConfigMap", "check-function-runner");
    let runner: Value = serde_json::from_str(config["data"]["runner.json"].as_str().unwrap()).unwrap();
    assert!(runner["subscription"].is_null(), "the runner's default, `tenant/namespace/name`");
    assert_eq!(
        (&metadata["msgBacklogThreshold"], &metadata["activationMsgBacklogThreshold"]),
        (&json!("250"), &json!("5"))
    );
    assert_eq!((&metadata["isPartitionedTopic"], &metadata["authModes"]), (&json!("false"), &json!("bearer")));
    assert_eq!(trigger["authenticationRef"]["name"], "check-function-pulsar");
    let auth = object(&out, "TriggerAuthentication", "check-function-pulsar");
    assert_eq!(
        auth["spec"]["secretTargetRef"],
        json!([{"parameter": "bearerToken", "name": "east-token", "key": "token"}])
    );
    assert!(!out.manifests.iter().any(|m| m.kind == "HorizontalPodAutoscaler"), "KEDA makes the HPA");
}

#[test]
fn operator_resources_opt_in_by_flag_and_annotation() {
    let path = project_root().join("examples/operator/java-function.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let options = BuildOptions { disruption_budgets: true, monitor: Some(MonitorKind::Pod), ..BuildOptions::default() };
    let out = compile(&sources_from_text("f.yaml", &text), &options);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    assert!(out.manifests.iter().any(|m| m.kind == "PodMonitor"));
    let replicas = out.manifests.iter().find(|m| m.kind == "StatefulSet").unwrap().value()["spec"]["replicas"].as_i64();
    let hpa = out.manifests.iter().any(|m| m.kind == "HorizontalPodAutoscaler");
    assert_eq!(out.manifests.iter().any(|m| m.kind == "PodDisruptionBudget"), replicas > Some(1) || hpa);
    // Per resource, an annotation overrides the flags; a value fmc does not take is refused.
    let annotated = text.replacen("metadata:\n", "metadata:\n  annotations: {fmc.functionmesh.io/monitor: none, fmc.functionmesh.io/disruption-budget: \"false\"}\n", 1);
    let out = compile(&sources_from_text("f.yaml", &annotated), &options);
    assert!(!out.manifests.iter().any(|m| m.kind == "PodMonitor" || m.kind == "PodDisruptionBudget"), "opted out");
    let bad = text.replacen("metadata:\n", "metadata:\n  annotations: {fmc.functionmesh.io/monitor: grafana}\n", 1);
    let out = compile(&sources_from_text("f.yaml", &bad), &options);
    assert!(out.diagnostics.iter().any(|d| d.code == "P008" && d.message.contains("fmc.functionmesh.io/monitor")));
}

#[test]
fn backlog_autoscaling_refuses_a_second_autoscaler_from_the_escape_hatch() {
    let text = MESH.replace(
        "      autoscaling: {maxParallelism: 10,",
        "      spec: {maxReplicas: 4}\n      autoscaling: {maxParallelism: 10,",
    );
    let out = provisioned(&text);
    let d = out.diagnostics.iter().find(|d| d.code == "R017").expect("R017");
    assert!(d.message.contains("spec.maxReplicas"), "{}", d.message);
}

#[test]
fn policy_values_the_operator_refuses_are_refused_here() {
    let text = MESH.replace("retentionTime: 7d", "retentionTime: 7days").replace(
        "backlogQuotaLimitSize: 1Gi, backlogQuotaRetentionPolicy: producer_request_hold",
        "backlogQuotaLimitSize: 1Gi",
    );
    let out = provisioned(&text);
    let messages: Vec<&str> = out.diagnostics.iter().filter(|d| d.code == "P008").map(|d| d.message.as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("policies.retentionTime")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("backlogQuotaLimitSize")), "{messages:?}");
    assert!(out.manifests.is_empty());
}

#[test]
fn protobuf_topics_in_the_java_clients_form_are_provisioned_without_a_schema_and_say_so() {
    let out = build_file(
        &project_root().join("fixtures/modes/mesh.yaml"),
        &BuildOptions { provision: Some(Provisioner::ResourcesOperator), ..BuildOptions::default() },
    );
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let text = MESH.replace("    dead: {schema: Order}", "    dead: {schema: Order}\n    raw: {schema: Pb}").replace(
        "    Id: {type: STRING}",
        "    Id: {type: STRING}\n    Pb: {type: PROTOBUF, file: p.proto, message: p.M}",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.proto"), "syntax = \"proto3\";\npackage p;\nmessage M { string id = 1; }\n")
        .unwrap();
    std::fs::write(dir.path().join("mesh.yaml"), &text).unwrap();
    let out = build_file(
        &dir.path().join("mesh.yaml"),
        &BuildOptions { provision: Some(Provisioner::ResourcesOperator), ..BuildOptions::default() },
    );
    let raw = out
        .manifests
        .iter()
        .find(|m| m.kind == "PulsarTopic" && m.value()["spec"]["name"] == "persistent://shop/orders/raw");
    let raw = raw.expect("the topic is provisioned").value();
    assert!(raw["spec"].get("schemaInfo").is_none());
    assert_eq!(raw["spec"]["schemaCompatibilityStrategy"], "FULL");
    assert!(out.diagnostics.iter().any(|d| d.code == "C028" && d.message.contains("`Pb`")));
}

#[test]
fn an_output_tree_keeps_provisioning_before_workloads_through_kubectl_kustomize() {
    let Some(kubectl) = tool("kubectl") else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mesh.yaml"), MESH).unwrap();
    let tree = dir.path().join("deploy");
    let out = Command::new(fmc_bin())
        .args(["build", "--provision", "resources-operator", "-o"])
        .arg(&tree)
        .arg(dir.path().join("mesh.yaml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let built = Command::new(kubectl).arg("kustomize").arg(&tree).output().unwrap();
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let text = String::from_utf8(built.stdout).unwrap();
    let kinds: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("kind: ")).collect();
    let first_workload = kinds.iter().position(|k| *k == "StatefulSet").unwrap();
    let last_topic = kinds.iter().rposition(|k| *k == "PulsarTopic").unwrap();
    assert!(last_topic < first_workload, "kustomize keeps fmc's order: {kinds:?}");
}

/// Every custom resource fmc renders here, validated by check-jsonschema
/// against the official CRD of its kind: the pulsar-resources-operator's,
/// KEDA's and the Prometheus Operator's, as they are beside the project.
#[test]
fn every_rendered_custom_resource_validates_against_its_official_crd() {
    if !conformance() {
        return;
    }
    let cj = project_root().join(".venv/bin/check-jsonschema");
    if !cj.exists() {
        assert!(std::env::var_os("CI").is_none(), "check-jsonschema missing (run scripts/setup.sh)");
        return;
    }
    let crds = [
        ("PulsarConnection", "pulsar-resources-operator/crds/resource.streamnative.io_pulsarconnections.yaml"),
        ("PulsarTenant", "pulsar-resources-operator/crds/resource.streamnative.io_pulsartenants.yaml"),
        ("PulsarNamespace", "pulsar-resources-operator/crds/resource.streamnative.io_pulsarnamespaces.yaml"),
        ("PulsarTopic", "pulsar-resources-operator/crds/resource.streamnative.io_pulsartopics.yaml"),
        ("PulsarGeoReplication", "pulsar-resources-operator/crds/resource.streamnative.io_pulsargeoreplications.yaml"),
        ("ScaledObject", "keda/crds/keda.sh_scaledobjects.yaml"),
        ("TriggerAuthentication", "keda/crds/keda.sh_triggerauthentications.yaml"),
        ("PodMonitor", "prometheus-operator/crds/monitoring.coreos.com_podmonitors.yaml"),
        ("ServiceMonitor", "prometheus-operator/crds/monitoring.coreos.com_servicemonitors.yaml"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        provision: Some(Provisioner::ResourcesOperator),
        disruption_budgets: true,
        monitor: Some(MonitorKind::Pod),
        ..BuildOptions::default()
    };
    let mut outputs = vec![provisioned(MESH)];
    for (_, path) in example_files().into_iter().filter(|(rel, _)| rel.starts_with("examples/dsl/")) {
        outputs.push(build_file(&path, &options));
    }
    outputs.push(build_file(&project_root().join("fixtures/modes/mesh.yaml"), &options));
    for (kind, rel) in crds {
        let schema = crd_json_schema(dir.path(), &shared_root().join("corpus").join(rel));
        let mut files = Vec::new();
        for (i, out) in outputs.iter().enumerate() {
            assert!(!out.has_errors(), "{:#?}", out.diagnostics);
            for (j, m) in out.manifests.iter().filter(|m| m.kind == kind).enumerate() {
                let file = dir.path().join(format!("{kind}-{i}-{j}.yaml"));
                std::fs::write(&file, &m.yaml).unwrap();
                files.push(file);
            }
        }
        assert!(!files.is_empty(), "nothing rendered a {kind}");
        let out = Command::new(&cj).arg("--schemafile").arg(&schema).args(&files).output().unwrap();
        assert!(
            out.status.success(),
            "{kind}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// PodDisruptionBudgets are core objects: kubernetes-validate (strict, 1.32) checks them.
#[test]
fn disruption_budgets_pass_kubernetes_validate() {
    let kv = project_root().join(".venv/bin/kubernetes-validate");
    if !kv.exists() {
        assert!(std::env::var_os("CI").is_none(), "kubernetes-validate missing (run scripts/setup.sh)");
        return;
    }
    let out = provisioned(MESH);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, m) in out.manifests.iter().filter(|m| m.kind == "PodDisruptionBudget").enumerate() {
        let file = dir.path().join(format!("pdb-{i}.yaml"));
        std::fs::write(&file, &m.yaml).unwrap();
        files.push(file);
    }
    assert_eq!(files.len(), 2);
    let run = Command::new(kv).args(["--strict", "--quiet", "-k", "1.32.0"]).args(&files).output().unwrap();
    assert!(run.status.success(), "{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
}

#[test]
fn the_operator_target_keeps_what_fmc_renders_around_the_operators_workloads() {
    let path = project_root().join("examples/operator/java-function.yaml");
    let options = BuildOptions {
        target_operator: true,
        disruption_budgets: true,
        monitor: Some(MonitorKind::Service),
        ..BuildOptions::default()
    };
    let out = build_file(&path, &options);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let kinds: Vec<&str> = out.manifests.iter().map(|m| m.kind.as_str()).collect();
    assert!(kinds.contains(&"Function") && kinds.contains(&"ServiceMonitor"), "{kinds:?}");
    let monitor = out.manifests.iter().find(|m| m.kind == "ServiceMonitor").unwrap().value();
    let function = out.manifests.iter().find(|m| m.kind == "Function").unwrap().value();
    let name = function["metadata"]["name"].as_str().unwrap();
    assert_eq!(monitor["metadata"]["name"], format!("{name}-function"), "the operator's workload name");
}

#[test]
fn an_environment_patches_tenants_and_namespaces_like_any_section() {
    let text = MESH.replace(
        "---\napiVersion: fmc.functionmesh.io/v1alpha1\nkind: ClusterProvided",
        "  environments:\n    prod:\n      namespaces:\n        shop/orders: {policies: {retentionTime: 30d}}\n      tenants:\n        shop: {adminRoles: [prod-admin]}\n---\napiVersion: fmc.functionmesh.io/v1alpha1\nkind: ClusterProvided",
    );
    let options = BuildOptions {
        provision: Some(Provisioner::ResourcesOperator),
        environment: Some("prod".into()),
        ..BuildOptions::default()
    };
    let out = compile(&sources_from_text("mesh.yaml", &text), &options);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let namespace = object(&out, "PulsarNamespace", "shop-east-shop-orders");
    assert_eq!(namespace["spec"]["retentionTime"], "30d");
    assert_eq!(namespace["spec"]["retentionSize"], "10Gi", "a merge patch keeps the rest");
    assert_eq!(object(&out, "PulsarTenant", "shop-east-shop")["spec"]["adminRoles"], json!(["prod-admin"]));
}

/// The PROTOBUF_NATIVE descriptor fmc writes is protoc's own: both decoded by
/// protoc into text form must be equal, apart from `json_name`, which protoc
/// adds to a descriptor set but the generated code Pulsar's Java client reads
/// the descriptor from does not hold.
#[test]
fn protobuf_native_descriptors_are_the_ones_protoc_compiles() {
    let Some(protoc) = tool("protoc") else { return };
    let include = ["/usr/include", "/usr/local/include"]
        .into_iter()
        .find(|d| std::path::Path::new(d).join("google/protobuf/descriptor.proto").exists());
    let Some(include) = include else {
        assert!(std::env::var_os("CI").is_none(), "descriptor.proto not found (protobuf-compiler installs it)");
        return;
    };
    let decode = |set: &[u8]| -> String {
        let mut child = Command::new(&protoc)
            .args(["--decode=google.protobuf.FileDescriptorSet", "-I", include, "google/protobuf/descriptor.proto"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(set).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter(|l| !l.trim_start().starts_with("json_name:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let files = [
        "fixtures/provision/rich.proto",
        "fixtures/provision/legacy.proto",
        "fixtures/modes/schemas/purchase.proto",
        "examples/dsl/clickstream-analytics/schemas/purchase.proto",
    ];
    let dir = tempfile::tempdir().unwrap();
    for rel in files {
        let path = project_root().join(rel);
        let name = path.file_name().unwrap().to_str().unwrap();
        let want = dir.path().join(format!("{name}.pb"));
        let out = Command::new(&protoc)
            .arg(format!("--descriptor_set_out={}", want.display()))
            .arg("-I")
            .arg(path.parent().unwrap())
            .arg(name)
            .output()
            .unwrap();
        assert!(out.status.success(), "{rel}: {}", String::from_utf8_lossy(&out.stderr));
        let parsed = fmc::types::proto::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let ours = fmc::types::descriptor::file_descriptor_set(&parsed, name);
        assert_eq!(decode(&ours), decode(&std::fs::read(&want).unwrap()), "{rel}");
    }
}

#[test]
fn protobuf_native_topics_hold_the_descriptor_set_pulsar_stores() {
    let options = BuildOptions { provision: Some(Provisioner::ResourcesOperator), ..BuildOptions::default() };
    let out = build_file(&project_root().join("fixtures/modes/mesh.yaml"), &options);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let dir = tempfile::tempdir().unwrap();
    let text = MESH.replace("    dead: {schema: Order}", "    dead: {schema: Order}\n    raw: {schema: Pb}").replace(
        "    Id: {type: STRING}",
        "    Id: {type: STRING}\n    Pb: {type: PROTOBUF_NATIVE, file: protos/rich.proto, message: shop.orders.v2.Order}",
    );
    std::fs::create_dir_all(dir.path().join("protos")).unwrap();
    std::fs::copy(project_root().join("fixtures/provision/rich.proto"), dir.path().join("protos/rich.proto")).unwrap();
    std::fs::write(dir.path().join("mesh.yaml"), &text).unwrap();
    let out = build_file(&dir.path().join("mesh.yaml"), &options);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let raw = out
        .manifests
        .iter()
        .find(|m| m.kind == "PulsarTopic" && m.value()["spec"]["name"] == "persistent://shop/orders/raw");
    let info = raw.expect("the topic is provisioned").value()["spec"]["schemaInfo"].clone();
    assert_eq!(info["type"], "PROTOBUF_NATIVE");
    let data: Value = serde_json::from_str(info["schema"].as_str().unwrap()).unwrap();
    assert_eq!(data["rootMessageTypeName"], "shop.orders.v2.Order");
    assert_eq!(data["rootFileDescriptorName"], "rich.proto");
    use base64::Engine;
    let set = base64::engine::general_purpose::STANDARD.decode(data["fileDescriptorSet"].as_str().unwrap()).unwrap();
    let parsed =
        fmc::types::proto::parse(&std::fs::read_to_string(dir.path().join("protos/rich.proto")).unwrap()).unwrap();
    assert_eq!(set, fmc::types::descriptor::file_descriptor_set(&parsed, "rich.proto"));
    // PROTOBUF (the Java client's Avro form) is still left out, and says why.
    let text = text.replace("Pb: {type: PROTOBUF_NATIVE", "Pb: {type: PROTOBUF");
    std::fs::write(dir.path().join("mesh.yaml"), &text).unwrap();
    let out = build_file(&dir.path().join("mesh.yaml"), &options);
    assert!(out.diagnostics.iter().any(|d| d.code == "C028" && d.message.contains("`Pb`")), "{:#?}", out.diagnostics);
}

#[test]
fn backlog_autoscaling_takes_the_clusters_ca_and_refuses_non_persistent_inputs() {
    let text = MESH.replace(
        "      clusterName: east\n      auth: {token: {secret: east-token, key: token}}",
        "      clusterName: east\n      tls: {caCert: {secret: east-ca, key: ca.crt}}\n      auth: {token: {secret: east-token, key: token}}",
    );
    let out = provisioned(&text);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let auth = object(&out, "TriggerAuthentication", "check-function-pulsar");
    let refs = json!([
        {"parameter": "bearerToken", "name": "east-token", "key": "token"},
        {"parameter": "ca", "name": "east-ca", "key": "ca.crt"},
    ]);
    assert_eq!(auth["spec"]["secretTargetRef"], refs);
    let text = MESH.replace(
        "    orders: {schema: Order, external: true}",
        "    orders: {schema: Order, external: true, persistent: false}",
    );
    let out = provisioned(&text);
    let d = out.diagnostics.iter().find(|d| d.code == "R018").expect("R018");
    assert!(d.message.contains("non-persistent"), "{}", d.message);
}
