//! The operator's controller unit tests (reference §5.1, §5.3), ported: the
//! download command argument arrays, runner images, and details helpers.

use fmc::model::common::*;
use fmc::render::connection::Connection;
use fmc::render::download::download_args;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

const P: &str = "export PATH=$PATH:/pulsar/bin && ";

fn messaging(tls: Option<TlsConfig>, auth: Option<AuthConfig>) -> PulsarMessaging {
    PulsarMessaging { pulsar_config: Some("cm".into()), tls_config: tls, auth_config: auth, ..Default::default() }
}

fn tls(insecure: bool, hostname: bool) -> TlsConfig {
    TlsConfig {
        enabled: Some(true),
        allow_insecure: Some(insecure),
        hostname_verification: Some(hostname),
        cert_secret_name: Some("test-secret".into()),
        cert_secret_key: Some("test-key".into()),
    }
}

fn oauth2() -> AuthConfig {
    AuthConfig {
        oauth2_config: Some(OAuth2Config {
            audience: "test-audience".into(),
            issuer_url: "test-issuer-url".into(),
            scope: None,
            key_secret_name: "test-private-key".into(),
            key_secret_key: "auth.json".into(),
        }),
        generic_auth: None,
    }
}

fn generic() -> AuthConfig {
    AuthConfig {
        oauth2_config: None,
        generic_auth: Some(GenericAuth {
            client_authentication_plugin: "auth-plugin".into(),
            client_authentication_parameters: "auth-params".into(),
        }),
    }
}

fn dl(m: &PulsarMessaging, loc: &str, dest: &str, tools: bool) -> Vec<String> {
    download_args(loc, dest, &Connection::runtime(m), tools, tools)
}

#[test]
fn pulsarctl_package_and_legacy_downloads() {
    let m = messaging(None, None);
    for loc in ["function://public/default/test@v1", "sink://public/default/test@v1", "source://public/default/test@v1"]
    {
        assert_eq!(
            dl(&m, loc, "function-package.jar", true),
            s(&[
                P,
                "pulsarctl",
                "--admin-service-url",
                "$webServiceURL",
                "packages",
                "download",
                loc,
                "--path",
                "function-package.jar"
            ])
        );
    }
    for loc in ["/test", "source/public/default/test@v1", "source:/public/default/test@v1"] {
        assert_eq!(
            dl(&m, loc, "test.jar", true),
            s(&[
                P,
                "pulsarctl",
                "--admin-service-url",
                "$webServiceURL",
                "functions",
                "download",
                "--path",
                loc,
                "--destination-file",
                "test.jar"
            ])
        );
    }
}

#[test]
fn pulsarctl_with_oauth2() {
    let m = messaging(None, Some(oauth2()));
    assert_eq!(
        dl(&m, "function://public/default/test@v1", "function-package.jar", true),
        s(&[
            P,
            "pulsarctl",
            "context",
            "set",
            "downloader",
            "--admin-service-url",
            "$webServiceURL",
            "--issuer-endpoint",
            "test-issuer-url",
            "--audience",
            "test-audience",
            "--key-file",
            "/etc/oauth2/auth.json",
            "&& pulsarctl",
            "oauth2",
            "activate",
            "&& pulsarctl",
            "packages",
            "download",
            "function://public/default/test@v1",
            "--path",
            "function-package.jar",
        ])
    );
}

#[test]
fn pulsarctl_with_tls() {
    let loc = "function://public/default/test@v1";
    let head = [P, "pulsarctl", "--admin-service-url", "$webServiceURL"];
    let tail = ["packages", "download", loc, "--path", "function-package.jar"];
    let m = messaging(Some(tls(false, true)), None);
    let mut expected = s(&head);
    expected.extend(s(&[
        "--tls-allow-insecure=false",
        "--tls-enable-hostname-verification=true",
        "--tls-trust-cert-path",
        "/etc/tls/pulsar-functions/test-key",
    ]));
    expected.extend(s(&tail));
    assert_eq!(dl(&m, loc, "function-package.jar", true), expected);
    let disabled = messaging(Some(TlsConfig { enabled: Some(false), ..tls(false, true) }), None);
    let mut expected = s(&head);
    expected.extend(s(&tail));
    assert_eq!(dl(&disabled, loc, "function-package.jar", true), expected);
}

#[test]
fn pulsarctl_with_tls_and_generic_auth() {
    let m = messaging(Some(tls(true, false)), Some(generic()));
    assert_eq!(
        dl(&m, "function://public/default/test@v1", "function-package.jar", true),
        s(&[
            P,
            "( pulsarctl",
            "oauth2",
            "activate",
            "--auth-params",
            "'auth-params'",
            "|| true ) &&",
            "pulsarctl",
            "--auth-plugin",
            "auth-plugin",
            "--auth-params",
            "'auth-params'",
            "--admin-service-url",
            "$webServiceURL",
            "--tls-allow-insecure=true",
            "--tls-enable-hostname-verification=false",
            "--tls-trust-cert-path",
            "/etc/tls/pulsar-functions/test-key",
            "packages",
            "download",
            "function://public/default/test@v1",
            "--path",
            "function-package.jar",
        ])
    );
}

#[test]
fn wget_for_http_ignores_tls() {
    let m = messaging(Some(tls(false, true)), None);
    assert_eq!(
        dl(&m, "http://aaa.bbb.ccc/test.jar", "function-package.jar", true),
        s(&["wget", "http://aaa.bbb.ccc/test.jar", "-O", "function-package.jar"])
    );
}

#[test]
fn pulsar_admin_with_auth_and_tls() {
    let loc = "sink://public/default/test@v1";
    let oauth = messaging(None, Some(oauth2()));
    let args = dl(&oauth, loc, "function-package.jar", false);
    assert_eq!(
        &args[..5],
        &s(&[
            "/pulsar/bin/pulsar-admin",
            "--admin-url",
            "$webServiceURL",
            "--auth-plugin",
            "org.apache.pulsar.client.impl.auth.oauth2.AuthenticationOAuth2"
        ])[..]
    );
    assert_eq!(args[5], "--auth-params");
    let params: serde_json::Value = serde_json::from_str(args[6].trim_matches('\'')).unwrap();
    assert_eq!(params["private_key"], "/etc/oauth2/auth.json");
    assert_eq!(&args[7..], &s(&["packages", "download", loc, "--path", "function-package.jar"])[..]);

    let generic_auth = messaging(None, Some(generic()));
    assert_eq!(
        dl(&generic_auth, loc, "function-package.jar", false),
        s(&[
            "/pulsar/bin/pulsar-admin",
            "--admin-url",
            "$webServiceURL",
            "--auth-plugin",
            "auth-plugin",
            "--auth-params",
            "'auth-params'",
            "packages",
            "download",
            loc,
            "--path",
            "function-package.jar"
        ])
    );
    let cases = [
        (false, true, vec!["--tls-enable-hostname-verification"]),
        (true, true, vec!["--tls-allow-insecure", "--tls-enable-hostname-verification"]),
        (true, false, vec!["--tls-allow-insecure"]),
    ];
    for (insecure, hostname, flags) in cases {
        let m = messaging(Some(tls(insecure, hostname)), None);
        let mut expected = s(&["/pulsar/bin/pulsar-admin", "--admin-url", "$webServiceURL"]);
        expected.extend(s(&flags));
        expected.extend(s(&[
            "--tls-trust-cert-path",
            "/etc/tls/pulsar-functions/test-key",
            "packages",
            "download",
            loc,
            "--path",
            "function-package.jar",
        ]));
        assert_eq!(dl(&m, loc, "function-package.jar", false), expected, "{insecure} {hostname}");
    }
}

#[test]
fn quoted_auth_params_positions() {
    let m = messaging(
        None,
        Some(AuthConfig {
            oauth2_config: None,
            generic_auth: Some(GenericAuth {
                client_authentication_plugin: "p".into(),
                client_authentication_parameters: r#"{"token":"a'b"}"#.into(),
            }),
        }),
    );
    let quoted = r#"'{"token":"a'"'"'b"}'"#;
    let admin = dl(&m, "function://public/default/x", "d", false);
    assert_eq!((admin[4].as_str(), admin[6].as_str()), ("p", quoted));
    let ctl = dl(&m, "function://public/default/x", "d", true);
    assert_eq!((ctl[5].as_str(), ctl[11].as_str()), (quoted, quoted));
}

#[test]
fn secrets_map_and_batch_source_details() {
    use fmc::render::details::{function_details, go_json};
    let mut map = std::collections::BTreeMap::new();
    map.insert("foo".to_string(), SecretRef { path: "path".into(), key: None });
    assert_eq!(go_json(&map), r#"{"foo":{"path":"path"}}"#);

    let mut spec = fmc::model::ComponentSpec {
        class_name: Some("org.apache.pulsar.ecosystem.io.bigquery.BigQuerySource".into()),
        source_config: Some([("tableName".to_string(), serde_json::json!("test-table"))].into_iter().collect()),
        batch_source_config: Some(BatchSourceConfig {
            discovery_triggerer_class_name: "test-trigger-class".into(),
            discovery_triggerer_config: Some(
                [("test-key".to_string(), serde_json::json!("test-value"))].into_iter().collect(),
            ),
        }),
        ..Default::default()
    };
    fmc::resolve::defaults::apply(fmc::model::ComponentKind::Source, "s", &mut spec);
    let d = function_details(fmc::model::ComponentKind::Source, &spec);
    let source = d.source.unwrap();
    assert_eq!(source.class_name, "org.apache.pulsar.functions.source.batch.BatchSourceExecutor");
    assert_eq!(
        source.configs,
        r#"{"__BATCHSOURCECLASSNAME__":"org.apache.pulsar.ecosystem.io.bigquery.BigQuerySource","__BATCHSOURCECONFIGS__":"{\"discoveryTriggererClassName\":\"test-trigger-class\",\"discoveryTriggererConfig\":{\"test-key\":\"test-value\"}}","tableName":"test-table"}"#
    );
}

#[test]
fn function_connector_overrides() {
    use fmc::render::details::function_details;
    let cfg = |v: serde_json::Value| -> Config { serde_json::from_value(v).unwrap() };
    let mut spec = fmc::model::ComponentSpec {
        class_name: Some("C".into()),
        source_config: Some(cfg(
            serde_json::json!({"sourceType": "kafka", "className": "org.apache.pulsar.io.kafka.KafkaSource", "configs": {"bootstrapServers": "kafka:9092", "groupId": "test-consumer"}}),
        )),
        sink_config: Some(cfg(
            serde_json::json!({"sinkType": "kafka", "configs": {"bootstrapServers": "kafka:9092", "topic": "kafka-output"}}),
        )),
        ..Default::default()
    };
    fmc::resolve::defaults::apply(fmc::model::ComponentKind::Function, "f", &mut spec);
    let d = function_details(fmc::model::ComponentKind::Function, &spec);
    let (source, sink) = (d.source.unwrap(), d.sink.unwrap());
    assert_eq!(
        (source.builtin.as_str(), source.class_name.as_str()),
        ("kafka", "org.apache.pulsar.io.kafka.KafkaSource")
    );
    assert_eq!(source.configs, r#"{"bootstrapServers":"kafka:9092","groupId":"test-consumer"}"#);
    assert_eq!(sink.configs, r#"{"bootstrapServers":"kafka:9092","sinkType":"kafka","topic":"kafka-output"}"#);

    let mut archive = fmc::model::ComponentSpec {
        class_name: Some("C".into()),
        source_config: Some(cfg(
            serde_json::json!({"configs": {"archive": "builtin://filesystem", "className": "FsSource", "typeClassName": "T", "configs": {"inputDirectory": "/var/data"}, "recurse": true}}),
        )),
        ..Default::default()
    };
    fmc::resolve::defaults::apply(fmc::model::ComponentKind::Function, "f", &mut archive);
    let source = function_details(fmc::model::ComponentKind::Function, &archive).source.unwrap();
    assert_eq!((source.builtin.as_str(), source.class_name.as_str()), ("filesystem", "FsSource"));
    assert_eq!(source.configs, r#"{"inputDirectory":"/var/data","recurse":true}"#);
    // The webhook's "[B" default wins over the connector's type class (as in the operator).
    assert_eq!(source.type_class_name, "[B");
}

#[test]
fn runner_images() {
    use fmc::options::BuildOptions;
    use fmc::render::command::{GO_RUNNER, JAVA_RUNNER, PULSAR_ALL, PYTHON_RUNNER};
    let text = |kind: &str, runtime: &str| {
        format!(
            "apiVersion: compute.functionmesh.io/v1alpha1\nkind: {kind}\nmetadata: {{name: x}}\nspec:\n  className: C\n  {runtime}\n"
        )
    };
    let image = |yaml: String| {
        let sources = crate::support::sources_from_text("x.yaml", &yaml);
        let (input, _) = fmc::parse::parse(&sources);
        let (resolved, _) = fmc::resolve::resolve(&input, &BuildOptions::default());
        fmc::render::command::image(&resolved.components[0], &BuildOptions::default())
    };
    assert_eq!(image(text("Function", "java: {jar: a.jar}")), JAVA_RUNNER);
    assert_eq!(image(text("Function", "python: {py: a.py}")), PYTHON_RUNNER);
    assert_eq!(image(text("Function", "golang: {go: a}")), GO_RUNNER);
    assert_eq!(image(text("Sink", "java: {jar: a.nar}")), PULSAR_ALL);
    assert_eq!(image(text("Sink", "java: {jar: a.nar, jarLocation: test}")), PULSAR_ALL);
    assert_eq!(image(text("Sink", "java: {jar: a.nar, jarLocation: 'sink://public/default/test'}")), JAVA_RUNNER);
    assert_eq!(image(text("Source", "java: {jar: a.nar, jarLocation: 'sink://public/default/test'}")), JAVA_RUNNER);
    assert_eq!(image(text("Source", "java: {jar: a.nar}\n  image: my/connector:1")), "my/connector:1");
}
