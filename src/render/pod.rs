//! The pod template of a component's StatefulSet (reference §2.3–2.11): labels
//! and annotations, init containers, sidecars + main + filebeat containers,
//! volumes, probes, security context and the default anti-affinity.

use super::command::{self, image, main_command};
use super::connection::{Connection, OAUTH2_PLUGIN};
use super::download::{download_args, join};
use super::{env, logconfig, shell, volumes};
use crate::model::spec::LogTopicAgent;
use crate::options::BuildOptions;
use crate::resolve::Component;
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, Container, ContainerPort, EnvVar, HTTPGetAction, LocalObjectReference, PodAffinityTerm,
    PodAntiAffinity, PodSecurityContext, PodSpec, PodTemplateSpec, Probe, SeccompProfile, SecurityContext,
    WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

pub const GRPC_PORT: i32 = 9093;
pub const METRICS_PORT: i32 = 9094;
pub const FILEBEAT_IMAGE: &str = "streamnative/filebeat:v0.6.0";
pub const DOWNLOADER_IMAGE: &str = "streamnative/pulsarctl:2.10.2.3";
pub const CONFIG_HASH_ANNOTATION: &str = "fmc.functionmesh.io/config-hash";

pub fn container_name(comp: &Component) -> String {
    format!("pulsar-{}", comp.kind.component())
}

/// Template labels: component labels, then the controller config's resource
/// labels, then `pod.labels` (later wins).
pub fn template_labels(comp: &Component, options: &BuildOptions) -> BTreeMap<String, String> {
    let mut l = crate::resolve::labels::component_labels(comp);
    l.extend(options.resource_labels.clone());
    l.extend(comp.spec.pod.as_ref().and_then(|p| p.labels.clone()).unwrap_or_default());
    l
}

fn template_annotations(comp: &Component, options: &BuildOptions) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    a.insert("prometheus.io/scrape".into(), "true".into());
    a.insert("prometheus.io/port".into(), METRICS_PORT.to_string());
    a.extend(options.resource_annotations.clone());
    a.extend(comp.spec.pod.as_ref().and_then(|p| p.annotations.clone()).unwrap_or_default());
    a.insert(CONFIG_HASH_ANNOTATION.into(), comp.config_hash.clone());
    if let Some(text) = super::native::config_text(comp) {
        // A changed runner configuration rolls the pods, like a changed ConfigMap.
        a.insert(super::native::RUNNER_CONFIG_HASH_ANNOTATION.into(), crate::names::sha256_hex(&text));
    }
    a
}

/// The restricted-PSS container security context.
pub fn container_security() -> SecurityContext {
    SecurityContext {
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), add: None }),
        allow_privilege_escalation: Some(false),
        ..Default::default()
    }
}

fn default_pod_security(options: &BuildOptions) -> PodSecurityContext {
    PodSecurityContext {
        run_as_user: Some(10000),
        run_as_group: Some(10001),
        fs_group: Some(10001),
        run_as_non_root: Some(options.run_as_non_root),
        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), localhost_profile: None }),
        ..Default::default()
    }
}

fn ports() -> Vec<ContainerPort> {
    [("tcp-grpc", GRPC_PORT), ("http-metrics", METRICS_PORT)]
        .map(|(name, port)| ContainerPort {
            name: Some(name.into()),
            container_port: port,
            protocol: Some("TCP".into()),
            ..Default::default()
        })
        .to_vec()
}

/// HTTP liveness on the metrics port when `pod.liveness.periodSeconds > 0`.
/// Zero thresholds are written as the API server's defaults (1 and 3), so the
/// rendered object equals the live one.
pub fn liveness(comp: &Component) -> Option<Probe> {
    let l = comp.spec.pod.as_ref()?.liveness.as_ref()?;
    liveness_probe(l)
}

pub fn liveness_probe(l: &crate::model::common::Liveness) -> Option<Probe> {
    let period = l.period_seconds.filter(|p| *p > 0)?;
    Some(Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/".into()),
            port: IntOrString::Int(METRICS_PORT),
            scheme: Some("HTTP".into()),
            ..Default::default()
        }),
        initial_delay_seconds: Some(l.initial_delay_seconds.unwrap_or(0).max(0)),
        timeout_seconds: Some(period),
        period_seconds: Some(period),
        success_threshold: Some(l.success_threshold.filter(|v| *v > 0).unwrap_or(1)),
        failure_threshold: Some(l.failure_threshold.filter(|v| *v > 0).unwrap_or(3)),
        ..Default::default()
    })
}

pub fn main_container(
    comp: &Component,
    options: &BuildOptions,
    mounts: Vec<k8s_openapi::api::core::v1::VolumeMount>,
) -> Container {
    let spec = &comp.spec;
    Container {
        name: container_name(comp),
        image: Some(image(comp, options)),
        command: Some(main_command(comp, options)),
        ports: Some(ports()),
        env: Some(env::main_env(spec)),
        // The package service's sources too, with or without init containers:
        // the operator gives them to the main container either way.
        env_from: Some(env::main_env_from(spec, true)).filter(|v| !v.is_empty()),
        resources: spec.resources.clone(),
        image_pull_policy: Some(pull_policy(comp, options)),
        volume_mounts: Some(mounts).filter(|m| !m.is_empty()),
        liveness_probe: liveness(comp),
        startup_probe: spec.pod.as_ref().and_then(|p| p.startup_probe.clone()),
        security_context: Some(container_security()),
        ..Default::default()
    }
}

/// The main container's pull policy: the spec's, the controller config's, else `IfNotPresent`.
pub fn pull_policy(comp: &Component, options: &BuildOptions) -> String {
    comp.spec
        .image_pull_policy
        .clone()
        .or_else(|| options.runner_image_pull_policy.clone())
        .unwrap_or_else(|| "IfNotPresent".into())
}

/// The filebeat sidecar that ships `/pulsar/logs/functions/*.log` to the log
/// topic (when `logTopicAgent: sidecar` and a log topic is set).
fn filebeat_container(comp: &Component, mounts: Vec<k8s_openapi::api::core::v1::VolumeMount>) -> Option<Container> {
    let spec = &comp.spec;
    let topic = spec.log_topic.as_ref().filter(|t| !t.is_empty())?;
    if spec.log_topic_agent != Some(LogTopicAgent::Sidecar) {
        return None;
    }
    let mut env = spec.pod.as_ref().and_then(|p| p.env.clone()).unwrap_or_default();
    env.push(env::plain("logTopic", topic));
    env.push(env::pod_name());
    env.extend(filebeat_auth_env(comp)?);
    let script = format!(
        "echo {} > /usr/share/filebeat/config/filebeat.yaml && /usr/share/filebeat/filebeat -e -c /usr/share/filebeat/config/filebeat.yaml",
        shell::quote(&logconfig::filebeat_yaml())
    );
    let mut security = container_security();
    security.run_as_user = Some(1000);
    Some(Container {
        name: "filebeat".into(),
        image: Some(spec.filebeat_image.clone().unwrap_or_else(|| FILEBEAT_IMAGE.into())),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["/bin/sh".into(), "-c".into(), "--".into(), script]),
        env: Some(env),
        env_from: Some(env::main_env_from(spec, false)).filter(|v| !v.is_empty()),
        volume_mounts: Some(mounts).filter(|m| !m.is_empty()),
        security_context: Some(security),
        ..Default::default()
    })
}

/// Auth settings for filebeat; `None` when generic OAuth2 params do not parse
/// (the operator then silently drops the sidecar; the check stage reports it).
fn filebeat_auth_env(comp: &Component) -> Option<Vec<EnvVar>> {
    let Some(p) = &comp.spec.pulsar else { return Some(Vec::new()) };
    let conn = Connection::runtime(p);
    let mut env = Vec::new();
    if let Some(o) = conn.oauth2() {
        env.push(env::plain("oauth2Enabled", "true"));
        env.push(env::plain("oauth2IssuerUrl", &o.issuer_url));
        env.push(env::plain("oauth2Audience", &o.audience));
        env.push(env::plain("oauth2PrivateKey", &conn.oauth2_key_path(o)));
        if let Some(scope) = o.scope.as_ref().filter(|s| !s.is_empty()) {
            env.push(env::plain("oauth2Scope", scope));
        }
    } else if let Some((plugin, params)) = conn.generic_auth() {
        if plugin == "org.apache.pulsar.client.impl.auth.AuthenticationToken" {
            env.push(env::plain("clientAuthenticationParameters", params));
        } else if plugin == OAUTH2_PLUGIN {
            let parsed: serde_json::Value = serde_json::from_str(params).ok()?;
            env.push(env::plain("oauth2Enabled", "true"));
            for (var, key) in [
                ("oauth2IssuerUrl", "issuerUrl"),
                ("oauth2Audience", "audience"),
                ("oauth2PrivateKey", "privateKey"),
                ("oauth2Scope", "scope"),
            ] {
                if let Some(v) = parsed.get(key).and_then(|v| v.as_str()).filter(|v| !v.is_empty()) {
                    env.push(env::plain(var, v));
                }
            }
        }
    }
    Some(env)
}

/// The init container that downloads the package (init-container mode).
fn downloader(comp: &Component) -> Option<Container> {
    let spec = &comp.spec;
    if !volumes::needs_downloader(spec) {
        return None;
    }
    let pkg = command::package(spec)?;
    let conn = command::download_connection(spec)?;
    let dest = volumes::download_destination(&pkg.path);
    let location = pkg.location.as_deref()?;
    let cmd = join(&download_args(location, &dest, &conn, true, true));
    let mut mounts = vec![volumes::mount(volumes::DOWNLOADER_VOLUME, command::DOWNLOAD_DIR)];
    if !crate::model::is_http_url(location) {
        mounts.extend(volumes::connection_volumes(&conn).into_iter().map(|(_, m)| m));
    }
    mounts.extend(spec.volume_mounts.clone().unwrap_or_default());
    Some(Container {
        name: "downloader".into(),
        image: Some(spec.downloader_image.clone().unwrap_or_else(|| DOWNLOADER_IMAGE.into())),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["sh".into(), "-c".into(), cmd]),
        env: Some(vec![env::plain("HOME", "/tmp")]),
        env_from: Some(env::download_env_from(spec)).filter(|v| !v.is_empty()),
        volume_mounts: Some(mounts),
        security_context: Some(container_security()),
        ..Default::default()
    })
}

fn affinity(comp: &Component, options: &BuildOptions, labels: &BTreeMap<String, String>) -> Option<Affinity> {
    let pod = comp.spec.pod.as_ref();
    let mut affinity = pod.and_then(|p| p.affinity.clone());
    let disabled = pod.and_then(|p| p.disable_default_affinity).unwrap_or(false) || !options.add_default_affinity;
    if !disabled {
        let a = affinity.get_or_insert_with(Affinity::default);
        let anti = a.pod_anti_affinity.get_or_insert_with(PodAntiAffinity::default);
        anti.preferred_during_scheduling_ignored_during_execution.get_or_insert_with(Vec::new).push(
            WeightedPodAffinityTerm {
                weight: 100,
                pod_affinity_term: PodAffinityTerm {
                    label_selector: Some(LabelSelector { match_labels: Some(labels.clone()), match_expressions: None }),
                    topology_key: "kubernetes.io/hostname".into(),
                    ..Default::default()
                },
            },
        );
    }
    affinity
}

/// User sidecars and init containers without a security context get the
/// restricted one, so the pod passes the "restricted" Pod Security Standard; a
/// container that sets its own security context keeps it untouched.
fn secured(mut containers: Vec<Container>) -> Vec<Container> {
    for c in containers.iter_mut().filter(|c| c.security_context.is_none()) {
        c.security_context = Some(container_security());
    }
    containers
}

/// `pod.imagePullSecrets`, then the controller config's runner pull secrets.
fn pull_secrets(pod: &crate::model::common::PodPolicy, options: &BuildOptions) -> Option<Vec<LocalObjectReference>> {
    let mut secrets = pod.image_pull_secrets.clone().unwrap_or_default();
    for name in &options.runner_image_pull_secrets {
        let r = LocalObjectReference { name: name.clone() };
        if !secrets.contains(&r) {
            secrets.push(r);
        }
    }
    Some(secrets).filter(|s| !s.is_empty())
}

/// The full pod template of the component's StatefulSet.
pub fn pod_template(comp: &Component, options: &BuildOptions) -> PodTemplateSpec {
    let spec = &comp.spec;
    let pod = spec.pod.clone().unwrap_or_default();
    let launcher = comp.go_launcher.as_ref();
    let code = comp.native.as_ref().and_then(|n| n.code.clone());
    let code = code.or_else(|| launcher.map(|l| l.code.clone()).unwrap_or_default());
    // A Python function on fmc's runner always gets its code from an init
    // container, and a Go function it starts its binary (or fetches it itself).
    let init_mode = match &code {
        Some(crate::model::RunnerCode::Download) => true,
        Some(crate::model::RunnerCode::Copy { .. }) => false,
        None => {
            options.enable_init_containers
                && spec.generic_runtime.is_none()
                && comp.native.is_none()
                && launcher.is_none()
        }
    };
    let vols = volumes::pod_volumes(spec, init_mode);
    let labels = template_labels(comp, options);
    let mut containers = secured(pod.sidecars.clone().unwrap_or_default());
    let mut volumes = vols.volumes;
    if comp.native.is_some() {
        let mut mounts = vols.main_mounts;
        if let Some((volume, mount)) = super::native::package_volume(comp) {
            volumes.push(volume);
            mounts.push(mount);
        }
        // The runner reads a downloaded package from the download volume itself.
        mounts.retain(|m| m.name != volumes::DOWNLOADER_VOLUME);
        containers.push(super::native::container(comp, options, mounts));
        volumes.push(super::native::config_volume(comp));
        volumes.push(super::native::state_volume());
        if matches!(code, Some(crate::model::RunnerCode::Copy { .. })) {
            volumes.push(volumes::empty_dir(volumes::DOWNLOADER_VOLUME));
        }
    } else if let Some(launcher) = launcher {
        containers.push(super::go_launcher::container(comp, launcher, options, vols.main_mounts));
        volumes.extend(super::go_launcher::extra_volumes(launcher));
    } else {
        containers.push(main_container(comp, options, vols.main_mounts));
    }
    containers.extend(filebeat_container(comp, vols.filebeat_mounts));
    let mut init = secured(pod.init_containers.clone().unwrap_or_default());
    if init_mode {
        init.extend(downloader(comp));
    }
    init.extend(super::native::code_copier(comp));
    init.extend(launcher.and_then(super::go_launcher::copier));
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels.clone()),
            annotations: Some(template_annotations(comp, options)),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            affinity: affinity(comp, options, &labels),
            containers,
            init_containers: Some(init).filter(|i| !i.is_empty()),
            image_pull_secrets: pull_secrets(&pod, options),
            node_selector: pod.node_selector.clone().filter(|s| !s.is_empty()),
            security_context: Some(pod.security_context.clone().unwrap_or_else(|| default_pod_security(options))),
            service_account_name: pod.service_account_name.clone().filter(|s| !s.is_empty()),
            // Pulsar instances never call the Kubernetes API: no token unless the
            // user chose a service account (which may need one).
            automount_service_account_token: pod
                .service_account_name
                .as_deref()
                .is_none_or(str::is_empty)
                .then_some(false),
            termination_grace_period_seconds: pod.termination_grace_period_seconds,
            tolerations: pod.tolerations.clone().filter(|t| !t.is_empty()),
            volumes: Some(volumes).filter(|v| !v.is_empty()),
            ..Default::default()
        }),
    }
}
