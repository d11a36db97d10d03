//! Generates a realistic Function Mesh of N functions, for benchmarks: mixed
//! runtimes (java, python, go), fan-in and fan-out topics, Avro and JSON schema
//! declarations, autoscaling, secrets, log topics. As operator resources, or
//! (`--dsl`) as one native `Mesh` whose functions form a fan-out tree of typed
//! topics, so the type checker has every edge to check.
//!
//! usage: cargo run --release --example gen-mesh -- [--dsl] N > mesh.yaml

use std::fmt::Write;

fn function(i: usize) -> String {
    let runtime = match i % 3 {
        0 => "  java:\n    jar: /pulsar/functions/enrich.jar\n    log:\n      level: info\n".to_string(),
        1 => "  python:\n    py: /pulsar/functions/enrich.py\n".to_string(),
        _ => "  golang:\n    go: /pulsar/functions/enrich\n".to_string(),
    };
    let class = if i % 3 == 2 { String::new() } else { format!("  className: com.example.Enrich{i}\n") };
    // Fan-in: two producers per topic; fan-out: each topic read by two functions.
    let inputs = format!("    - persistent://shop/orders/t{}\n    - persistent://shop/orders/t{}\n", i / 2, i / 2 + 1);
    let schema = if i.is_multiple_of(2) { "AVRO" } else { "JSON" };
    let scaling = if i.is_multiple_of(4) {
        "  maxReplicas: 6\n  pod:\n    builtinAutoscaler:\n    - AverageUtilizationCPUPercent80\n    - AverageUtilizationMemoryPercent80\n"
    } else {
        ""
    };
    format!(
        "---\napiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata:\n  name: enrich-{i}\n  namespace: streaming\nspec:\n{class}  tenant: shop\n  namespace: orders\n  replicas: {}\n{scaling}  input:\n    topics:\n{inputs}    customSchemaSources:\n      persistent://shop/orders/t{}: {schema}\n  output:\n    topic: persistent://shop/orders/out{i}\n    sinkSchemaType: {schema}\n  logTopic: persistent://shop/orders/logs\n  secretsMap:\n    API_TOKEN:\n      path: enrich-credentials\n      key: token\n  resources:\n    requests:\n      cpu: 200m\n      memory: 512Mi\n    limits:\n      cpu: 400m\n      memory: 1Gi\n  funcConfig:\n    region: eu-{}\n    batch: {}\n  pulsar:\n    pulsarConfig: pulsar-cluster\n{runtime}",
        1 + i % 3,
        i / 2,
        i % 5,
        i % 100
    )
}

/// The whole mesh: a ConfigMap, a ClusterProvided declaration and N functions.
pub fn mesh(n: usize) -> String {
    let mut out = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pulsar-cluster\n  namespace: streaming\ndata:\n  webServiceURL: http://pulsar-broker.pulsar.svc:8080\n  brokerServiceURL: pulsar://pulsar-broker.pulsar.svc:6650\n---\napiVersion: fmc.functionmesh.io/v1alpha1\nkind: ClusterProvided\nmetadata:\n  name: cluster\nspec:\n  secrets: [streaming/enrich-credentials]\n",
    );
    for i in 0..n {
        let _ = write!(out, "{}", function(i));
    }
    out
}

const DSL_HEAD: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: pulsar-cluster
  namespace: streaming
data:
  webServiceURL: http://pulsar-broker.pulsar.svc:8080
  brokerServiceURL: pulsar://pulsar-broker.pulsar.svc:6650
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: ClusterProvided
metadata:
  name: cluster
spec:
  secrets: [streaming/enrich-credentials]
---
apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata:
  name: bench
  namespace: streaming
spec:
  defaults: {tenant: shop, namespace: orders, cluster: prod}
  clusters:
    prod: {pulsarConfig: pulsar-cluster}
  schemas:
    OrderV1:
      type: AVRO
      definition:
        type: record
        name: Order
        namespace: shop
        fields:
          - {name: id, type: string}
          - {name: cents, type: long}
          - {name: status, type: {type: enum, name: Status, symbols: [NEW, PAID, SHIPPED]}}
    OrderV2:
      type: AVRO
      definition:
        type: record
        name: Order
        namespace: shop
        fields:
          - {name: id, type: string}
          - {name: cents, type: long}
          - {name: status, type: {type: enum, name: Status, symbols: [NEW, PAID, SHIPPED]}}
          - {name: currency, type: string, default: EUR}
    Event:
      type: JSON
      definition:
        type: record
        name: Event
        fields:
          - {name: id, type: string}
          - {name: at, type: long}
";

/// The native form: function `i` reads topic `s{(i-1)/2}` (function 0 reads the
/// external `ingress`) and writes `s{i}`: each topic fans out to two readers.
pub fn dsl_mesh(n: usize) -> String {
    let mut out = String::from(DSL_HEAD);
    out.push_str("  topics:\n    ingress: {schema: OrderV1, external: true}\n    logs: {external: true}\n");
    for i in 0..n {
        let schema = if i % 5 == 4 { "Event" } else { "OrderV2" };
        let _ = writeln!(out, "    s{i}: {{schema: {schema}, external: true, compatibility: BACKWARD}}");
    }
    out.push_str("  functions:\n");
    for i in 0..n {
        let (runtime, file) = match i % 3 {
            0 => ("java", "/pulsar/functions/enrich.jar"),
            1 => ("python", "/pulsar/functions/enrich.py"),
            _ => ("go", "/pulsar/functions/enrich"),
        };
        let input = if i == 0 { "ingress".to_string() } else { format!("s{}", (i - 1) / 2) };
        // Readers of Event topics read them as Event; the others read OrderV2.
        let parent_event = i > 0 && ((i - 1) / 2) % 5 == 4;
        let read = if parent_event { format!("{{topic: {input}, schema: Event}}") } else { input };
        let class = if i % 3 == 2 { String::new() } else { format!("      className: com.example.Enrich{i}\n") };
        let scaling = if i.is_multiple_of(4) {
            "      autoscaling: {maxParallelism: 6, cpuPercent: 80, memoryPercent: 80}\n"
        } else {
            ""
        };
        let _ = write!(
            out,
            "    enrich-{i}:\n      runtime: {runtime}\n      file: {file}\n{class}      inputs: [{read}]\n      output: s{i}\n      parallelism: {}\n{scaling}      logTopic: logs\n      secrets:\n        API_TOKEN: {{secret: enrich-credentials, key: token}}\n      resources:\n        requests: {{cpu: 200m, memory: 512Mi}}\n        limits: {{cpu: 400m, memory: 1Gi}}\n      config: {{region: eu-{}, batch: {}}}\n",
            1 + i % 3,
            i % 5,
            i % 100
        );
    }
    out
}

#[allow(dead_code, reason = "the benches include this file for `mesh` and `dsl_mesh` only")]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dsl = args.iter().any(|a| a == "--dsl");
    let n: usize = args.iter().find_map(|a| a.parse().ok()).expect("usage: gen-mesh [--dsl] N");
    print!("{}", if dsl { dsl_mesh(n) } else { mesh(n) });
}
