//! C015 inline credentials in `genericAuth` parameters.
//!
//! The parameters end up on the pod's command line, readable by anyone who can
//! read the StatefulSet. A token or password written there is a leaked secret;
//! a key-file path or `file:` reference is fine.

use super::Ctx;
use crate::diagnostics::Diagnostic;

const TOKEN_PLUGIN: &str = "org.apache.pulsar.client.impl.auth.AuthenticationToken";

/// Whether a parameter value is a reference (a path or file URL), not a secret.
fn is_reference(v: &str) -> bool {
    v.is_empty() || v.starts_with('/') || v.starts_with("file:") || v.starts_with('$')
}

fn secret_keys(params: &str) -> Vec<String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(params) else {
        // key:value,key:value form
        return params
            .split(',')
            .filter_map(|kv| kv.split_once(':'))
            .filter(|(k, v)| is_secret_key(k) && !is_reference(v.trim()))
            .map(|(k, _)| k.trim().to_string())
            .collect();
    };
    map.iter()
        .filter(|(k, v)| is_secret_key(k) && v.as_str().is_some_and(|s| !is_reference(s)))
        .map(|(k, _)| k.clone())
        .collect()
}

fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    ["password", "secret", "token", "credential"].iter().any(|s| k.contains(s))
        && !k.contains("url")
        && !k.contains("path")
}

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let s = &ctx.comp.spec;
    for (conn, m) in [("pulsar", &s.pulsar), ("pulsarPackageService", &s.pulsar_package_service)] {
        let Some(m) = m else { continue };
        for auth in ["authConfig", "cleanupAuthConfig"] {
            let a = if auth == "authConfig" { &m.auth_config } else { &m.cleanup_auth_config };
            let Some(g) = a.as_ref().and_then(|a| a.generic_auth.as_ref()) else { continue };
            let params = g.client_authentication_parameters.trim();
            let inline_token = g.client_authentication_plugin == TOKEN_PLUGIN
                && !is_reference(params.strip_prefix("token:").unwrap_or(params));
            let keys = secret_keys(params);
            if inline_token || !keys.is_empty() {
                let what = if inline_token { "a token".to_string() } else { format!("`{}`", keys.join("`, `")) };
                out.push(
                    Diagnostic::error("C015", ctx.span(&[conn, auth, "genericAuth", "clientAuthenticationParameters"]), format!("inline credentials: the auth parameters contain {what}"))
                        .label("would be visible in the pod's command line")
                        .help("reference a key file mounted from a Secret (e.g. `file:///mnt/secrets/token`), use OAuth2 `keySecretName`, or the legacy `authSecret`"),
                );
            }
        }
    }
    out
}

/// Connector and function configs end up in `--function_details` on the command
/// line too. A literal password there is not refused (connectors have no other
/// way to take some settings), but it is reported so it can move to `secretsMap`.
pub fn config_credentials(ctx: &Ctx) -> Vec<Diagnostic> {
    let s = &ctx.comp.spec;
    let mut out = Vec::new();
    for (field, config) in
        [("funcConfig", &s.func_config), ("sourceConfig", &s.source_config), ("sinkConfig", &s.sink_config)]
    {
        for (key, value) in config.iter().flatten() {
            let literal = value.as_str().is_some_and(|v| !is_reference(v));
            if is_secret_key(key) && literal {
                out.push(
                    Diagnostic::warning("C015", ctx.span(&[field, key]), format!("`{field}.{key}` holds a literal credential"))
                        .label("visible in the pod's command line")
                        .help("put the value in a Secret and reference it with `secretsMap` (the connector reads it from the environment)"),
                );
            }
        }
    }
    out
}
