//! Pulsar clusters of a mesh → the operator's `pulsar` messaging block.
//!
//! A cluster given by URL becomes a generated ConfigMap `<mesh>-cluster-<name>`
//! (keys `webServiceURL`, `brokerServiceURL`, as the operator's `pulsarConfig`
//! expects); one given by `pulsarConfig` refers to an existing ConfigMap. Auth
//! and TLS material are Secret references only: a token is mounted as a file
//! and passed to Pulsar's token plug-in as `file://…`, so it never appears in a
//! rendered object. The Secrets and ConfigMap a cluster names are checked once,
//! at the cluster ([`ClusterReference`]), not once per component using it.
//! Codes: R009, R011.

use super::diagnostics as diag;
use super::{Lowered, MeshCtx};
use crate::model::common::{AuthConfig, GenericAuth, OAuth2Config, PulsarMessaging, TlsConfig};
use crate::model::dsl::{ClusterDecl, Credential, SecretKeyRef};
use crate::model::reference::{RefKind, Reference};
use crate::model::*;
use k8s_openapi::api::core::v1::{KeyToPath, SecretVolumeSource, Volume, VolumeMount};
use std::collections::BTreeMap;

/// What a component using a cluster gets.
#[derive(Debug, Clone, Default)]
pub struct ClusterUse {
    pub pulsar: PulsarMessaging,
    pub cluster_name: Option<String>,
    pub volumes: Vec<Volume>,
    pub mounts: Vec<VolumeMount>,
}

/// A ConfigMap or Secret a mesh cluster names (its `pulsarConfig`, token,
/// OAuth2 key or CA certificate), checked once by resolve, at the cluster:
/// `reference.path` is relative to `origin` (`spec.clusters.<name>`).
#[derive(Debug, Clone)]
pub struct ClusterReference {
    pub reference: Reference,
    pub origin: Origin,
    pub namespace: String,
}

pub const TOKEN_PLUGIN: &str = "org.apache.pulsar.client.impl.auth.AuthenticationToken";
const TOKEN_VOLUME: &str = "fmc-pulsar-token";
const TOKEN_DIR: &str = "/etc/fmc/pulsar-token";

pub fn lower(ctx: &mut MeshCtx, out: &mut Lowered) -> BTreeMap<String, ClusterUse> {
    let mut result = BTreeMap::new();
    for (name, decl) in ctx.spec.clusters.clone().unwrap_or_default() {
        if let Some(cluster) = lower_one(ctx, &name, &decl, out) {
            result.insert(name, cluster);
        }
    }
    result
}

fn lower_one(ctx: &mut MeshCtx, name: &str, decl: &ClusterDecl, out: &mut Lowered) -> Option<ClusterUse> {
    let span = ctx.key_span(&["clusters", name]);
    let config_map = match (&decl.pulsar_config, &decl.broker_service_url, &decl.web_service_url) {
        (Some(cm), None, None) => cm.clone(),
        (None, Some(broker), Some(web)) => {
            let problem = url_problem(broker, &["pulsar://", "pulsar+ssl://"], "brokerServiceUrl")
                .or_else(|| url_problem(web, &["http://", "https://"], "webServiceUrl"));
            if let Some((field, problem)) = problem {
                // The label goes on the URL at fault, not on the cluster's name.
                let at = ctx.span(&["clusters", name, field]);
                let d = diag::invalid_cluster(at, name, &problem).label("this URL");
                ctx.diags.push(d.help("write the URL with its scheme: `pulsar://host:6650`, `http://host:8080`"));
                return None;
            }
            for (field, url) in [("brokerServiceUrl", broker), ("webServiceUrl", web)] {
                if crate::diagnostics::redact::holds_url_credential(url) {
                    let at = ctx.span(&["clusters", name, field]);
                    ctx.diags.push(crate::diagnostics::redact::url_credentials(at, field));
                    return None;
                }
            }
            let cm = format!("{}-cluster-{name}", ctx.meta.name);
            out.resources.push(Resource::Passthrough(config_map(ctx, name, &cm, broker, web)));
            cm
        }
        (Some(_), _, _) => {
            ctx.diags.push(diag::invalid_cluster(span, name, "`pulsarConfig` and URLs are exclusive"));
            return None;
        }
        _ => {
            ctx.diags.push(diag::invalid_cluster(span, name, "needs both service URLs, or `pulsarConfig`"));
            return None;
        }
    };
    if decl.pulsar_config.is_some() {
        let keys = vec!["webServiceURL".to_string(), "brokerServiceURL".to_string()];
        out.cluster_references.push(reference(ctx, name, RefKind::ConfigMap, &config_map, keys, &["pulsarConfig"]));
    }
    let mut cluster = ClusterUse {
        pulsar: PulsarMessaging { pulsar_config: Some(config_map), ..PulsarMessaging::default() },
        cluster_name: decl.cluster_name.clone(),
        ..ClusterUse::default()
    };
    let tls_url = [&decl.broker_service_url, &decl.web_service_url]
        .iter()
        .any(|u| u.as_deref().is_some_and(|u| u.starts_with("pulsar+ssl://") || u.starts_with("https://")));
    if tls_url && decl.tls.as_ref().and_then(|t| t.enabled) == Some(false) {
        let at = ctx.span(&["clusters", name, "tls", "enabled"]);
        let problem = "`tls.enabled: false` contradicts a `pulsar+ssl://` or `https://` URL";
        ctx.diags.push(
            diag::invalid_cluster(at, name, problem)
                .label("TLS turned off here")
                .help("use `pulsar://` and `http://` URLs for a plain connection, or remove `enabled: false`"),
        );
        return None;
    }
    if tls_url && decl.tls.is_none() {
        // The scheme says TLS: the instance must be told so too (else `--use_tls false`).
        cluster.pulsar.tls_config = Some(TlsConfig { enabled: Some(true), ..TlsConfig::default() });
    }
    if let Some(tls) = &decl.tls {
        cluster.pulsar.tls_config = Some(TlsConfig {
            enabled: Some(tls.enabled.unwrap_or(true)),
            allow_insecure: tls.allow_insecure,
            hostname_verification: tls.hostname_verification,
            cert_secret_name: tls.ca_cert.as_ref().map(|c| c.secret.clone()),
            cert_secret_key: tls.ca_cert.as_ref().map(|c| c.key.clone()),
        });
        // The operator mounts the CA only when both are non-empty; so is it checked.
        if let Some(ca) = tls.ca_cert.as_ref().filter(|c| !c.secret.is_empty() && !c.key.is_empty()) {
            let r = reference(ctx, name, RefKind::Secret, &ca.secret, vec![ca.key.clone()], &["tls", "caCert"]);
            out.cluster_references.push(r);
        }
    }
    auth(ctx, name, decl, &mut cluster, out)?;
    Some(cluster)
}

fn reference(
    ctx: &MeshCtx,
    cluster: &str,
    kind: RefKind,
    object: &str,
    required_keys: Vec<String>,
    path: &[&str],
) -> ClusterReference {
    let base = ["spec", "clusters", cluster].iter().map(|k| crate::ast::PathSeg::Key((*k).into())).collect();
    ClusterReference {
        reference: Reference {
            kind,
            name: object.to_string(),
            required_keys,
            path: path.iter().map(|p| p.to_string()).collect(),
        },
        origin: Origin { doc: ctx.doc, base },
        namespace: ctx.meta.namespace.clone().unwrap_or_else(|| ctx.options.default_namespace.clone()),
    }
}

/// The field and the problem of a service URL that is not one.
fn url_problem<'f>(url: &str, schemes: &[&str], field: &'f str) -> Option<(&'f str, String)> {
    match schemes.iter().find(|s| url.starts_with(**s)) {
        Some(s) if url.len() > s.len() && !url.contains(char::is_whitespace) => None,
        _ => Some((field, format!("`{field}` `{url}` must start with {}", schemes.join(" or ")))),
    }
}

fn config_map(ctx: &MeshCtx, cluster: &str, name: &str, broker: &str, web: &str) -> PassthroughDoc {
    let namespace = ctx.generated_namespace();
    let mut value = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "fmc", crate::model::CLUSTER_LABEL: cluster},
        },
        "data": {"brokerServiceURL": broker, "webServiceURL": web},
    });
    if let Some(ns) = &namespace {
        value["metadata"]["namespace"] = ns.clone().into();
    }
    PassthroughDoc {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        name: name.to_string(),
        namespace,
        value,
        origin: Origin {
            doc: ctx.doc,
            base: ["spec", "clusters", cluster].iter().map(|k| crate::ast::PathSeg::Key((*k).into())).collect(),
        },
        made: crate::model::Made::Generated,
    }
}

fn secret_ref(ctx: &mut MeshCtx, cred: &Credential, path: &[&str], what: &str) -> Option<SecretKeyRef> {
    match cred {
        Credential::Secret(s) => Some(s.clone()),
        Credential::Inline(_) => {
            let span = ctx.span(path);
            ctx.diags.push(diag::inline_credential(span, what));
            None
        }
    }
}

fn auth(ctx: &mut MeshCtx, name: &str, decl: &ClusterDecl, cluster: &mut ClusterUse, out: &mut Lowered) -> Option<()> {
    let Some(auth) = &decl.auth else { return Some(()) };
    match (&auth.token, &auth.oauth2) {
        (Some(_), Some(_)) => {
            let span = ctx.key_span(&["clusters", name, "auth"]);
            ctx.diags.push(diag::invalid_cluster(span, name, "give one of `token` and `oauth2`, not both"));
            None
        }
        (Some(token), None) => {
            let s = secret_ref(ctx, token, &["clusters", name, "auth", "token"], "the cluster's auth token")?;
            let r = reference(ctx, name, RefKind::Secret, &s.secret, vec![s.key.clone()], &["auth", "token"]);
            out.cluster_references.push(r);
            cluster.volumes.push(Volume {
                name: TOKEN_VOLUME.into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(s.secret),
                    items: Some(vec![KeyToPath { key: s.key, path: "token".into(), mode: None }]),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            });
            cluster.mounts.push(VolumeMount {
                name: TOKEN_VOLUME.into(),
                mount_path: TOKEN_DIR.into(),
                read_only: Some(true),
                ..VolumeMount::default()
            });
            cluster.pulsar.auth_config = Some(AuthConfig {
                generic_auth: Some(GenericAuth {
                    client_authentication_plugin: TOKEN_PLUGIN.into(),
                    client_authentication_parameters: format!("file://{TOKEN_DIR}/token"),
                }),
                ..AuthConfig::default()
            });
            Some(())
        }
        (None, Some(o)) => {
            let path = ["clusters", name, "auth", "oauth2", "privateKey"];
            let key = secret_ref(ctx, &o.private_key, &path, "the cluster's OAuth2 private key")?;
            let at = ["auth", "oauth2", "privateKey"];
            out.cluster_references.push(reference(ctx, name, RefKind::Secret, &key.secret, vec![key.key.clone()], &at));
            cluster.pulsar.auth_config = Some(AuthConfig {
                oauth2_config: Some(OAuth2Config {
                    audience: o.audience.clone(),
                    issuer_url: o.issuer_url.clone(),
                    scope: o.scope.clone(),
                    key_secret_name: key.secret,
                    key_secret_key: key.key,
                }),
                ..AuthConfig::default()
            });
            Some(())
        }
        (None, None) => Some(()),
    }
}
