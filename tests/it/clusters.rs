//! Topics are addresses on clusters: readers and writers on different Pulsar
//! clusters never pair unless the topic is declared geo-replicated, every
//! graph lint looks at each cluster's topic apart, and `fmc graph` draws the
//! clusters as subgraphs. Native meshes and operator resources alike.

use crate::support::*;
use fmc::emit::graph::{GraphFormat, render as render_graph};
use fmc::options::BuildOptions;
use fmc::pipeline::{CompileOutput, compile};

/// A mesh with clusters `us` and `eu`: `produce` writes `readings` on `us`
/// as `Reading`, `consume` reads it on `eu` as `Other` (which cannot read
/// `Reading`). The topic declares no schema of its own, so only a writer
/// gives the reader something to read. `topic_extra` goes into the
/// `readings` declaration.
fn mesh(topic_extra: &str) -> String {
    format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {{name: geo}}
spec:
  clusters:
    us: {{brokerServiceUrl: 'pulsar://us:6650', webServiceUrl: 'http://us:8080'}}
    eu: {{brokerServiceUrl: 'pulsar://eu:6650', webServiceUrl: 'http://eu:8080'}}
  schemas:
    Reading: {{type: AVRO, definition: {{type: record, name: Reading, fields: [{{name: celsius, type: double}}]}}}}
    Other: {{type: AVRO, definition: {{type: record, name: Reading, fields: [{{name: id, type: string}}]}}}}
  topics:
    input: {{external: true}}
    readings: {{partitions: 1{topic_extra}}}
    out: {{external: true}}
  functions:
    produce:
      runtime: java
      cluster: us
      file: /f/p.jar
      className: P
      inputs: [input]
      output: {{topic: readings, schema: Reading}}
    consume:
      runtime: java
      cluster: eu
      file: /f/c.jar
      className: C
      inputs: [{{topic: readings, schema: Other}}]
      output: out
"
    )
}

fn codes(out: &CompileOutput) -> Vec<&str> {
    out.diagnostics.iter().map(|d| d.code).collect()
}

fn graph(text: &str) -> CompileOutput {
    let sources = sources_from_text("mesh.yaml", text);
    compile(&sources, &BuildOptions { keep_components: true, ..BuildOptions::default() })
}

const READINGS: &str = "persistent://public/default/readings";

#[test]
fn a_reader_on_another_cluster_never_pairs_and_is_told_about_replication() {
    let out = graph(&mesh(""));
    let streams = out.streams.as_ref().expect("graph");
    assert!(streams.pairings.iter().all(|p| p.topic != READINGS), "{:?}", streams.pairings);
    assert!(!codes(&out).contains(&"C018"), "no type error across clusters: {:?}", out.diagnostics);
    let c020 = out.diagnostics.iter().find(|d| d.code == "C020").expect("eu's readings has no writer");
    assert!(c020.message.contains("`readings` on cluster `eu`"), "{}", c020.message);
    let help = c020.help.as_deref().unwrap_or_default();
    assert!(help.contains("written on cluster `us`") && help.contains("replicationClusters"), "{help}");
    let c021 = out.diagnostics.iter().find(|d| d.code == "C021").expect("us's readings has no reader");
    assert!(c021.message.contains("on cluster `us`"), "{}", c021.message);
}

#[test]
fn a_replicated_topic_pairs_its_readers_and_writers_across_its_clusters() {
    let out = graph(&mesh(", replicationClusters: [us, eu]"));
    let streams = out.streams.as_ref().expect("graph");
    let pairs: Vec<_> = streams.pairings.iter().filter(|p| p.topic == READINGS).collect();
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    assert!(matches!(pairs[0].verdict, fmc::types::Verdict::Incompatible(_)));
    let c018 = out.diagnostics.iter().find(|d| d.code == "C018").expect("the replicated pair is checked");
    assert!(c018.message.contains("`readings` on cluster `eu+us`"), "{}", c018.message);
    assert!(!codes(&out).contains(&"C020") && !codes(&out).contains(&"C021"), "{:?}", out.diagnostics);
}

#[test]
fn replication_names_declared_clusters() {
    let out = graph(&mesh(", replicationClusters: [us, euu]"));
    let d = out.diagnostics.iter().find(|d| d.code == "R007").expect("unknown cluster");
    assert_eq!(d.message, "unknown cluster `euu`");
    assert_eq!(d.help.as_deref(), Some("did you mean `eu`?"));
}

#[test]
fn fan_in_and_shared_subscriptions_are_per_cluster() {
    // Both functions write `readings` and read `input` on one subscription:
    // on one cluster that is C025 and C023, on two it is neither.
    let text = |eu: &str| {
        mesh(", multipleProducers: false")
            .replace(
                "inputs: [{topic: readings, schema: Other}]\n      output: out",
                "inputs: [input]\n      output: {topic: readings, schema: Reading}",
            )
            .replace("cluster: eu\n", &format!("cluster: {eu}\n"))
            .replace("inputs: [input]", "inputs: [input]\n      subscription: {name: shared}")
    };
    let one = graph(&text("us"));
    assert!(codes(&one).contains(&"C025") && codes(&one).contains(&"C023"), "{:?}", one.diagnostics);
    let two = graph(&text("eu"));
    assert!(!codes(&two).contains(&"C025") && !codes(&two).contains(&"C023"), "{:?}", two.diagnostics);
}

#[test]
fn graphs_draw_each_cluster_as_a_subgraph() {
    let out = graph(&mesh(""));
    let streams = out.streams.as_ref().expect("graph");
    let dot = render_graph(streams, &out.components, GraphFormat::Dot);
    assert!(dot.contains("subgraph cluster_0 {\n    label=\"cluster eu\";"), "{dot}");
    assert!(dot.contains("subgraph cluster_1 {\n    label=\"cluster us\";"), "{dot}");
    assert!(!dot.contains("c1 -> c0"), "no edge joins the clusters: {dot}");
    let mermaid = render_graph(streams, &out.components, GraphFormat::Mermaid);
    assert!(mermaid.contains("subgraph k0 [\"cluster eu\"]\n    c0\n") && mermaid.contains("  end\n"), "{mermaid}");
    let replicated = graph(&mesh(", replicationClusters: [us, eu]"));
    let dot = render_graph(replicated.streams.as_ref().unwrap(), &replicated.components, GraphFormat::Dot);
    assert!(dot.contains("c1 -> c0"), "the replicated topic joins them: {dot}");
}

/// Two operator Functions, `a` writing `mid` and `b` reading it with
/// different Java types, on ConfigMaps `pa` and `pb` with these broker URLs.
fn operator(broker_a: &str, broker_b: &str) -> String {
    let function = |name: &str, input: &str, output: &str, cm: &str, class: &str| {
        format!(
            "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {{name: {name}}}\nspec:\n  className: X\n  java: {{jar: x.jar}}\n  input: {{topics: [{input}], typeClassName: {class}}}\n  output: {{topic: {output}, typeClassName: java.lang.String}}\n  pulsar: {{pulsarConfig: {cm}}}\n  resources: {{requests: {{memory: 1G}}, limits: {{memory: 1G}}}}\n---\n"
        )
    };
    let cm = |name: &str, broker: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{webServiceURL: 'http://x:8080', brokerServiceURL: '{broker}'}}\n---\n"
        )
    };
    [
        function("a", "in", "mid", "pa", "java.lang.String"),
        function("b", "mid", "out", "pb", "java.lang.Integer"),
        cm("pa", broker_a),
        cm("pb", broker_b),
    ]
    .concat()
}

#[test]
fn operator_resources_are_on_the_cluster_their_pulsar_config_names() {
    let mid = "persistent://public/default/mid";
    let same = graph(&operator("pulsar://one:6650", "pulsar://one:6650/"));
    let pairs = |out: &CompileOutput| out.streams.as_ref().unwrap().pairings.iter().filter(|p| p.topic == mid).count();
    assert_eq!(pairs(&same), 1, "two ConfigMaps for one broker are one cluster");
    assert!(codes(&same).contains(&"C018"), "{:?}", same.diagnostics);
    let apart = graph(&operator("pulsar://one:6650", "pulsar://two:6650"));
    assert_eq!(pairs(&apart), 0, "two brokers are two clusters");
    assert!(!codes(&apart).contains(&"C018"), "{:?}", apart.diagnostics);
}

#[test]
fn one_pulsar_name_twice_is_c022_on_one_broker_whatever_the_config_maps_are_called() {
    let twice = |broker_b: &str| {
        // `b` takes `a`'s Pulsar name.
        graph(&operator("pulsar://one:6650", broker_b).replace(
            "spec:\n  className: X\n  java: {jar: x.jar}\n  input: {topics: [mid]",
            "spec:\n  name: a\n  className: X\n  java: {jar: x.jar}\n  input: {topics: [mid]",
        ))
    };
    assert!(codes(&twice("pulsar://one:6650")).contains(&"C022"), "same broker, same FQFN");
    assert!(!codes(&twice("pulsar://two:6650")).contains(&"C022"), "two brokers: two registrations");
}
