//! Diagnostics never show a credential (docs/security.md, "diagnostics").

use super::{fmc, write};

const SECRETS: [&str; 5] =
    ["eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.abc", "hunter2-neighbour", "AKIA-api-key-value", "nested-s3cret", "url-pa55word"];

fn input() -> String {
    format!(
        "apiVersion: compute.functionmesh.io/v1alpha1\nkind: Function\nmetadata: {{name: f}}\nspec:\n  className: C\n  input: {{topics: [persistent://public/default/in]}}\n  java: {{jar: /f.jar}}\n  funcConfig:\n    password: {1}\n    apiKey: {2}\n    db: {{settings: {{secretToken: {3}}}}}\n    jdbc: \"jdbc:postgresql://app:{4}@db:5432/x\"\n  pulsar:\n    pulsarConfig: pulsar\n    authConfig:\n      genericAuth:\n        clientAuthenticationPlugin: org.apache.pulsar.client.impl.auth.AuthenticationToken\n        clientAuthenticationParameters: token:{0}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: pulsar}}\ndata: {{webServiceURL: 'http://b:8080', brokerServiceURL: 'pulsar://b:6650'}}\n",
        SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[3], SECRETS[4]
    )
}

#[test]
fn reports_show_keys_not_credential_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("f.yaml");
    write(&file, &input());
    for format in ["human", "json", "github"] {
        let out = fmc().args(["build", "--error-format", format]).arg(&file).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        for s in SECRETS {
            assert!(!stderr.contains(s), "{format} shows {s}:\n{stderr}");
        }
        if format == "human" {
            assert!(stderr.contains("clientAuthenticationParameters:"), "the key is still shown: {stderr}");
        }
    }
}

#[test]
fn c015_knows_credentials_at_any_depth_and_inside_urls() {
    let out = crate::support::build_text(&input());
    let found: Vec<String> = out.diagnostics.iter().filter(|d| d.code == "C015").map(|d| d.message.clone()).collect();
    for field in ["funcConfig.password", "funcConfig.apiKey", "funcConfig.db.settings.secretToken", "funcConfig.jdbc"] {
        assert!(found.iter().any(|m| m.contains(&format!("`{field}`"))), "{field} not reported: {found:?}");
    }
    assert!(found.iter().any(|m| m.contains("a token")), "{found:?}");
}
