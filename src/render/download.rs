//! Package download commands (`wget`, `pulsarctl` or `pulsar-admin`).
//!
//! [`download_args`] returns the operator's argument arrays element for element
//! (its unit tests are ported in tests/), so the joined command is the same
//! program. Locations `function://`, `sink://`, `source://` use the packages
//! API; anything else the legacy `functions download`; `http(s)://` uses wget
//! when the image has it.

use super::connection::{Connection, OAUTH2_PLUGIN};
use super::shell;
use crate::model::{is_http_url, is_package_url};

pub const PULSARCTL_PREFIX: &str = "export PATH=$PATH:/pulsar/bin && ";

/// The download command for `location` into `dest`.
pub fn download_args(location: &str, dest: &str, conn: &Connection, pulsarctl: bool, wget: bool) -> Vec<String> {
    if is_http_url(location) && wget {
        return vec!["wget".into(), shell::word(location), "-O".into(), shell::word(dest)];
    }
    let mut args = admin_prefix(conn, pulsarctl);
    if is_package_url(location) {
        args.extend(["packages".into(), "download".into(), shell::word(location), "--path".into(), shell::word(dest)]);
    } else {
        args.extend(["functions".into(), "download".into(), "--path".into(), shell::word(location)]);
        args.extend(["--destination-file".into(), shell::word(dest)]);
    }
    args
}

/// The admin CLI (pulsarctl or pulsar-admin) with the connection's URL, auth and
/// TLS flags: the start of every download and cleanup command.
pub fn admin_prefix(conn: &Connection, pulsarctl: bool) -> Vec<String> {
    if pulsarctl { pulsarctl_prefix(conn) } else { pulsar_admin_prefix(conn) }
}

fn pulsarctl_prefix(conn: &Connection) -> Vec<String> {
    let url = conn.var("webServiceURL");
    let mut args: Vec<String> = vec![PULSARCTL_PREFIX.into()];
    if let Some(o) = conn.oauth2() {
        args.extend(["pulsarctl", "context", "set", "downloader", "--admin-service-url"].map(String::from));
        args.push(url);
        args.extend(["--issuer-endpoint".into(), shell::word(&o.issuer_url)]);
        args.extend(["--audience".into(), shell::word(&o.audience)]);
        args.extend(["--key-file".into(), shell::word(&conn.oauth2_key_path(o))]);
        if let Some(scope) = o.scope.as_deref().filter(|s| !s.is_empty()) {
            args.extend(["--scope".into(), shell::word(scope)]);
        }
        args.extend(["&& pulsarctl", "oauth2", "activate", "&& pulsarctl"].map(String::from));
    } else if let Some((plugin, params)) = conn.generic_auth() {
        let params = shell::quote(params);
        args.extend(["( pulsarctl", "oauth2", "activate", "--auth-params"].map(String::from));
        args.extend([params.clone(), "|| true ) &&".into(), "pulsarctl".into()]);
        args.extend(["--auth-plugin".into(), shell::word(plugin), "--auth-params".into(), params]);
        args.extend(["--admin-service-url".into(), url]);
    } else if conn.legacy_auth_secret() {
        let params = format!("\"{}\"", conn.var("clientAuthenticationParameters"));
        let plugin = format!("\"{}\"", conn.var("clientAuthenticationPlugin"));
        args.extend(["( pulsarctl", "oauth2", "activate", "--auth-params"].map(String::from));
        args.extend([params.clone(), "|| true ) &&".into(), "pulsarctl".into()]);
        args.extend(["--auth-plugin".into(), plugin, "--auth-params".into(), params]);
        args.extend(["--admin-service-url".into(), url]);
    } else {
        args.extend(["pulsarctl".into(), "--admin-service-url".into(), url]);
    }
    args.extend(pulsarctl_tls(conn));
    args
}

fn pulsarctl_tls(conn: &Connection) -> Vec<String> {
    let m = conn.messaging;
    match &m.tls_config {
        None if m.tls_secret.as_deref().is_some_and(|s| !s.is_empty()) => vec![
            format!("--tls-allow-insecure=${{{}tlsAllowInsecureConnection:-false}}", conn.env_prefix),
            format!("--tls-enable-hostname-verification=${{{}tlsHostnameVerificationEnable:-true}}", conn.env_prefix),
            "--tls-trust-cert-path".into(),
            conn.var("tlsTrustCertsFilePath"),
        ],
        Some(tls) if tls.enabled == Some(true) => {
            let mut args = vec![
                format!("--tls-allow-insecure={}", tls.allow_insecure.unwrap_or(false)),
                format!("--tls-enable-hostname-verification={}", tls.hostname_verification.unwrap_or(false)),
            ];
            if let Some(path) = conn.tls_cert_path() {
                args.extend(["--tls-trust-cert-path".into(), shell::word(&path)]);
            }
            args
        }
        _ => Vec::new(),
    }
}

fn pulsar_admin_prefix(conn: &Connection) -> Vec<String> {
    let mut args = vec!["/pulsar/bin/pulsar-admin".into(), "--admin-url".into(), conn.var("webServiceURL")];
    if let Some(o) = conn.oauth2() {
        args.extend(["--auth-plugin".into(), OAUTH2_PLUGIN.into()]);
        args.extend(["--auth-params".into(), shell::quote(&conn.oauth2_params(o))]);
    } else if let Some((plugin, params)) = conn.generic_auth() {
        args.extend(["--auth-plugin".into(), shell::word(plugin), "--auth-params".into(), shell::quote(params)]);
    } else if conn.legacy_auth_secret() {
        args.extend(["--auth-plugin".into(), format!("\"{}\"", conn.var("clientAuthenticationPlugin"))]);
        args.extend(["--auth-params".into(), format!("\"{}\"", conn.var("clientAuthenticationParameters"))]);
    }
    let m = conn.messaging;
    match &m.tls_config {
        // pulsar-admin's TLS switches take no value, so the legacy Secret's
        // settings cannot be forwarded; the operator passes both switches.
        None if m.tls_secret.as_deref().is_some_and(|s| !s.is_empty()) => {
            args.extend(
                ["--tls-allow-insecure", "--tls-enable-hostname-verification", "--tls-trust-cert-path"]
                    .map(String::from),
            );
            args.push(conn.var("tlsTrustCertsFilePath"));
        }
        Some(tls) if tls.enabled == Some(true) => {
            if tls.allow_insecure == Some(true) {
                args.push("--tls-allow-insecure".into());
            }
            if tls.hostname_verification == Some(true) {
                args.push("--tls-enable-hostname-verification".into());
            }
            if let Some(path) = conn.tls_cert_path() {
                args.extend(["--tls-trust-cert-path".into(), shell::word(&path)]);
            }
        }
        _ => {}
    }
    args
}

/// Joins command elements with single spaces (elements are trimmed, so the
/// operator's double spaces around `&& ` do not appear).
pub fn join(args: &[String]) -> String {
    args.iter().map(|a| a.trim()).filter(|a| !a.is_empty()).collect::<Vec<_>>().join(" ")
}
