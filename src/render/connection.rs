//! A Pulsar connection on the command line: the instance's auth and TLS
//! flags. The connection itself (mount paths, plug-in names) is shared
//! vocabulary in `model::connection`.

use super::shell;
pub use crate::model::connection::*;

/// Client auth and TLS flags of the Pulsar instance (runtime connection only).
pub fn instance_args(conn: &Connection) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(o) = conn.oauth2() {
        args.extend(["--client_auth_plugin".into(), OAUTH2_PLUGIN.into()]);
        args.extend(["--client_auth_params".into(), shell::quote(&conn.oauth2_params(o))]);
    } else if let Some((plugin, params)) = conn.generic_auth() {
        args.extend(["--client_auth_plugin".into(), shell::word(plugin)]);
        args.extend(["--client_auth_params".into(), shell::quote(params)]);
    } else if conn.legacy_auth_secret() {
        // Quoted, unlike the operator: parameters with spaces stay one argument.
        args.extend(["--client_auth_plugin".into(), format!("\"{}\"", conn.var("clientAuthenticationPlugin"))]);
        args.extend(["--client_auth_params".into(), format!("\"{}\"", conn.var("clientAuthenticationParameters"))]);
    }
    args.extend(instance_tls_args(conn));
    args
}

fn instance_tls_args(conn: &Connection) -> Vec<String> {
    let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    match &conn.messaging.tls_config {
        None if conn.messaging.tls_secret.as_deref().is_some_and(|s| !s.is_empty()) => words(&[
            "--use_tls",
            "true",
            "--tls_allow_insecure",
            "${tlsAllowInsecureConnection:-false}",
            "--hostname_verification_enabled",
            "${tlsHostnameVerificationEnable:-true}",
            "--tls_trust_cert_path",
            "$tlsTrustCertsFilePath",
        ]),
        None => words(&["--use_tls", "false"]),
        Some(tls) => {
            let enabled = tls.enabled.unwrap_or(false);
            let mut args = vec!["--use_tls".to_string(), enabled.to_string()];
            if enabled {
                args.extend(["--tls_allow_insecure".into(), tls.allow_insecure.unwrap_or(false).to_string()]);
                args.extend([
                    "--hostname_verification_enabled".into(),
                    tls.hostname_verification.unwrap_or(false).to_string(),
                ]);
                if let Some(path) = conn.tls_cert_path() {
                    args.extend(["--tls_trust_cert_path".into(), shell::word(&path)]);
                }
            }
            args
        }
    }
}
