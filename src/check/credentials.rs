//! C015 inline credentials in `genericAuth` parameters and in configs.
//!
//! The parameters end up on the pod's command line, readable by anyone who can
//! read the StatefulSet. A token or password written there is a leaked secret;
//! a key-file path or `file:` reference is fine. Credential names are the ones
//! the report redacts (`diagnostics::redact`): `password`, `apiKey`,
//! `secretToken`, … at any depth, and passwords inside URLs.

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
            .filter(|(k, v)| (is_secret_key(k) && !is_reference(v.trim())) || holds_credential(v))
            .map(|(k, _)| k.trim().to_string())
            .collect();
    };
    map.iter()
        .filter(|(k, v)| v.as_str().is_some_and(|s| (is_secret_key(k) && !is_reference(s)) || holds_credential(s)))
        .map(|(k, _)| k.clone())
        .collect()
}

fn is_secret_key(k: &str) -> bool {
    crate::diagnostics::redact::is_credential_key(k)
}

/// Whether a literal string value is itself a credential carrier (a URL with a
/// password, `password=` parameters).
fn holds_credential(v: &str) -> bool {
    crate::diagnostics::redact::holds_url_credential(v)
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

/// Package URLs are copied into the pod's command line or download step: a
/// password inside one is C015 (refused, so no rendered object carries it).
pub fn package_credentials(ctx: &Ctx) -> Vec<Diagnostic> {
    let s = &ctx.comp.spec;
    let mut urls: Vec<([&str; 2], &str)> = Vec::new();
    if let Some(j) = &s.java {
        urls.push((["java", "jar"], &j.jar));
        urls.extend(j.jar_location.as_deref().map(|l| (["java", "jarLocation"], l)));
    }
    if let Some(p) = &s.python {
        urls.push((["python", "py"], &p.py));
        urls.extend(p.py_location.as_deref().map(|l| (["python", "pyLocation"], l)));
    }
    if let Some(g) = &s.golang {
        urls.push((["golang", "go"], &g.go));
        urls.extend(g.go_location.as_deref().map(|l| (["golang", "goLocation"], l)));
    }
    urls.into_iter()
        .filter(|(_, url)| holds_credential(url))
        .map(|(at, _)| crate::diagnostics::redact::url_credentials(ctx.span(&at), &at.join(".")))
        .collect()
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
            let mut found = Vec::new();
            literal_credentials(key, value, &mut vec![key.clone()], &mut found);
            for path in found {
                let mut at: Vec<&str> = vec![field];
                at.extend(path.iter().map(String::as_str));
                let shown = path.join(".");
                // A password inside a URL is refused: nothing needs one there.
                if url_at(value, &path[1..]).is_some_and(holds_credential) {
                    let name = if ctx.comp.io.is_some() { "config" } else { field };
                    out.push(crate::diagnostics::redact::url_credentials(ctx.span(&at), &format!("{name}.{shown}")));
                    continue;
                }
                // A native mesh says `config` and `secrets`, not the operator's words.
                let (field, help) = match ctx.comp.io {
                    Some(_) => (
                        "config",
                        "put the value in a Secret and name it under the component's `secrets` (`NAME: {secret: …, key: …}`; the connector reads it from the environment)",
                    ),
                    None => (
                        field,
                        "put the value in a Secret and reference it with `secretsMap` (the connector reads it from the environment)",
                    ),
                };
                out.push(
                    Diagnostic::warning("C015", ctx.span(&at), format!("`{field}.{shown}` holds a literal credential"))
                        .label("visible in the pod's command line")
                        .help(help),
                );
            }
        }
    }
    out
}

/// The string at `path` below `value`, if there is one.
fn url_at<'v>(value: &'v serde_json::Value, path: &[String]) -> Option<&'v str> {
    let mut at = value;
    for step in path {
        at = match at {
            serde_json::Value::Object(map) => map.get(step)?,
            serde_json::Value::Array(items) => items.get(step.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    at.as_str()
}

/// Paths (below the config) of literal credentials in `value`, at any depth.
fn literal_credentials(key: &str, value: &serde_json::Value, path: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
    match value {
        serde_json::Value::String(v) if (is_secret_key(key) && !is_reference(v)) || holds_credential(v) => {
            found.push(path.clone());
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                path.push(k.clone());
                literal_credentials(k, v, path, found);
                path.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                literal_credentials(key, v, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}
