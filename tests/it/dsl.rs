//! The native mesh DSL: shipped examples (built clean, rendered and graphed
//! snapshots), `fmc convert` round trips over the whole operator corpus,
//! environments, `--target operator`, and error positions in JSON output.

use crate::support::*;
use fmc::diagnostics::report::render_json;
use fmc::emit::graph::{GraphFormat, render as render_graph};
use fmc::options::BuildOptions;
use fmc::pipeline::compile;
use std::path::PathBuf;

/// `examples/dsl/<name>/mesh.yaml`, sorted.
fn dsl_examples() -> Vec<(String, PathBuf)> {
    let root = project_root().join("examples/dsl");
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .expect("examples/dsl")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("mesh.yaml").exists())
        .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), p.join("mesh.yaml")))
        .collect();
    out.sort();
    out
}

#[test]
fn dsl_examples_build_clean_and_match_their_snapshots() {
    let examples = dsl_examples();
    assert!(examples.len() >= 3, "at least three DSL examples: {examples:?}");
    for (name, path) in examples {
        let options = BuildOptions { keep_components: true, ..BuildOptions::default() };
        let out = build_file(&path, &options);
        assert!(out.diagnostics.is_empty(), "{name}: examples build without any diagnostic: {:#?}", out.diagnostics);
        insta::assert_snapshot!(format!("dsl_example__{name}"), out.yaml());
        let streams = out.streams.as_ref().expect("graph");
        let dot = render_graph(streams, &out.components, GraphFormat::Dot);
        let mermaid = render_graph(streams, &out.components, GraphFormat::Mermaid);
        insta::assert_snapshot!(format!("dsl_example__{name}__dot"), &dot);
        insta::assert_snapshot!(format!("dsl_example__{name}__mermaid"), &mermaid);
        // The pictures shipped beside each example are the current ones.
        for (file, text) in [("graph.dot", &dot), ("graph.mmd", &mermaid)] {
            let shipped = std::fs::read_to_string(path.with_file_name(file))
                .unwrap_or_else(|e| panic!("{name}/{file}: {e} (run `fmc graph` to write it)"));
            assert_eq!(&shipped, text, "{name}/{file} is stale: regenerate it with `fmc graph`");
        }
    }
}

#[test]
fn every_type_pair_of_the_examples_is_checked() {
    // The examples declare every schema: nothing may be left unchecked.
    for (name, path) in dsl_examples() {
        let out = build_file(&path, &BuildOptions::default());
        let streams = out.streams.expect("graph");
        assert!(!streams.pairings.is_empty(), "{name}: no reader/writer pairs");
        for p in &streams.pairings {
            assert_eq!(p.verdict, fmc::types::Verdict::Compatible, "{name}: {p:?}");
        }
    }
}

#[test]
fn convert_then_build_renders_what_the_corpus_file_renders() {
    if !conformance() {
        return;
    }
    let mut converted_components = 0;
    for (rel, path) in corpus_files() {
        let sources = sources_from_files(&[&path]);
        let direct = compile(&sources, &BuildOptions::default());
        assert!(!direct.has_errors(), "{rel}");
        let dsl = fmc::convert::convert(&sources).unwrap_or_else(|d| panic!("{rel}: {d:#?}"));
        converted_components += dsl.matches("\n      className:").count();
        let name = path.with_file_name("converted.yaml").display().to_string();
        let again = compile(&sources_from_text(&name, &dsl), &BuildOptions::default());
        assert!(!again.has_errors(), "{rel}: the converted mesh has errors: {:#?}\n{dsl}", again.diagnostics);
        assert_eq!(again.yaml(), direct.yaml(), "{rel}: converting changed the manifests\n{dsl}");
    }
    assert!(converted_components > 50, "the corpus converts to native components ({converted_components})");
}

#[test]
fn converted_corpus_mesh_is_native_dsl() {
    if !conformance() {
        return;
    }
    let path = corpus_root().join("samples/compute_v1alpha1_functionmesh.yaml");
    let dsl = fmc::convert::convert(&sources_from_files(&[&path])).expect("converts");
    insta::assert_snapshot!("convert__functionmesh_sample", dsl);
}

#[test]
fn environments_override_defaults_and_components() {
    let path = project_root().join("examples/dsl/cdc-pipeline/mesh.yaml");
    let kept = BuildOptions { keep_autoscaled_replicas: true, ..BuildOptions::default() };
    let base = build_file(&path, &kept);
    let staging = build_file(&path, &BuildOptions { environment: Some("staging".into()), ..kept.clone() });
    assert!(staging.diagnostics.is_empty(), "{:#?}", staging.diagnostics);
    let replicas = |out: &fmc::pipeline::CompileOutput| {
        object(out, "StatefulSet", "enrich-customers-function")["spec"]["replicas"].clone()
    };
    assert_eq!(replicas(&base), 2);
    assert_eq!(replicas(&staging), 1);
    // By default the autoscaler owns the scale: no replica count is written.
    let autoscaled = build_file(&path, &BuildOptions::default());
    assert!(
        object(&autoscaled, "HorizontalPodAutoscaler", "enrich-customers-function")["spec"]["maxReplicas"].is_number()
    );
    assert!(replicas(&autoscaled).is_null());
    let memory = |out: &fmc::pipeline::CompileOutput| {
        main_container(object(out, "StatefulSet", "index-customers-sink"))["resources"]["limits"]["memory"].clone()
    };
    assert_eq!(memory(&base), "1Gi");
    assert_eq!(memory(&staging), "512Mi");
    let hpa = object(&staging, "HorizontalPodAutoscaler", "enrich-customers-function");
    assert_eq!(hpa["spec"]["maxReplicas"], 2);
}

#[test]
fn target_operator_emits_function_mesh_resources() {
    let path = project_root().join("examples/dsl/cdc-pipeline/mesh.yaml");
    let out = build_file(&path, &BuildOptions { target_operator: true, ..BuildOptions::default() });
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let kinds: Vec<(&str, &str)> = out.manifests.iter().map(|m| (m.kind.as_str(), m.name.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("ConfigMap", "customers-cdc-cluster-prod"),
            ("Function", "enrich-customers"),
            ("Sink", "index-customers"),
            ("Source", "postgres-customers"),
        ]
    );
    insta::assert_snapshot!("target_operator__cdc_pipeline", out.yaml());
    // Building the emitted operator resources renders what the mesh renders.
    let direct = build_file(&path, &BuildOptions::default());
    let again = compile(&sources_from_text("operator.yaml", &out.yaml()), &BuildOptions::default());
    assert!(!again.has_errors(), "{:#?}", again.diagnostics);
    assert_eq!(again.yaml(), direct.yaml());
}

#[test]
fn json_diagnostics_point_at_the_offending_declaration() {
    let text = "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  topics:\n    orders: {external: true}\n  functions:\n    f:\n      runtime: java\n      file: f.jar\n      className: F\n      inputs: [orders, ordrs]\n";
    let sources = sources_from_text("m.yaml", text);
    let out = compile(&sources, &BuildOptions::default());
    let d = out.diagnostics.iter().find(|d| d.code == "R005").expect("R005");
    let json = render_json(d, &sources);
    assert_eq!((json["line"].as_u64(), json["column"].as_u64()), (Some(12), Some(24)));
    assert_eq!(json["help"], "did you mean `orders`?");
    assert_eq!(json["labels"][1]["line"].as_u64(), Some(6), "secondary label at the declaration: {json}");
}

#[test]
fn schema_files_are_read_relative_to_the_mesh_and_errors_name_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("order.proto"),
        "syntax = \"proto3\";\npackage shop;\nmessage Order { string id = 1; int64 cents = 2; }\n",
    )
    .unwrap();
    let mesh = "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  schemas:\n    Order: {type: PROTOBUF_NATIVE, file: order.proto, message: shop.Order}\n    Missing: {type: PROTOBUF, file: nope.proto, message: shop.Order}\n";
    std::fs::write(dir.path().join("mesh.yaml"), mesh).unwrap();
    let out = build_file(&dir.path().join("mesh.yaml"), &BuildOptions::default());
    let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code, "R015", "a missing file has its own code");
    assert!(errors[0].message.contains("nope.proto"), "{}", errors[0].message);
}

#[test]
fn operator_checks_on_native_components_point_at_the_native_field() {
    let text = "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  topics:\n    orders: {external: true}\n    out: {external: true}\n  functions:\n    f:\n      runtime: java\n      file: f.jar\n      className: F\n      inputs: [orders]\n      output: out\n      parallelism: 5\n      autoscaling: {maxParallelism: 2}\n      secrets:\n        TOKEN: {secret: api-token, key: token}\n";
    let sources = sources_from_text("m.yaml", text);
    let out = compile(&sources, &BuildOptions::default());
    let at = |code: &str| {
        let d =
            out.diagnostics.iter().find(|d| d.code == code).unwrap_or_else(|| panic!("{code}: {:#?}", out.diagnostics));
        let json = render_json(d, &sources);
        (json["line"].as_u64().unwrap(), json["column"].as_u64().unwrap())
    };
    assert_eq!(at("C005"), (15, 20), "replicas above max points at `parallelism`");
    assert_eq!(at("R002"), (18, 16), "a missing Secret points at the native `secrets` entry");
}

#[test]
fn operator_resources_are_type_checked_as_far_as_they_say() {
    let mesh = |out_class: &str, in_class: &str| {
        format!(
            "apiVersion: compute.functionmesh.io/v1alpha1\nkind: FunctionMesh\nmetadata: {{name: m}}\nspec:\n  functions:\n  - name: a\n    className: A\n    java: {{jar: a.jar}}\n    input: {{topics: [in]}}\n    output: {{topic: mid, typeClassName: {out_class}}}\n    pulsar: {{pulsarConfig: p}}\n    resources: {{requests: {{memory: 1G}}, limits: {{memory: 1G}}}}\n  - name: b\n    className: B\n    java: {{jar: b.jar}}\n    input: {{topics: [mid], typeClassName: {in_class}}}\n    output: {{topic: out}}\n    pulsar: {{pulsarConfig: p}}\n    resources: {{requests: {{memory: 1G}}, limits: {{memory: 1G}}}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: p}}\ndata: {{webServiceURL: 'http://b:8080', brokerServiceURL: 'pulsar://b:6650'}}\n"
        )
    };
    let verdict = |a: &str, b: &str| {
        let out = build_text(&mesh(a, b));
        let streams = out.streams.expect("graph");
        let p = streams.pairings.iter().find(|p| p.topic == "persistent://public/default/mid").expect("pair").clone();
        (p.verdict, out.diagnostics.iter().any(|d| d.code == "C018"))
    };
    assert_eq!(verdict("java.lang.String", "java.lang.String"), (fmc::types::Verdict::Compatible, false));
    let (v, reported) = verdict("java.lang.String", "java.lang.Integer");
    assert!(matches!(v, fmc::types::Verdict::Incompatible(_)) && reported);
    let (v, reported) = verdict("com.example.Order", "com.example.Order");
    assert!(matches!(v, fmc::types::Verdict::Unchecked(ref why) if why.contains("com.example.Order")), "{v:?}");
    assert!(!reported);
    assert_eq!(verdict("java.lang.String", "'[B'").0, fmc::types::Verdict::Compatible, "BYTES reads anything");
}

#[test]
fn target_operator_round_trips_over_the_corpus_and_examples() {
    if !conformance() {
        return;
    }
    // Building the operator resources fmc emits renders what the input renders.
    // Replicas are kept: a native mesh's KEDA autoscaling, which leaves them
    // out, has no operator-resource form to carry it through.
    let kept = BuildOptions { keep_autoscaled_replicas: true, ..BuildOptions::default() };
    let operator = BuildOptions { target_operator: true, ..kept.clone() };
    for (rel, path) in corpus_files().into_iter().chain(example_files()) {
        let direct = build_file(&path, &kept);
        let emitted = build_file(&path, &operator);
        assert!(!emitted.has_errors(), "{rel}");
        let again = compile(&sources_from_text("operator.yaml", &emitted.yaml()), &kept);
        assert!(!again.has_errors(), "{rel}: {:#?}", again.diagnostics);
        assert_eq!(again.yaml(), direct.yaml(), "{rel}: --target operator changed the manifests");
    }
}

/// A schema file that does not exist is R015 at the `file:` value, with the
/// path looked for and a close name from the same folder.
#[test]
fn a_missing_schema_file_points_at_file_and_suggests_a_neighbour() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("schemas")).unwrap();
    std::fs::write(dir.path().join("schemas/orders.avsc"), r#"{"type":"record","name":"O","fields":[]}"#).unwrap();
    let mesh = "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {name: m}\nspec:\n  schemas:\n    Order: {type: AVRO, file: schemas/../schemas/order.avsc}\n";
    std::fs::write(dir.path().join("mesh.yaml"), mesh).unwrap();
    let out = build_file(&dir.path().join("mesh.yaml"), &BuildOptions::default());
    let d = out.diagnostics.iter().find(|d| d.code == "R015").unwrap_or_else(|| panic!("{:#?}", out.diagnostics));
    assert_eq!(d.message, "no file `schemas/../schemas/order.avsc`");
    assert!(d.primary.message.contains("`schemas/order.avsc`"), "{}", d.primary.message);
    assert_eq!(d.help.as_deref(), Some("did you mean `orders.avsc` (in the same folder)?"));
    let at = d.primary.span.start as usize..d.primary.span.end as usize;
    assert_eq!(&mesh[at], "schemas/../schemas/order.avsc", "the label sits on the `file:` value");
}

#[test]
fn a_tls_url_without_a_tls_block_connects_with_tls() {
    let mesh = std::fs::read_to_string(
        project_root().join("fixtures/diagnostics/R011-invalid-cluster/tls-off-with-ssl-url.yaml"),
    )
    .unwrap()
    .replace("      tls: {enabled: false}\n", "");
    let out = build_text(&mesh);
    assert!(out.diagnostics.is_empty(), "{:#?}", out.diagnostics);
    let command = main_container(object(&out, "StatefulSet", "a-function"))["command"].to_string();
    assert!(command.contains("--use_tls true") && !command.contains("--use_tls false"), "{command}");
}

#[test]
fn a_clusters_missing_secrets_are_reported_once_each_at_the_cluster() {
    let mesh = std::fs::read_to_string(project_root().join("fixtures/diagnostics/R002-missing-secret/cluster-ca.yaml"))
        .unwrap()
        .replace(
            "      tls: {caCert: {secret: pulsar-ca, key: ca.crt}}\n",
            "      tls: {caCert: {secret: pulsar-ca, key: ca.crt}}\n      auth: {oauth2: {issuerUrl: 'https://i', audience: a, privateKey: {secret: pulsar-oauth, key: key.json}}}\n",
        );
    let out = build_text(&mesh);
    let missing: Vec<(String, String)> = out
        .diagnostics
        .iter()
        .filter(|d| d.code == "R002")
        .map(|d| {
            let line = mesh[..d.primary.span.start as usize].lines().count();
            (d.message.clone(), mesh.lines().nth(line - 1).unwrap().trim().to_string())
        })
        .collect();
    assert_eq!(missing.len(), 2, "two components use the cluster, each Secret is reported once: {missing:#?}");
    assert!(missing[0].0.contains("`pulsar-ca`") && missing[0].1.starts_with("tls:"), "{missing:?}");
    assert!(missing[1].0.contains("`pulsar-oauth`") && missing[1].1.starts_with("auth:"), "{missing:?}");
}

/// docs/dsl.md's coverage table: each operator field it names (`a`, `a.b`)
/// and whether it stays in `spec`.
fn coverage_table() -> std::collections::BTreeMap<String, bool> {
    let text = std::fs::read_to_string(project_root().join("docs/dsl.md")).unwrap();
    let section =
        text.split("### What the DSL covers").nth(1).expect("the coverage section").split("\n###").next().unwrap();
    let mut out = std::collections::BTreeMap::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split(" | ").collect();
        let stays = cells[1].starts_with("stay");
        for field in cells[0].split('`').skip(1).step_by(2) {
            out.insert(field.to_string(), stays);
        }
    }
    out
}

/// The fields set in an operator spec: top-level keys, and for the blocks
/// convert lifts partly, their set (non-empty) keys as `block.key`.
fn set_fields(spec: &fmc::model::ComponentSpec) -> Vec<String> {
    let value = serde_json::to_value(spec).unwrap();
    let mut out = Vec::new();
    for (k, v) in value.as_object().into_iter().flatten() {
        match v.as_object() {
            Some(inner) if ["input", "output", "java", "python", "golang", "pulsar"].contains(&k.as_str()) => {
                out.extend(inner.iter().filter(|(_, v)| **v != "").map(|(k2, _)| format!("{k}.{k2}")))
            }
            _ => out.push(k.clone()),
        }
    }
    out
}

#[test]
fn every_operator_field_has_a_native_field_or_a_reason_and_convert_lifts_the_native_ones() {
    let table = coverage_table();
    let fields = fmc::parse::schema_index::SchemaIndex::of::<fmc::model::ComponentSpec>().properties_at(&[]);
    for f in &fields {
        let named = table.keys().any(|k| k == f || k.starts_with(&format!("{f}.")));
        assert!(named, "operator field `{f}` is not in docs/dsl.md's coverage table");
    }
    if !conformance() {
        return;
    }
    let (mut set, mut left) = (0, 0);
    for (rel, path) in corpus_files() {
        let sources = sources_from_files(&[&path]);
        let (input, _) = fmc::parse::parse(&sources);
        for res in &input.resources {
            match res {
                fmc::model::Resource::Component(c) => set += set_fields(&c.spec).len(),
                fmc::model::Resource::Mesh(m) => {
                    let members = [&m.spec.functions, &m.spec.sources, &m.spec.sinks];
                    set += members.into_iter().flatten().flatten().map(|s| set_fields(s).len()).sum::<usize>();
                }
                _ => {}
            }
        }
        let dsl = fmc::convert::convert(&sources).unwrap();
        let (converted, _) = fmc::parse::parse(&sources_from_text("converted.yaml", &dsl));
        for res in converted.resources {
            let fmc::model::Resource::DslMesh(m) = res else { continue };
            let decls =
                [m.spec.functions, m.spec.sources, m.spec.sinks].into_iter().flatten().flat_map(|l| l.into_values());
            for decl in decls {
                for field in set_fields(&decl.spec.unwrap_or_default()) {
                    left += 1;
                    let stays =
                        table.get(&field).copied().or_else(|| table.get(field.split('.').next().unwrap()).copied());
                    // A field the table gives a native home may stay only under the
                    // condition its row states (`minReplicas` alone, a differing
                    // `clusterName`, a function's connector config, …).
                    let conditional = [
                        "minReplicas",
                        "clusterName",
                        "sourceConfig",
                        "sinkConfig",
                        "secretsMap",
                        "deadLetterTopic",
                        "input.typeClassName",
                        "output.typeClassName",
                        "pulsar.authConfig",
                        "pulsar.tlsConfig",
                    ];
                    assert!(
                        stays == Some(true) || conditional.contains(&field.as_str()),
                        "{rel}: `{field}` has a native field but stayed in `spec`"
                    );
                }
            }
        }
    }
    let figure = format!("{} of the {set} operator fields the corpus's components set", set - left);
    let docs = std::fs::read_to_string(project_root().join("docs/dsl.md")).unwrap();
    assert!(docs.contains(&figure), "docs/dsl.md should report: {figure}");
}

#[test]
fn native_fields_set_the_operator_fields_docs_dsl_md_names() {
    let mesh = "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  defaults:
    resources: {requests: {memory: 1G}, limits: {memory: 1G}}
  clusters:
    local: {pulsarConfig: pulsar, clusterName: local-pulsar}
  schemas:
    Order: {type: AVRO, typeClassName: com.example.Order, definition: {type: record, name: Order, fields: [{name: id, type: string}]}}
  topics:
    orders: {schema: Order, external: true}
    out: {schema: Order, external: true}
  functions:
    f:
      runtime: java
      file: /f.jar
      className: F
      inputs: [orders]
      output: out
      subscription: {name: s, type: key_shared, cleanup: true}
      producer: {maxPendingMessages: 500, compressionType: ZSTD}
      window: {windowLengthCount: 10, slidingIntervalCount: 5}
      log: {level: debug}
      javaOpts: [-Xss512k]
      autoAck: false
      runtimeFlags: -XX:+UseG1GC
---
apiVersion: v1
kind: ConfigMap
metadata: {name: pulsar}
data: {webServiceURL: 'http://p:8080', brokerServiceURL: 'pulsar://p:6650'}
";
    let options = BuildOptions { target_operator: true, ..BuildOptions::default() };
    let out = compile(&sources_from_text("mesh.yaml", mesh), &options);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let f = out.manifests.iter().map(|m| m.value()).find(|v| v["kind"] == "Function").expect("a Function");
    let s = &f["spec"];
    assert_eq!(s["retainKeyOrdering"], true);
    assert_eq!(s["cleanupSubscription"], true);
    assert_eq!(s["clusterName"], "local-pulsar");
    assert_eq!(s["output"]["producerConf"]["maxPendingMessages"], 500);
    assert_eq!(s["windowConfig"]["windowLengthCount"], 10);
    assert_eq!(s["java"]["log"]["level"], "debug");
    assert_eq!(s["java"]["javaOpts"], serde_json::json!(["-Xss512k"]));
    assert_eq!((&s["autoAck"], &s["runtimeFlags"]), (&false.into(), &"-XX:+UseG1GC".into()));
    assert_eq!(s["input"]["typeClassName"], "com.example.Order", "from the schema's typeClassName");
    assert_eq!(s["output"]["typeClassName"], "com.example.Order");
    let native = mesh.replace(
        "      runtime: java\n      file: /f.jar\n      className: F\n",
        "      runtime: native\n      jq: .\n",
    );
    let out = compile(&sources_from_text("mesh.yaml", &native), &options);
    let refused: Vec<&str> = out.diagnostics.iter().filter(|d| d.code == "R013").map(|d| d.message.as_str()).collect();
    assert!(
        refused.iter().any(|m| m.contains("`window`")) && refused.iter().any(|m| m.contains("`javaOpts`")),
        "{refused:?}"
    );
}

#[test]
fn a_secret_the_escape_hatch_names_is_still_reported_at_the_component() {
    let mesh = std::fs::read_to_string(project_root().join("fixtures/diagnostics/R002-missing-secret/cluster-ca.yaml"))
        .unwrap()
        .replace("output: out}", "output: out, spec: {pulsar: {authSecret: legacy-auth}}}");
    let out = build_text(&mesh);
    let messages: Vec<&str> = out.diagnostics.iter().filter(|d| d.code == "R002").map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "the cluster's CA once, the hatch's Secret once: {messages:?}");
    assert!(messages.iter().any(|m| m.contains("`legacy-auth`")), "{messages:?}");
}

/// The webhook wants memory in a component's requests and limits. Under
/// `--target operator` a native component without it is refused at its name,
/// and `defaults.resources` gives it to every component; plain manifests meet
/// no webhook, so nothing is asked of them.
#[test]
fn target_operator_asks_every_component_for_the_memory_the_webhook_wants() {
    let mesh = |defaults: &str| {
        format!(
            "apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {{name: m}}
spec:
  defaults: {{{defaults}}}
  clusters:
    local: {{pulsarConfig: pulsar}}
  topics:
    in: {{external: true}}
    out: {{external: true}}
  functions:
    f: {{runtime: java, file: /f.jar, className: F, inputs: [in], output: out}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: pulsar}}
data: {{webServiceURL: 'http://p:8080', brokerServiceURL: 'pulsar://p:6650'}}
"
        )
    };
    let operator = BuildOptions { target_operator: true, ..BuildOptions::default() };
    let text = mesh("");
    let sources = sources_from_text("m.yaml", &text);
    let refused = compile(&sources, &operator);
    let d = refused.diagnostics.iter().find(|d| d.code == "C027").expect("C027");
    let json = render_json(d, &sources);
    assert_eq!((json["line"].as_u64(), json["column"].as_u64()), (Some(12), Some(5)), "at the component's name");
    assert!(json["message"].as_str().unwrap().contains("resources.requests.memory` and `resources.limits.memory"));
    assert!(d.help.as_deref().unwrap().contains("defaults.resources"), "{d:?}");
    assert!(refused.manifests.is_empty());

    let plain = compile(&sources, &BuildOptions::default());
    assert!(!plain.has_errors(), "plain manifests meet no webhook: {:#?}", plain.diagnostics);

    let given = mesh("resources: {requests: {cpu: 100m, memory: 512Mi}, limits: {memory: 1Gi}}");
    let out = compile(&sources_from_text("m.yaml", &given), &operator);
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let f = out.manifests.iter().map(|m| m.value()).find(|v| v["kind"] == "Function").expect("a Function");
    assert_eq!(f["spec"]["resources"]["limits"]["memory"], "1Gi");
    assert_eq!(f["spec"]["resources"]["requests"]["memory"], "512Mi");
}
