//! A Pulsar connection (`spec.pulsar` or `spec.pulsarPackageService`) as a
//! pod sees it: env-var prefix, where its OAuth2 key and TLS certificate are
//! mounted, the auth plug-in names.
//!
//! Vocabulary below the stages: lower writes these paths into the native
//! runner's configuration, check compares plug-in names, render mounts the
//! files there and turns the rest into command-line flags
//! (`render::connection`), so all three must agree on one definition.

use super::common::{OAuth2Config, PulsarMessaging};

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
}
