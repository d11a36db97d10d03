//! C026 a Secret or ConfigMap key that Kubernetes would refuse.
//!
//! Keys name files in a mounted volume and reach the container's command line
//! (`--tls_trust_cert_path /etc/tls/…/<key>`). Kubernetes allows only
//! `[-._a-zA-Z0-9]+` there (at most 253 characters, not `.` or `..`), so a key
//! with a `/`, a blank or a `$` is never a real key: it is a mistake, or an
//! attempt to smuggle a path or shell text into the pod. Refused here, before
//! anything renders it.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::common::PulsarMessaging;

/// Whether `key` is a valid ConfigMap/Secret data key (Kubernetes `IsConfigMapKey`).
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
}

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let s = &ctx.comp.spec;
    let mut keys: Vec<(Vec<String>, &str)> = Vec::new();
    for (conn, m) in [("pulsar", &s.pulsar), ("pulsarPackageService", &s.pulsar_package_service)] {
        if let Some(m) = m {
            connection_keys(conn, m, &mut keys);
        }
    }
    for (name, r) in s.secrets_map.iter().flatten() {
        if let Some(k) = &r.key {
            keys.push((path(&["secretsMap", name, "key"]), k));
        }
    }
    let producer = s.output.as_ref().and_then(|o| o.producer_conf.as_ref()).and_then(|p| p.crypto_config.as_ref());
    let mut crypto: Vec<(Vec<String>, _)> =
        producer.map(|c| (path(&["output", "producerConf", "cryptoConfig"]), c)).into_iter().collect();
    for (topic, c) in s.input.as_ref().and_then(|i| i.source_specs.as_ref()).into_iter().flatten() {
        if let Some(c) = &c.crypto_config {
            crypto.push((path(&["input", "sourceSpecs", topic, "cryptoConfig"]), c));
        }
    }
    for (base, c) in crypto {
        for (i, secret) in c.crypto_secrets.iter().flatten().enumerate() {
            let at = [base.clone(), path(&["cryptoSecrets", &i.to_string(), "secretKey"])].concat();
            keys.push((at, &secret.secret_key));
        }
    }
    // An empty key is an unset one (the renderer skips it, as the operator does).
    keys.into_iter().filter(|(_, k)| !k.is_empty() && !is_valid_key(k)).map(|(p, k)| invalid(ctx, &p, k)).collect()
}

fn connection_keys<'a>(conn: &str, m: &'a PulsarMessaging, keys: &mut Vec<(Vec<String>, &'a str)>) {
    if let Some(k) = m.tls_config.as_ref().and_then(|t| t.cert_secret_key.as_deref()) {
        keys.push((path(&[conn, "tlsConfig", "certSecretKey"]), k));
    }
    for (auth, a) in [("authConfig", &m.auth_config), ("cleanupAuthConfig", &m.cleanup_auth_config)] {
        if let Some(o) = a.as_ref().and_then(|a| a.oauth2_config.as_ref()) {
            keys.push((path(&[conn, auth, "oauth2Config", "keySecretKey"]), &o.key_secret_key));
        }
    }
}

fn path(segs: &[&str]) -> Vec<String> {
    segs.iter().map(|s| s.to_string()).collect()
}

fn invalid(ctx: &Ctx, at: &[String], key: &str) -> Diagnostic {
    let at: Vec<&str> = at.iter().map(String::as_str).collect();
    let shown: String = key.chars().take(40).flat_map(char::escape_debug).collect();
    Diagnostic::error("C026", ctx.span(&at), format!("invalid Secret key `{shown}`"))
        .label("not a key Kubernetes allows")
        .help("a key has only letters, digits, `-`, `_` and `.` (at most 253 characters), e.g. `ca.crt`")
}

#[cfg(test)]
mod tests {
    use super::is_valid_key;

    #[test]
    fn kubernetes_key_rules() {
        for ok in ["ca.crt", "tls.key", "a-b_c.D9", ".dot"] {
            assert!(is_valid_key(ok), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "$(x)", "x`y`", "a;b", &"k".repeat(254)] {
            assert!(!is_valid_key(bad), "{bad}");
        }
    }
}
