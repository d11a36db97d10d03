//! A Pulsar connection (`spec.pulsar` or `spec.pulsarPackageService`) as the
//! command line sees it: env-var prefix, mount paths, auth and TLS flags.

use super::shell;
use crate::model::common::{OAuth2Config, PulsarMessaging};

pub const OAUTH2_PLUGIN: &str = "org.apache.pulsar.client.impl.auth.oauth2.AuthenticationOAuth2";
pub const TLS_MOUNT: &str = "/etc/tls/pulsar-functions";
pub const OAUTH2_MOUNT: &str = "/etc/oauth2";
pub const PACKAGE_TLS_MOUNT: &str = "/etc/tls/pulsar-functions-package-service";
pub const PACKAGE_OAUTH2_MOUNT: &str = "/etc/oauth2-package-service";

#[derive(Debug, Clone, Copy)]
pub struct Connection<'a> {
    pub messaging: &'a PulsarMessaging,
    /// `""` for the runtime connection, `PACKAGE_` for the package service.
    pub env_prefix: &'static str,
    pub oauth2_mount: &'static str,
    pub tls_mount: &'static str,
}

impl<'a> Connection<'a> {
    pub fn runtime(messaging: &'a PulsarMessaging) -> Self {
        Connection { messaging, env_prefix: "", oauth2_mount: OAUTH2_MOUNT, tls_mount: TLS_MOUNT }
    }

    pub fn package_service(messaging: &'a PulsarMessaging) -> Self {
        Connection {
            messaging,
            env_prefix: "PACKAGE_",
            oauth2_mount: PACKAGE_OAUTH2_MOUNT,
            tls_mount: PACKAGE_TLS_MOUNT,
        }
    }

    /// `$<prefix><name>`: an env var from the connection's ConfigMap or Secrets.
    pub fn var(&self, name: &str) -> String {
        format!("${}{name}", self.env_prefix)
    }

    pub fn oauth2(&self) -> Option<&'a OAuth2Config> {
        self.messaging.auth_config.as_ref()?.oauth2_config.as_ref()
    }

    pub fn generic_auth(&self) -> Option<(&'a str, &'a str)> {
        let g = self.messaging.auth_config.as_ref()?.generic_auth.as_ref()?;
        Some((&g.client_authentication_plugin, &g.client_authentication_parameters))
    }

    pub fn legacy_auth_secret(&self) -> bool {
        self.messaging.auth_config.is_none() && self.messaging.auth_secret.as_deref().is_some_and(|s| !s.is_empty())
    }

    /// The OAuth2 key file path inside the container.
    pub fn oauth2_key_path(&self, o: &OAuth2Config) -> String {
        format!("{}/{}", self.oauth2_mount, o.key_secret_key)
    }

    /// The OAuth2 client parameters JSON (key order as the operator writes it).
    pub fn oauth2_params(&self, o: &OAuth2Config) -> String {
        let key = self.oauth2_key_path(o);
        let j = |s: &str| serde_json::to_string(s).expect("invariant: strings serialize");
        format!(
            "{{\"credentials_url\":{},\"privateKey\":{},\"private_key\":{},\"issuerUrl\":{},\"issuer_url\":{},\"audience\":{},\"scope\":{}}}",
            j(&format!("file://{key}")),
            j(&key),
            j(&key),
            j(&o.issuer_url),
            j(&o.issuer_url),
            j(&o.audience),
            j(o.scope.as_deref().unwrap_or(""))
        )
    }

    /// The trust-cert path when TLS is enabled with a cert Secret.
    pub fn tls_cert_path(&self) -> Option<String> {
        let tls = self.messaging.tls_config.as_ref()?;
        let (_, key) = tls.cert_volume()?;
        Some(format!("{}/{key}", self.tls_mount))
    }

    /// Client auth and TLS flags of the Pulsar instance (runtime connection only).
    pub fn instance_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(o) = self.oauth2() {
            args.extend(["--client_auth_plugin".into(), OAUTH2_PLUGIN.into()]);
            args.extend(["--client_auth_params".into(), shell::quote(&self.oauth2_params(o))]);
        } else if let Some((plugin, params)) = self.generic_auth() {
            args.extend(["--client_auth_plugin".into(), shell::word(plugin)]);
            args.extend(["--client_auth_params".into(), shell::quote(params)]);
        } else if self.legacy_auth_secret() {
            // Quoted, unlike the operator: parameters with spaces stay one argument.
            args.extend(["--client_auth_plugin".into(), format!("\"{}\"", self.var("clientAuthenticationPlugin"))]);
            args.extend(["--client_auth_params".into(), format!("\"{}\"", self.var("clientAuthenticationParameters"))]);
        }
        args.extend(self.instance_tls_args());
        args
    }

    fn instance_tls_args(&self) -> Vec<String> {
        let words = |s: &[&str]| s.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        match &self.messaging.tls_config {
            None if self.messaging.tls_secret.as_deref().is_some_and(|s| !s.is_empty()) => words(&[
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
                    if let Some(path) = self.tls_cert_path() {
                        args.extend(["--tls_trust_cert_path".into(), shell::word(&path)]);
                    }
                }
                args
            }
        }
    }
}
