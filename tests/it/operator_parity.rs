//! The operator's documented outputs (reference §2.6.8 worked examples and the
//! unit-test expectations of §5), asserted on fmc's output. Command lines are
//! compared as shell words and the details JSON as JSON.

use crate::support::*;
use fmc::options::BuildOptions;
use serde_json::{Value, json};

fn corpus(rel: &str) -> fmc::pipeline::CompileOutput {
    let out = build_file(&corpus_root().join(rel), &BuildOptions::default());
    assert!(!out.has_errors(), "{rel}: {:#?}", out.diagnostics);
    out
}

fn command(sts: &Value) -> String {
    main_container(sts)["command"][2].as_str().expect("command[2]").to_string()
}

fn details(sts: &Value) -> Value {
    let words = shell_words(&command(sts));
    serde_json::from_str(flag_value(&words, "--function_details")).expect("details JSON")
}

#[test]
fn java_function_worked_example() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/java-function/manifests.yaml");
    let sts = object(&out, "StatefulSet", "function-sample-function");
    let expected_details = json!({"tenant":"public","namespace":"default","name":"function-sample","className":"org.apache.pulsar.functions.api.examples.ExclamationFunction","logTopic":"persistent://public/default/logging-function-logs","secretsMap":"{\"name\":{\"path\":\"test-secret\",\"key\":\"username\"},\"pwd\":{\"path\":\"test-secret\",\"key\":\"password\"}}","autoAck":true,"parallelism":1,"source":{"typeClassName":"java.lang.String","inputSpecs":{"persistent://public/default/input-java-topic":{}},"subscriptionPosition":"EARLIEST"},"sink":{"typeClassName":"java.lang.String","topic":"persistent://public/default/output-java-topic","forwardSourceMessageProperty":true},"resources":{"cpu":0.05,"ram":"1000000000"},"componentType":"FUNCTION"});
    let mut actual = details(sts);
    // secretsMap is a JSON string inside JSON: compare it as JSON too.
    let secrets: Value = serde_json::from_str(actual["secretsMap"].as_str().unwrap()).unwrap();
    let expected_secrets: Value = serde_json::from_str(expected_details["secretsMap"].as_str().unwrap()).unwrap();
    assert_eq!(secrets, expected_secrets);
    actual["secretsMap"] = expected_details["secretsMap"].clone();
    assert_eq!(actual, expected_details);

    let words = shell_words(&command(sts));
    let exec = words.iter().position(|w| w == "exec").expect("exec");
    let uid = flag_value(&words, "--function_id").trim_start_matches("${SHARD_ID}-").to_string();
    let expected = "exec java -cp /pulsar/instances/java-instance.jar:$(echo /pulsar/lib/com.fasterxml.jackson.dataformat-jackson-dataformat-yaml-*.jar):$(echo /pulsar/lib/org.yaml-snakeyaml-*.jar) -Dpulsar.functions.instance.classpath=/pulsar/lib/* -Dlog4j.configurationFile=/pulsar/conf/java-log/java_instance_log4j.xml -Dpulsar.function.log.dir=logs/functions -Dpulsar.function.log.file=function-sample-${SHARD_ID} -Dpulsar.allocator.exit_on_oom=true  -XX:MaxRAMPercentage=70 -XX:MaxDirectMemorySize=220000000 -XX:+UseG1GC -XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/pulsar/tmp/heapdump-%p.hprof -XX:+ExitOnOutOfMemoryError -Xlog:gc*:file=/pulsar/logs/gc.log:time,level,tags:filecount=5,filesize=10M  org.apache.pulsar.functions.instance.JavaInstanceMain --jar /pulsar/examples/api-examples.jar --instance_id ${SHARD_ID} --function_id ${SHARD_ID}-UID --function_version 0 --function_details 'DETAILS' --pulsar_serviceurl $brokerServiceURL --max_buffered_tuples 100 --port 9093 --metrics_port 9094 --expected_healthcheck_interval 0 --cluster_name test --use_tls false --secrets_provider org.apache.pulsar.functions.secretsprovider.EnvironmentBasedSecretsProvider --pending_async_requests 1000";
    let mut expected_words = shell_words(&expected.replace("UID", &uid));
    let details_at = expected_words.iter().position(|w| w == "DETAILS").unwrap();
    expected_words[details_at] = flag_value(&words, "--function_details").to_string();
    assert_eq!(&words[exec..], &expected_words[..]);
    assert!(words.starts_with(&[
        "SHARD_ID=${POD_NAME##*-}".to_string(),
        "&&".into(),
        "echo".into(),
        "shardId=${SHARD_ID}".into()
    ]));
    // The UID stand-in is deterministic and UUID-shaped.
    assert_eq!(uid, fmc::names::stable_uid("Function", "default", "function-sample"));
    assert_eq!(uid.len(), 36);
}

#[test]
fn labels_ports_service_and_names() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/java-function/manifests.yaml");
    let sts = object(&out, "StatefulSet", "function-sample-function");
    let labels = sts["metadata"]["labels"].as_object().unwrap();
    assert_eq!(labels.len(), 10);
    assert_eq!(labels["compute.functionmesh.io/name"], "function-sample");
    assert_eq!(labels["app.kubernetes.io/instance"], "function-sample-function");
    assert_eq!(sts["spec"]["serviceName"], "function-sample-function-headless");
    assert_eq!(sts["spec"]["podManagementPolicy"], "Parallel");
    let c = main_container(sts);
    assert_eq!(c["name"], "pulsar-function");
    assert_eq!(
        c["ports"],
        json!([{"name":"tcp-grpc","containerPort":9093,"protocol":"TCP"},{"name":"http-metrics","containerPort":9094,"protocol":"TCP"}])
    );
    assert_eq!(c["securityContext"], json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}));
    let svc = object(&out, "Service", "function-sample-function-headless");
    assert_eq!(svc["spec"]["clusterIP"], "None");
    assert_eq!(svc["spec"]["selector"], sts["spec"]["selector"]["matchLabels"]);
    let sink = corpus("integration/elasticsearch-sink/manifests.yaml");
    let sink_sts = object(&sink, "StatefulSet", "sink-sample-sink");
    assert_eq!(sink_sts["metadata"]["labels"].as_object().unwrap().len(), 8);
    assert_eq!(main_container(sink_sts)["name"], "pulsar-sink");
}

#[test]
fn env_and_env_from() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/java-function/manifests.yaml");
    let c = main_container(object(&out, "StatefulSet", "function-sample-function"));
    assert_eq!(
        c["env"],
        json!([
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "name", "valueFrom": {"secretKeyRef": {"name": "test-secret", "key": "username"}}},
            {"name": "pwd", "valueFrom": {"secretKeyRef": {"name": "test-secret", "key": "password"}}},
        ])
    );
    assert_eq!(c["envFrom"], json!([{"configMapRef": {"name": "test-pulsar"}}]));
}

#[test]
fn pod_security_defaults_are_restricted() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/java-function/manifests.yaml");
    let sts = object(&out, "StatefulSet", "function-sample-function");
    assert_eq!(
        sts["spec"]["template"]["spec"]["securityContext"],
        json!({"fsGroup": 10001, "runAsGroup": 10001, "runAsNonRoot": true, "runAsUser": 10000, "seccompProfile": {"type": "RuntimeDefault"}})
    );
}

fn metrics(out: &fmc::pipeline::CompileOutput, name: &str) -> Value {
    object(out, "HorizontalPodAutoscaler", name)["spec"]["metrics"].clone()
}

fn utilization(resource: &str, percent: i64) -> Value {
    json!({"type": "Resource", "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": percent}}})
}

#[test]
fn hpa_builtin_rules_scale_by_limit_over_request() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/builtin-hpa/manifests.yaml");
    assert_eq!(
        metrics(&out, "function-builtin-hpa-sample-function"),
        json!([utilization("cpu", 80), utilization("memory", 22)])
    );
    let hpa = object(&out, "HorizontalPodAutoscaler", "function-builtin-hpa-sample-function");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "function-builtin-hpa-sample-function"})
    );
    assert_eq!((hpa["spec"]["minReplicas"].clone(), hpa["spec"]["maxReplicas"].clone()), (json!(1), json!(5)));
}

#[test]
fn hpa_custom_and_default_metrics() {
    if !conformance() {
        return;
    }
    let custom = corpus("integration/hpa/manifests.yaml");
    assert_eq!(metrics(&custom, "function-hpa-sample-function"), json!([utilization("cpu", 50)]));
    let default = corpus("integration/java-function/manifests.yaml");
    assert_eq!(metrics(&default, "function-sample-function"), json!([utilization("cpu", 80)]));
}

#[test]
fn vpa_copies_policies_and_targets_the_statefulset() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/java-function-vpa/manifests.yaml");
    let vpa = object(&out, "VerticalPodAutoscaler", "function-sample-vpa-function");
    assert_eq!(
        vpa["spec"]["targetRef"],
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "function-sample-vpa-function"})
    );
    assert_eq!(vpa["spec"]["updatePolicy"], json!({"updateMode": "Auto"}));
    assert_eq!(vpa["spec"]["resourcePolicy"]["containerPolicies"][0]["containerName"], "*");
}

#[test]
fn go_function_configuration() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/go-function/manifests.yaml");
    let sts = object(&out, "StatefulSet", "go-function-sample-function");
    let cmd = command(sts);
    let parts: Vec<&str> = cmd.split(" && ").collect();
    assert_eq!(parts[0], "SHARD_ID=${POD_NAME##*-}");
    assert_eq!(parts[1], "echo shardId=${SHARD_ID}");
    assert!(parts[2].starts_with("GO_FUNCTION_CONF="));
    assert_eq!(parts[3], "goFunctionConfigs=${GO_FUNCTION_CONF}");
    assert_eq!(parts[4], "echo goFunctionConfigs=\"'${goFunctionConfigs}'\"");
    assert_eq!(parts[5], "ls -l /pulsar/examples/go-exclamation-func");
    assert_eq!(parts[6], "chmod +x /pulsar/examples/go-exclamation-func");
    assert_eq!(parts[7], "exec /pulsar/examples/go-exclamation-func -instance-conf \"${goFunctionConfigs}\"");
    // What bash assigns to GO_FUNCTION_CONF, with SHARD_ID=0 and the broker URL
    // from the ConfigMap: only those two variables are expanded.
    let word = parts[2].trim_start_matches("GO_FUNCTION_CONF=");
    assert_eq!(word.matches("\"${SHARD_ID}\"").count(), 2, "{word}");
    let assigned =
        shell_words(word).concat().replace("${SHARD_ID}", "0").replace("${brokerServiceURL}", "pulsar://broker:6650");
    let conf: Value = serde_json::from_str(&assigned).expect("Go conf JSON");
    let uid = fmc::names::stable_uid("Function", "default", "go-function-sample");
    let expected: Value = serde_json::from_str(&r#"{"pulsarServiceURL":"pulsar://broker:6650","instanceID":0,"funcID":"0-UID","funcVersion":"0","maxBufTuples":100,"port":9093,"clusterName":"test","killAfterIdleMs":0,"tenant":"public","nameSpace":"default","name":"go-function-sample","logTopic":"persistent://public/default/go-function-logs","processingGuarantees":0,"secretsMap":"","runtime":3,"autoAck":true,"parallelism":1,"subscriptionType":0,"timeoutMs":0,"subscriptionName":"","cleanupSubscription":false,"sourceInputSpecs":{"persistent://public/default/input-go-topic":"{}"},"sourceSpecsTopic":"persistent://public/default/input-go-topic","sourceSchemaType":"","isRegexPatternSubscription":false,"receiverQueueSize":0,"sinkSpecsTopic":"persistent://public/default/output-go-topic","sinkSchemaType":"","cpu":1,"ram":1000000000,"disk":0,"maxMessageRetries":0,"deadLetterTopic":"","expectedHealthCheckInterval":-1,"userConfig":"","metricsPort":9094}"#.replace("UID", &uid)).unwrap();
    assert_eq!(conf, expected);
    let env = main_container(sts)["env"].as_array().unwrap().clone();
    assert!(env.contains(&json!({"name": "LOGGING_LEVEL", "value": "info"})));
}

/// The Go instance's configuration as bash assigns it (`SHARD_ID` 0).
fn go_conf(sts: &Value) -> Value {
    let cmd = command(sts);
    let word = cmd.split(" && ").find_map(|p| p.strip_prefix("GO_FUNCTION_CONF=")).expect("GO_FUNCTION_CONF");
    let assigned = shell_words(word).concat().replace("${SHARD_ID}", "0");
    serde_json::from_str(&assigned).expect("Go conf JSON")
}

#[test]
/// A divergence (docs/compatibility.md): the operator gives a Go function its
/// first input topic only (`sourceSpecsTopic`) and empty schema types; fmc
/// also gives every input with its schema type as the Go SDK's
/// `sourceInputSpecs`, and fills `sourceSchemaType` and `sinkSchemaType`.
fn go_functions_get_every_input_and_their_schema_types() {
    let out = build_text(
        r#"
apiVersion: compute.functionmesh.io/v1alpha1
kind: Function
metadata: {name: go-two, namespace: default}
spec:
  replicas: 1
  input:
    topics: [persistent://public/default/a, persistent://public/default/b]
    customSchemaSources: {persistent://public/default/a: STRING}
    sourceSpecs:
      persistent://public/default/b: {schemaType: JSON, receiverQueueSize: 50}
  output: {topic: persistent://public/default/out, sinkSchemaType: STRING}
  resources: {requests: {cpu: "0.1", memory: 1G}, limits: {memory: 1.1G}}
  golang: {go: /pulsar/examples/go-func}
  pulsar: {pulsarConfig: cluster}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cluster, namespace: default}
data: {brokerServiceURL: "pulsar://broker:6650", webServiceURL: "http://broker:8080"}
"#,
    );
    assert!(!out.has_errors(), "{:?}", out.diagnostics);
    let conf = go_conf(object(&out, "StatefulSet", "go-two-function"));
    assert_eq!(
        conf["sourceInputSpecs"],
        json!({
            "persistent://public/default/a": r#"{"schemaType":"STRING"}"#,
            "persistent://public/default/b": r#"{"schemaType":"JSON","receiverQueueSize":{"value":50}}"#,
        })
    );
    assert_eq!(conf["sourceSpecsTopic"], "persistent://public/default/a", "older SDKs read the first topic");
    assert_eq!((conf["sourceSchemaType"].as_str(), conf["sinkSchemaType"].as_str()), (Some("STRING"), Some("STRING")));
}

#[test]
fn quoted_function_details_survive_the_shell() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/quoted-function-details/manifests.yaml");
    let sts = object(&out, "StatefulSet", "function-details-quoted-sample-function");
    let cmd = command(sts);
    assert!(cmd.contains("timePartitionPattern"));
    assert!(!cmd.contains(r#"timePartitionPattern\":\"yyyy-MM-dd/HH'h'-mm'm'"#));
    assert!(cmd.contains(r#"'"'"'h'"'"'"#) && cmd.contains(r#"'"'"'m'"'"'"#));
    let user_config: Value = serde_json::from_str(details(sts)["userConfig"].as_str().unwrap()).unwrap();
    assert_eq!(user_config["timePartitionPattern"], "yyyy-MM-dd/HH'h'-mm'm'");
}

#[test]
fn sink_details() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/elasticsearch-sink/manifests.yaml");
    let d = details(object(&out, "StatefulSet", "sink-sample-sink"));
    let expected = json!({"tenant":"public","namespace":"default","name":"sink-sample","className":"org.apache.pulsar.functions.api.utils.IdentityFunction","autoAck":true,"parallelism":1,"source":{"typeClassName":"org.apache.pulsar.client.api.schema.GenericObject","inputSpecs":{"persistent://public/default/input-sink-topic":{},"persistent://public/default/input-sink-topid":{},"persistent://public/default/input-sink-topie":{}},"cleanupSubscription":true,"subscriptionPosition":"EARLIEST"},"sink":{"className":"org.apache.pulsar.io.elasticsearch.ElasticSearchSink","configs":"{\"elasticSearchUrl\":\"http://quickstart-es-http.default.svc.cluster.local:9200\",\"password\":\"QqB1OtT6m79vfP7H9H0q2a82\",\"username\":\"elastic\"}","typeClassName":"org.apache.pulsar.client.api.schema.GenericObject"},"resources":{"cpu":0.1,"ram":"1000000000"},"componentType":"SINK"});
    assert_eq!(d, expected);
}

#[test]
fn source_details_carry_the_config_twice() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/mongodb-source/manifests.yaml");
    let d = details(object(&out, "StatefulSet", "source-sample-source"));
    assert_eq!(d["componentType"], "SOURCE");
    assert_eq!(d["userConfig"], d["source"]["configs"]);
    assert_eq!(
        d["sink"],
        json!({"typeClassName":"org.apache.pulsar.common.schema.KeyValue","topic":"persistent://public/default/output-source-topic","producerSpec":{"maxPendingMessages":1000,"maxPendingMessagesAcrossPartitions":50000,"useThreadLocalProducers":true},"forwardSourceMessageProperty":true})
    );
}

#[test]
fn window_function_details() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/logging-window-function/manifests.yaml");
    let d = details(object(&out, "StatefulSet", "window-function-sample-function"));
    assert_eq!(d["className"], "org.apache.pulsar.functions.windowing.WindowFunctionExecutor");
    assert_eq!(d["processingGuarantees"], "MANUAL");
    let user: Value = serde_json::from_str(d["userConfig"].as_str().unwrap()).unwrap();
    assert_eq!(
        user,
        json!({"__WINDOWCONFIGS__":{"actualWindowFunctionClassName":"org.apache.pulsar.functions.api.examples.window.LoggingWindowFunction","windowLengthCount":10,"slidingIntervalCount":5,"processingGuarantees":"ATLEAST_ONCE"}})
    );
    let words = shell_words(&command(object(&out, "StatefulSet", "window-function-sample-function")));
    assert!(words.contains(&"--state_storage_serviceurl".to_string()));
}

#[test]
fn crypto_volumes_and_mounts() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/crypto-function/manifests.yaml");
    let sts = object(&out, "StatefulSet", "java-function-crypto-sample-function");
    let volumes = sts["spec"]["template"]["spec"]["volumes"].as_array().unwrap();
    let mounts = main_container(sts)["volumeMounts"].as_array().unwrap();
    let paths: Vec<&str> = mounts.iter().map(|m| m["mountPath"].as_str().unwrap()).collect();
    assert!(paths.contains(&"/keys/privkey") && paths.contains(&"/keys/pubkey"), "{paths:?}");
    for v in volumes {
        let item = &v["secret"]["items"][0];
        assert_eq!(item["key"], item["path"]);
        let expected = fmc::names::sanitize_volume_name(&format!(
            "{}-{}",
            v["secret"]["secretName"].as_str().unwrap(),
            item["key"].as_str().unwrap()
        ));
        assert_eq!(v["name"], expected.as_str());
    }
}

#[test]
fn oauth2_auth_and_volume() {
    if !conformance() {
        return;
    }
    let out = corpus("integration-oauth2/java-function/manifests.yaml");
    let sts = object(&out, "StatefulSet", "function-sample-function");
    let words = shell_words(&command(sts));
    assert_eq!(
        flag_value(&words, "--client_auth_plugin"),
        "org.apache.pulsar.client.impl.auth.oauth2.AuthenticationOAuth2"
    );
    let params: Value = serde_json::from_str(flag_value(&words, "--client_auth_params")).unwrap();
    assert_eq!(params["privateKey"], "/etc/oauth2/auth.json");
    assert_eq!(params["credentials_url"], "file:///etc/oauth2/auth.json");
    assert_eq!(params["audience"], "urn:sn:pulsar:sndev:test");
    let mounts = main_container(sts)["volumeMounts"].as_array().unwrap();
    assert!(mounts.contains(&json!({"name": "sn-platform-oauth2-private-key-auth-json", "mountPath": "/etc/oauth2"})));
}

#[test]
fn package_service_download_and_wiring() {
    if !conformance() {
        return;
    }
    let out = corpus("integration-oauth2/java-download-function-with-package-service/manifests.yaml");
    let sts = object(&out, "StatefulSet", "function-download-sample-package-service-function");
    let cmd = command(sts);
    assert!(cmd.contains("$PACKAGE_webServiceURL"));
    assert!(!cmd.contains("$webServiceURL packages download"));
    let c = main_container(sts);
    let env_from = c["envFrom"].as_array().unwrap();
    assert!(
        env_from
            .iter()
            .any(|e| e["prefix"] == "PACKAGE_" && e["configMapRef"]["name"] == "test-pulsar-package-service")
    );
    let paths: Vec<&str> =
        c["volumeMounts"].as_array().unwrap().iter().map(|m| m["mountPath"].as_str().unwrap()).collect();
    assert!(paths.contains(&"/etc/oauth2-package-service"));
}

#[test]
fn download_without_package_service_uses_the_runtime_connection() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/py-download-function/manifests.yaml");
    let cmd = command(object(&out, "StatefulSet", "py-function-download-sample-function"));
    assert!(cmd.starts_with("/pulsar/bin/pulsar-admin --admin-url $webServiceURL packages download function://public/default/test-py-function --path exclamation_function.py && "), "{cmd}");
    assert!(!cmd.contains("$PACKAGE_webServiceURL"));
}

#[test]
fn init_container_downloader() {
    if !conformance() {
        return;
    }
    let options = BuildOptions { enable_init_containers: true, ..BuildOptions::default() };
    let out = build_file(&corpus_root().join("integration/java-download-function/manifests.yaml"), &options);
    let sts = object(&out, "StatefulSet", "function-download-sample-function");
    let init = sts["spec"]["template"]["spec"]["initContainers"].as_array().unwrap();
    assert_eq!(init.len(), 1);
    assert_eq!(init[0]["name"], "downloader");
    assert!(
        init[0]["command"][2].as_str().unwrap().contains("--path /pulsar/download/pulsar-functions-api-examples.jar")
    );
    let c = main_container(sts);
    let m = c["volumeMounts"].as_array().unwrap().iter().find(|m| m["name"] == "downloader-volume").unwrap().clone();
    assert_eq!(
        m,
        json!({"name": "downloader-volume", "mountPath": "/pulsar/pulsar-functions-api-examples.jar", "subPath": "pulsar-functions-api-examples.jar"})
    );
    assert!(command(sts).contains("--jar /pulsar/pulsar-functions-api-examples.jar"));
}

#[test]
fn backend_config_env_and_policy() {
    if !conformance() {
        return;
    }
    let dir = corpus_root().join("integration/global-and-namespaced-config");
    let sources = sources_from_files(&[
        &dir.join("manifests.yaml"),
        &dir.join("mesh-config.yaml"),
        &dir.join("mesh-config-kube-system.yaml"),
    ]);
    let out = fmc::pipeline::compile(&sources, &BuildOptions::default());
    assert!(!out.has_errors(), "{:#?}", out.diagnostics);
    let sts = object(&out, "StatefulSet", "function-sample-env-function");
    let c = main_container(sts);
    let env = c["env"].as_array().unwrap();
    let value =
        |name: &str| env.iter().rev().find(|e| e["name"] == name).and_then(|e| e["value"].as_str()).map(str::to_string);
    // The container's own entry comes last and wins at runtime.
    assert_eq!(value("podenv").as_deref(), Some("podvalue"));
    assert_eq!(value("shared1").as_deref(), Some("fromnamespace"));
    assert_eq!(sts["spec"]["template"]["metadata"]["labels"]["from"], "namespace-backendconfig");
    assert_eq!(
        c["livenessProbe"],
        json!({"failureThreshold":3,"httpGet":{"path":"/","port":9094,"scheme":"HTTP"},"initialDelaySeconds":30,"periodSeconds":10,"successThreshold":1,"timeoutSeconds":10})
    );
}

#[test]
fn health_check_liveness() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/health-check/manifests.yaml");
    let c = main_container(object(&out, "StatefulSet", "health-check-sample-function"));
    assert_eq!(
        c["livenessProbe"],
        json!({"failureThreshold":3,"httpGet":{"path":"/","port":9094,"scheme":"HTTP"},"initialDelaySeconds":30,"periodSeconds":10,"successThreshold":1,"timeoutSeconds":10})
    );
}

#[test]
fn function_mesh_expands_into_member_workloads() {
    if !conformance() {
        return;
    }
    let out = corpus("integration/functionmesh/manifests.yaml");
    for member in ["java-function", "golang-function", "python-function"] {
        let sts = object(&out, "StatefulSet", &format!("functionmesh-sample-{member}-function"));
        assert_eq!(sts["metadata"]["labels"]["compute.functionmesh.io/name"], format!("functionmesh-sample-{member}"));
    }
    let py = object(&out, "StatefulSet", "functionmesh-sample-python-function-function");
    assert_eq!(details(py)["name"], "python-function");
}

#[test]
fn subscription_type_follows_pulsar() {
    let base = "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {name: f}\nspec:\n  className: C\n  input: {topics: [in]}\n  output: {topic: out}\n  pulsar: {pulsarConfig: cm}\n  java: {jar: a.jar}\n  resources: {requests: {memory: 1G}, limits: {memory: 1G}}\n";
    let cm =
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {webServiceURL: x, brokerServiceURL: y}\n";
    for (extra, expected) in [
        ("", Value::Null),
        ("  retainOrdering: true\n", json!("FAILOVER")),
        ("  retainKeyOrdering: true\n", json!("KEY_SHARED")),
        ("  processingGuarantee: effectively_once\n", json!("FAILOVER")),
    ] {
        let out = build_text(&format!("{base}{extra}{cm}"));
        assert!(!out.has_errors(), "{:#?}", out.diagnostics);
        assert_eq!(
            details(object(&out, "StatefulSet", "f-function"))["source"]["subscriptionType"],
            expected,
            "{extra}"
        );
    }
}
