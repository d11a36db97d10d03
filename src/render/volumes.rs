//! Pod volumes and the main container's volume mounts (operator order, §2.8 of
//! the reference), with consumer crypto volumes sorted by topic instead of Go's
//! random map order.

use super::command::{self, DOWNLOAD_DIR, JAVA_LOG_DIR, PYTHON_LOG_DIR};
use super::connection::Connection;
use crate::model::ComponentSpec;
use crate::model::common::{CryptoSecret, Log4jFileType};
use crate::model::spec::LogTopicAgent;
use crate::names::sanitize_volume_name;
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, EmptyDirVolumeSource, KeyToPath, SecretVolumeSource, Volume, VolumeMount,
};

pub const FILEBEAT_VOLUME: &str = "filebeat-logs";
pub const DOWNLOADER_VOLUME: &str = "downloader-volume";
pub const LOG_DIR: &str = "/pulsar/logs/functions";

fn secret_volume(secret: &str, key: &str) -> Volume {
    Volume {
        name: sanitize_volume_name(&format!("{secret}-{key}")),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.to_string()),
            items: Some(vec![KeyToPath { key: key.to_string(), path: key.to_string(), mode: None }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn configmap_volume(name: &str, cm: &str, key: &str, path: &str) -> Volume {
    Volume {
        name: sanitize_volume_name(name),
        config_map: Some(ConfigMapVolumeSource {
            name: cm.to_string(),
            items: Some(vec![KeyToPath { key: key.to_string(), path: path.to_string(), mode: None }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn empty_dir(name: &str) -> Volume {
    Volume { name: name.into(), empty_dir: Some(EmptyDirVolumeSource::default()), ..Default::default() }
}

pub fn mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount { name: name.to_string(), mount_path: path.to_string(), ..Default::default() }
}

/// TLS-cert and OAuth2-key volumes and mounts of one connection.
pub fn connection_volumes(conn: &Connection) -> Vec<(Volume, VolumeMount)> {
    let mut out = Vec::new();
    if let Some((name, key)) = conn.messaging.tls_config.as_ref().and_then(|t| t.cert_volume()) {
        let v = secret_volume(name, key);
        let m = mount(&v.name, conn.tls_mount);
        out.push((v, m));
    }
    if let Some(o) = conn.oauth2() {
        let v = secret_volume(&o.key_secret_name, &o.key_secret_key);
        let m = mount(&v.name, conn.oauth2_mount);
        out.push((v, m));
    }
    out
}

fn producer_crypto(spec: &ComponentSpec) -> Vec<CryptoSecret> {
    spec.output
        .as_ref()
        .and_then(|o| o.producer_conf.as_ref())
        .and_then(|p| p.crypto_config.as_ref())
        .and_then(|c| c.crypto_secrets.clone())
        .unwrap_or_default()
}

fn consumer_crypto(spec: &ComponentSpec) -> Vec<CryptoSecret> {
    spec.input
        .as_ref()
        .and_then(|i| i.source_specs.as_ref())
        .into_iter()
        .flatten()
        .flat_map(|(_, c)| c.crypto_config.as_ref().and_then(|c| c.crypto_secrets.clone()).unwrap_or_default())
        .collect()
}

/// Log-config ConfigMap volumes and their mounts.
fn log_config_volumes(spec: &ComponentSpec) -> Vec<(Volume, VolumeMount)> {
    let mut out = Vec::new();
    if let Some(lc) = spec.java.as_ref().and_then(|j| j.log.as_ref()).and_then(|l| l.log_config.as_ref()) {
        let file = match command::java_log_type(spec) {
            Log4jFileType::Yaml => "java_instance_log4j.yaml",
            _ => "java_instance_log4j.xml",
        };
        let v = configmap_volume(&format!("{}-java-log-conf", lc.name), &lc.name, &lc.key, file);
        let m = mount(&v.name, JAVA_LOG_DIR);
        out.push((v, m));
    }
    if let Some(lc) = spec.python.as_ref().and_then(|p| p.log.as_ref()).and_then(|l| l.log_config.as_ref()) {
        let v =
            configmap_volume(&format!("{}-python-log-conf", lc.name), &lc.name, &lc.key, "python_instance_logging.ini");
        let m = mount(&v.name, PYTHON_LOG_DIR);
        out.push((v, m));
    }
    out
}

/// Pod volumes and main-container mounts, in the operator's order.
pub struct PodVolumes {
    pub volumes: Vec<Volume>,
    pub main_mounts: Vec<VolumeMount>,
    /// Mounts shared with the filebeat sidecar (user mounts, logs, TLS, OAuth2).
    pub filebeat_mounts: Vec<VolumeMount>,
}

pub fn pod_volumes(spec: &ComponentSpec, init_mode: bool) -> PodVolumes {
    let mut volumes: Vec<Volume> = spec.pod.as_ref().and_then(|p| p.volumes.clone()).unwrap_or_default();
    let mut mounts: Vec<VolumeMount> = spec.volume_mounts.clone().unwrap_or_default();
    let mut filebeat = mounts.clone();
    if spec.log_topic_agent == Some(LogTopicAgent::Sidecar) {
        volumes.push(empty_dir(FILEBEAT_VOLUME));
        mounts.push(mount(FILEBEAT_VOLUME, LOG_DIR));
        filebeat.push(mount(FILEBEAT_VOLUME, LOG_DIR));
    }
    if let Some(p) = &spec.pulsar {
        for (v, m) in connection_volumes(&Connection::runtime(p)) {
            volumes.push(v);
            filebeat.push(m.clone());
            mounts.push(m);
        }
    }
    for s in producer_crypto(spec).iter().chain(consumer_crypto(spec).iter()) {
        let v = secret_volume(&s.secret_name, &s.secret_key);
        if let Some(path) = s.as_volume.as_ref().filter(|p| !p.is_empty()) {
            push_mount(&mut mounts, mount(&v.name, path));
        }
        push_volume(&mut volumes, v);
    }
    for (v, m) in log_config_volumes(spec) {
        volumes.push(v);
        mounts.push(m);
    }
    let download = command::download_connection(spec);
    // The package service's Secrets (OAuth2 key, CA) are mounted in the main
    // container with or without init containers, as the operator does.
    if let Some(pkg) = &spec.pulsar_package_service {
        for (v, m) in connection_volumes(&Connection::package_service(pkg)) {
            push_volume(&mut volumes, v);
            push_mount(&mut mounts, m);
        }
    }
    if init_mode && needs_downloader(spec) {
        if let Some(conn) = download {
            for (v, _) in connection_volumes(&conn) {
                push_volume(&mut volumes, v);
            }
        }
        volumes.push(empty_dir(DOWNLOADER_VOLUME));
    }
    if init_mode
        && spec.generic_runtime.is_none()
        && let Some(m) = downloader_main_mount(spec)
    {
        mounts.push(m);
    }
    PodVolumes { volumes, main_mounts: mounts, filebeat_mounts: filebeat }
}

/// Volumes are unique by name (a repeated crypto or cert Secret is mounted once).
fn push_volume(volumes: &mut Vec<Volume>, v: Volume) {
    if !volumes.iter().any(|x| x.name == v.name) {
        volumes.push(v);
    }
}

fn push_mount(mounts: &mut Vec<VolumeMount>, m: VolumeMount) {
    let same = |x: &VolumeMount| x.name == m.name && x.mount_path == m.mount_path && x.sub_path == m.sub_path;
    if !mounts.iter().any(same) {
        mounts.push(m);
    }
}

/// Init-container mode downloads only for java/python/go with a location.
pub fn needs_downloader(spec: &ComponentSpec) -> bool {
    spec.generic_runtime.is_none() && command::package(spec).is_some_and(|p| p.location.is_some())
}

/// Where the main container sees the downloaded package (operator
/// `generateDownloaderVolumeMountsForRuntime`): a file directly under `/pulsar/`
/// is mounted with `subPath`, anything deeper mounts the volume on its directory.
fn downloader_main_mount(spec: &ComponentSpec) -> Option<VolumeMount> {
    let pkg = command::package(spec).filter(|p| p.location.is_some())?;
    let path = command::init_mode_path(&pkg.path);
    let rest = path.strip_prefix("/pulsar/").unwrap_or(&path);
    if rest.contains('/') {
        let dir = &path[..path.rfind('/').unwrap_or(0)];
        Some(mount(DOWNLOADER_VOLUME, dir))
    } else {
        Some(VolumeMount { sub_path: Some(command::basename(&path).to_string()), ..mount(DOWNLOADER_VOLUME, &path) })
    }
}

/// The downloader init container's destination for the package.
pub fn download_destination(path: &str) -> String {
    format!("{DOWNLOAD_DIR}/{}", command::basename(path))
}
