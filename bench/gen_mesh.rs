//! Generates a realistic Function Mesh of N functions as operator resources, for
//! benchmarks: mixed runtimes (java, python, go), fan-in and fan-out topics, Avro
//! and JSON schema declarations, autoscaling, secrets, log topics.
//!
//! usage: cargo run --release --example gen-mesh -- N > mesh.yaml

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

#[allow(dead_code, reason = "the benches include this file for `mesh` only")]
fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).expect("usage: gen-mesh N");
    print!("{}", mesh(n));
}
