//! Which ConfigMaps and Secrets a component refers to, and whether they exist.
//!
//! A reference resolves when the object is in the input (same namespace) or is
//! declared in a `ClusterProvided` document. Missing ConfigMaps are errors (R001):
//! they are configuration and belong in Git. Missing Secrets are warnings (R002):
//! Secrets are rarely committed, but a declared list turns the check into a
//! guarantee.

use crate::model::ComponentSpec;
use crate::model::common::{AuthConfig, PulsarMessaging, RuntimeLogConfig};

pub use crate::model::reference::{RefKind, Reference};

fn r(kind: RefKind, name: &str, path: &[&str]) -> Reference {
    Reference {
        kind,
        name: name.to_string(),
        required_keys: Vec::new(),
        path: path.iter().map(|s| s.to_string()).collect(),
    }
}

/// Every reference of `spec`, in a stable order.
pub fn references(spec: &ComponentSpec) -> Vec<Reference> {
    let mut out = Vec::new();
    if let Some(p) = &spec.pulsar {
        messaging_refs(p, "pulsar", &mut out);
    }
    if let Some(p) = &spec.pulsar_package_service {
        messaging_refs(p, "pulsarPackageService", &mut out);
    }
    for (runtime, log) in [
        ("java", spec.java.as_ref().and_then(|j| j.log.as_ref())),
        ("python", spec.python.as_ref().and_then(|p| p.log.as_ref())),
        ("golang", spec.golang.as_ref().and_then(|g| g.log.as_ref())),
    ] {
        log_refs(runtime, log, &mut out);
    }
    for (env, secret) in spec.secrets_map.iter().flatten() {
        let mut reference = r(RefKind::Secret, &secret.path, &["secretsMap", env, "path"]);
        reference.required_keys.extend(secret.key.clone());
        out.push(reference);
    }
    crypto_refs(spec, &mut out);
    out
}

fn messaging_refs(p: &PulsarMessaging, field: &str, out: &mut Vec<Reference>) {
    if let Some(cm) = p.pulsar_config.as_deref().filter(|s| !s.is_empty()) {
        let mut reference = r(RefKind::ConfigMap, cm, &[field, "pulsarConfig"]);
        reference.required_keys = vec!["webServiceURL".into(), "brokerServiceURL".into()];
        out.push(reference);
    }
    if let Some(s) = p.auth_secret.as_deref().filter(|s| !s.is_empty()) {
        out.push(r(RefKind::Secret, s, &[field, "authSecret"]));
    }
    if let Some(s) = p.tls_secret.as_deref().filter(|s| !s.is_empty()) {
        out.push(r(RefKind::Secret, s, &[field, "tlsSecret"]));
    }
    if let Some((name, key)) = p.tls_config.as_ref().and_then(|t| t.cert_volume()) {
        let mut reference = r(RefKind::Secret, name, &[field, "tlsConfig", "certSecretName"]);
        reference.required_keys.push(key.to_string());
        out.push(reference);
    }
    auth_refs(p.auth_config.as_ref(), &[field, "authConfig"], out);
    auth_refs(p.cleanup_auth_config.as_ref(), &[field, "cleanupAuthConfig"], out);
}

fn auth_refs(auth: Option<&AuthConfig>, at: &[&str], out: &mut Vec<Reference>) {
    if let Some(o) = auth.and_then(|a| a.oauth2_config.as_ref()) {
        let mut path = at.to_vec();
        path.extend(["oauth2Config", "keySecretName"]);
        let mut reference = r(RefKind::Secret, &o.key_secret_name, &path);
        reference.required_keys.push(o.key_secret_key.clone());
        out.push(reference);
    }
}

fn log_refs(runtime: &str, log: Option<&RuntimeLogConfig>, out: &mut Vec<Reference>) {
    if let Some(lc) = log.and_then(|l| l.log_config.as_ref()) {
        let mut reference = r(RefKind::ConfigMap, &lc.name, &[runtime, "log", "logConfig", "name"]);
        reference.required_keys.push(lc.key.clone());
        out.push(reference);
    }
}

fn crypto_refs(spec: &ComponentSpec, out: &mut Vec<Reference>) {
    let producer = spec.output.as_ref().and_then(|o| o.producer_conf.as_ref()).and_then(|p| p.crypto_config.as_ref());
    for (i, s) in producer.and_then(|c| c.crypto_secrets.as_ref()).into_iter().flatten().enumerate() {
        let idx = i.to_string();
        let mut reference = r(
            RefKind::Secret,
            &s.secret_name,
            &["output", "producerConf", "cryptoConfig", "cryptoSecrets", &idx, "secretName"],
        );
        reference.required_keys.push(s.secret_key.clone());
        out.push(reference);
    }
    let specs = spec.input.as_ref().and_then(|i| i.source_specs.as_ref());
    for (topic, consumer) in specs.into_iter().flatten() {
        let secrets = consumer.crypto_config.as_ref().and_then(|c| c.crypto_secrets.as_ref());
        for (i, s) in secrets.into_iter().flatten().enumerate() {
            let idx = i.to_string();
            let mut reference = r(
                RefKind::Secret,
                &s.secret_name,
                &["input", "sourceSpecs", topic, "cryptoConfig", "cryptoSecrets", &idx, "secretName"],
            );
            reference.required_keys.push(s.secret_key.clone());
            out.push(reference);
        }
    }
}
