//! Workloads of the native runtime: fmc's own runner instead of a Pulsar
//! Functions instance.
//!
//! The pod runs the runner image (a static binary, FROM scratch, read-only root
//! filesystem) with its JSON configuration from a generated ConfigMap
//! `<workload>-runner`, mounted at `/etc/fmc/runner`. The broker URL comes from
//! the cluster ConfigMap the pod already imports (`brokerServiceURL`), so the
//! same configuration serves every cluster. Probes use the runner's `/healthz`
//! and `/readyz`; Prometheus scrapes `/metrics` on the metrics port.

use super::{env, pod};
use crate::options::BuildOptions;
use crate::resolve::Component;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, HTTPGetAction, KeyToPath, Probe, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

/// The default runner image (`--runner-image native=IMAGE` replaces it).
pub const RUNNER_IMAGE: &str = "fmc/runner:0.1.0";
pub const CONFIG_VOLUME: &str = "fmc-runner-config";
pub const PACKAGE_VOLUME: &str = "fmc-package";
pub const CONFIG_DIR: &str = "/etc/fmc/runner";
pub const CONFIG_FILE: &str = "runner.json";
/// The runner's crash journal (`journalDir`): an `emptyDir`, which survives a
/// container restart, so a message that stopped the runner is recognised.
pub const STATE_VOLUME: &str = "fmc-runner-state";
pub use crate::model::RUNNER_STATE_DIR as STATE_DIR;
pub const RUNNER_CONFIG_HASH_ANNOTATION: &str = "fmc.functionmesh.io/runner-config-hash";

/// The default image of the runner with its Python engine
/// (`--runner-image fmc-python=IMAGE` replaces it).
pub const PYTHON_RUNNER_IMAGE: &str = "fmc/runner-python:0.1.0";

/// The runner's image: a native mesh's `image`, else the build's or the
/// default one for the function's engine.
fn runner_image(comp: &Component, options: &BuildOptions) -> String {
    let native = comp.native.as_ref();
    if let Some(image) = native.and_then(|n| n.image.clone()) {
        return image;
    }
    let (key, default) = match comp.spec.python.is_some() {
        true => ("fmc-python", PYTHON_RUNNER_IMAGE),
        false => ("native", RUNNER_IMAGE),
    };
    options.runner_images.get(key).cloned().unwrap_or_else(|| default.into())
}

/// The init container that copies a Python function's code out of the
/// image the operator would have run, into the download volume the runner
/// reads it from (`RunnerCode::Copy`; a download uses the operator's
/// downloader, see `pod::downloader`). No shell: the path is one argument.
pub fn code_copier(comp: &Component) -> Option<Container> {
    let Some(crate::model::RunnerCode::Copy { image, path }) = comp.native.as_ref()?.code.clone() else {
        return None;
    };
    Some(copier(image, path))
}

/// An init container of `image` that copies `path` into the download volume.
pub fn copier(image: String, path: String) -> Container {
    let dest = format!("{}/{}", crate::model::DOWNLOAD_DIR, super::command::basename(&path));
    let mut security = pod::container_security();
    security.read_only_root_filesystem = Some(true);
    Container {
        name: "fmc-code".into(),
        image: Some(image),
        image_pull_policy: Some("IfNotPresent".into()),
        command: Some(vec!["cp".into(), path, dest]),
        volume_mounts: Some(vec![super::volumes::mount(super::volumes::DOWNLOADER_VOLUME, crate::model::DOWNLOAD_DIR)]),
        security_context: Some(security),
        ..Default::default()
    }
}

pub fn config_map_name(comp: &Component) -> String {
    format!("{}-runner", comp.workload_name())
}

/// The runner configuration as the ConfigMap holds it: sorted keys, pretty, newline-terminated.
pub fn config_text(comp: &Component) -> Option<String> {
    let native = comp.native.as_ref()?;
    let mut text = serde_json::to_string_pretty(&native.config).expect("invariant: JSON values serialize");
    text.push('\n');
    Some(text)
}

pub fn config_map(comp: &Component, meta: ObjectMeta) -> Option<ConfigMap> {
    let text = config_text(comp)?;
    Some(ConfigMap {
        metadata: meta,
        data: Some(BTreeMap::from([(CONFIG_FILE.to_string(), text)])),
        ..Default::default()
    })
}

/// The `emptyDir` of the runner's crash journal (a few bytes; capped at 1 MiB).
pub fn state_volume() -> Volume {
    Volume {
        name: STATE_VOLUME.into(),
        empty_dir: Some(k8s_openapi::api::core::v1::EmptyDirVolumeSource {
            size_limit: Some(k8s_openapi::apimachinery::pkg::api::resource::Quantity("1Mi".into())),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn config_volume(comp: &Component) -> Volume {
    Volume {
        name: CONFIG_VOLUME.into(),
        config_map: Some(ConfigMapVolumeSource { name: config_map_name(comp), ..Default::default() }),
        ..Default::default()
    }
}

/// The ConfigMap a `configmap://NAME/KEY` module is mounted from.
pub fn package_volume(comp: &Component) -> Option<(Volume, VolumeMount)> {
    let (name, key) = comp.native.as_ref()?.module_config_map.clone()?;
    let volume = Volume {
        name: PACKAGE_VOLUME.into(),
        config_map: Some(ConfigMapVolumeSource {
            name,
            items: Some(vec![KeyToPath { key: key.clone(), path: key, mode: None }]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mount = VolumeMount {
        name: PACKAGE_VOLUME.into(),
        mount_path: crate::model::PACKAGE_DIR.into(),
        read_only: Some(true),
        ..Default::default()
    };
    Some((volume, mount))
}

fn probe(path: &str, period: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::Int(pod::METRICS_PORT),
            scheme: Some("HTTP".into()),
            ..Default::default()
        }),
        period_seconds: Some(period),
        failure_threshold: Some(3),
        ..Default::default()
    }
}

pub fn container(comp: &Component, options: &BuildOptions, mut mounts: Vec<VolumeMount>) -> Container {
    let spec = &comp.spec;
    let image = runner_image(comp, options);
    mounts.push(VolumeMount {
        name: CONFIG_VOLUME.into(),
        mount_path: CONFIG_DIR.into(),
        read_only: Some(true),
        ..Default::default()
    });
    mounts.push(VolumeMount { name: STATE_VOLUME.into(), mount_path: STATE_DIR.into(), ..Default::default() });
    if comp.native.as_ref().is_some_and(|n| n.code.is_some()) {
        mounts.push(super::volumes::mount(super::volumes::DOWNLOADER_VOLUME, crate::model::DOWNLOAD_DIR));
    }
    let mut security = pod::container_security();
    // A static binary that writes nothing: the root filesystem can be read-only.
    security.read_only_root_filesystem = Some(true);
    Container {
        name: pod::container_name(comp),
        image: Some(image),
        command: Some(vec!["/fmc-runner".into(), "--config".into(), format!("{CONFIG_DIR}/{CONFIG_FILE}")]),
        ports: Some(vec![ContainerPort {
            name: Some("http-metrics".into()),
            container_port: pod::METRICS_PORT,
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        env: Some(env::main_env(spec)),
        env_from: Some(env::main_env_from(spec, true)).filter(|v| !v.is_empty()),
        resources: spec.resources.clone(),
        image_pull_policy: Some(pod::pull_policy(comp, options)),
        volume_mounts: Some(mounts),
        liveness_probe: Some(probe("/healthz", 10)),
        readiness_probe: Some(probe("/readyz", 5)),
        security_context: Some(security),
        ..Default::default()
    }
}
