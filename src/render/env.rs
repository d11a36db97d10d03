//! Container environment: `env` and `envFrom` (reference §2.10), with
//! `secretsMap` entries sorted by name so the output is byte-stable.

use super::logconfig;
use crate::model::ComponentSpec;
use crate::model::common::PulsarMessaging;
use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, EnvFromSource, EnvVar, EnvVarSource, ObjectFieldSelector, SecretEnvSource, SecretKeySelector,
};

pub fn pod_name() -> EnvVar {
    EnvVar {
        name: "POD_NAME".into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector { field_path: "metadata.name".into(), api_version: None }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn plain(name: &str, value: &str) -> EnvVar {
    EnvVar { name: name.into(), value: Some(value.into()), ..Default::default() }
}

pub fn main_env(spec: &ComponentSpec) -> Vec<EnvVar> {
    let mut env = vec![pod_name()];
    for (name, secret) in spec.secrets_map.iter().flatten() {
        env.push(EnvVar {
            name: name.clone(),
            value_from: Some(EnvVarSource {
                secret_key_ref: Some(SecretKeySelector {
                    name: secret.path.clone(),
                    key: secret.key.clone().unwrap_or_default(),
                    optional: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    env.extend(spec.pod.as_ref().and_then(|p| p.env.clone()).unwrap_or_default());
    if let Some(g) = &spec.golang
        && g.log.as_ref().is_none_or(|l| l.log_config.is_none())
    {
        env.push(plain("LOGGING_LEVEL", logconfig::go_level(g.log.as_ref().and_then(|l| l.level))));
    }
    env
}

fn env_from(messaging: &PulsarMessaging, prefix: Option<&str>) -> Vec<EnvFromSource> {
    let prefix = prefix.map(str::to_string);
    let mut out = Vec::new();
    if let Some(cm) = messaging.pulsar_config.as_ref().filter(|s| !s.is_empty()) {
        out.push(EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource { name: cm.clone(), optional: None }),
            prefix: prefix.clone(),
            ..Default::default()
        });
    }
    for secret in [&messaging.auth_secret, &messaging.tls_secret].into_iter().flatten().filter(|s| !s.is_empty()) {
        out.push(EnvFromSource {
            secret_ref: Some(SecretEnvSource { name: secret.clone(), optional: None }),
            prefix: prefix.clone(),
            ..Default::default()
        });
    }
    out
}

/// The runtime connection's sources, then the package service's with `PACKAGE_`.
pub fn main_env_from(spec: &ComponentSpec, include_package_service: bool) -> Vec<EnvFromSource> {
    let mut out = spec.pulsar.as_ref().map(|p| env_from(p, None)).unwrap_or_default();
    if include_package_service && let Some(p) = &spec.pulsar_package_service {
        out.extend(env_from(p, Some("PACKAGE_")));
    }
    out
}

/// envFrom of the download connection (for the init-container downloader).
pub fn download_env_from(spec: &ComponentSpec) -> Vec<EnvFromSource> {
    match (&spec.pulsar_package_service, &spec.pulsar) {
        (Some(p), _) => env_from(p, Some("PACKAGE_")),
        (None, Some(p)) => env_from(p, None),
        _ => Vec::new(),
    }
}
