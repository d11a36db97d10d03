//! The main container of a Go function started from fmc's runner image
//! (resolve/go_launcher.rs says why): the operator's container for a Go
//! function — ports, environment, resources, probes — with the runner image
//! and `fmc-runner launch-go` in place of the Go runner image and its `bash`
//! command. The instance configuration is the one the operator's command
//! passes; the runner fills in the pod's ordinal and the broker URL, as that
//! command's shell does. The binary lives in the download volume, which the
//! runner may write (to make the binary executable, or to fetch a pinned URL):
//! the root filesystem stays read-only.

use super::{command, native, pod, volumes};
use crate::model::GoLauncher;
use crate::options::BuildOptions;
use crate::resolve::Component;
use k8s_openapi::api::core::v1::{Container, Volume, VolumeMount};

/// The runner's argument that starts a Go function (runner/src/launch.rs).
pub const LAUNCH_ARG: &str = "launch-go";

/// The main container, mounting `mounts` and the download volume.
pub fn container(
    comp: &Component,
    launcher: &GoLauncher,
    options: &BuildOptions,
    mut mounts: Vec<VolumeMount>,
) -> Container {
    mounts.retain(|m| m.name != volumes::DOWNLOADER_VOLUME);
    mounts.push(volumes::mount(volumes::DOWNLOADER_VOLUME, crate::model::DOWNLOAD_DIR));
    let mut security = pod::container_security();
    security.read_only_root_filesystem = Some(true);
    let image = options.runner_images.get("native").cloned().unwrap_or_else(|| native::RUNNER_IMAGE.into());
    Container {
        image: Some(image),
        command: Some(launch_command(comp, launcher)),
        volume_mounts: Some(mounts),
        security_context: Some(security),
        ..pod::main_container(comp, options, Vec::new())
    }
}

/// `/fmc-runner launch-go --instance-conf JSON (--binary PATH | --url URL) [--sha256 HEX]
/// [--tls-trust-certs FILE] --work-dir DIR`.
fn launch_command(comp: &Component, launcher: &GoLauncher) -> Vec<String> {
    let mut args = vec!["/fmc-runner".to_string(), LAUNCH_ARG.into(), "--instance-conf".into()];
    args.push(command::go_conf_json(comp));
    let pairs = [
        ("--binary", &launcher.path),
        ("--url", &launcher.url),
        ("--sha256", &launcher.sha256),
        ("--tls-trust-certs", &launcher.tls_trust_certs),
    ];
    for (flag, value) in pairs {
        if let Some(value) = value {
            args.extend([flag.to_string(), value.clone()]);
        }
    }
    args.extend(["--work-dir".to_string(), crate::model::DOWNLOAD_DIR.into()]);
    args
}

/// The pod's volumes besides the component's own: the download volume, unless
/// the operator's downloader (which has it already) fetches the binary.
pub fn extra_volumes(launcher: &GoLauncher) -> Vec<Volume> {
    match launcher.code {
        Some(crate::model::RunnerCode::Download) => Vec::new(),
        _ => vec![volumes::empty_dir(volumes::DOWNLOADER_VOLUME)],
    }
}

/// The init container that copies the binary out of the image the operator would have run.
pub fn copier(launcher: &GoLauncher) -> Option<Container> {
    match launcher.code.clone()? {
        crate::model::RunnerCode::Copy { image, path } => Some(native::copier(image, path)),
        crate::model::RunnerCode::Download => None,
    }
}
