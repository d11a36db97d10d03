//! The runner as its image runs it: the static binary alone in an otherwise
//! empty root filesystem (what `runner/Dockerfile` copies: `/fmc-runner` and
//! `/etc/nsswitch.conf`; what the container runtime adds: the standard `/dev`
//! nodes; what the pod spec mounts: `/etc/hosts` and the runner ConfigMap), as
//! uid 65532 with only the environment the pod sets, reaching the broker by
//! host name. (Without `/dev/urandom` the runner stops at start: this test
//! found that, and every OCI runtime provides it.)
//!
//! Needs the static build `scripts/test.sh` makes
//! (`RUSTFLAGS='-C target-feature=+crt-static' cargo build --target
//! x86_64-unknown-linux-gnu -p fmc-runner`) and root for `chroot`; skips
//! outside CI when either is missing.

mod support;

use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn static_binary() -> Option<PathBuf> {
    let path = project_root().join("target/x86_64-unknown-linux-gnu/debug/fmc-runner");
    let root = Command::new("id").arg("-u").output().ok().is_some_and(|o| o.stdout.starts_with(b"0\n"));
    if path.exists() && root {
        return Some(path);
    }
    assert!(std::env::var_os("CI").is_none(), "no static runner at {} or not root (scripts/test.sh)", path.display());
    eprintln!("skipping: no static runner build, or not root");
    None
}

/// Whether an ELF-64 file names a program interpreter (`PT_INTERP`): a
/// dynamically linked binary does, a static one does not.
fn has_interpreter(elf: &[u8]) -> bool {
    assert_eq!(&elf[..5], b"\x7fELF\x02", "an ELF-64 file");
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().expect("8 bytes")) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).any(|i| u32::from_le_bytes(elf[phoff + i * size..][..4].try_into().expect("4 bytes")) == 3)
}

fn install(root: &Path, path: &str, bytes: &[u8]) {
    let target = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(target.parent().expect("parent")).expect("dir");
    std::fs::write(target, bytes).expect("write");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_static_binary_runs_alone_in_an_empty_root_as_a_non_root_user() {
    let Some(bin) = pulsar_lite() else { return };
    let Some(runner) = static_binary() else { return };
    assert!(!has_interpreter(&std::fs::read(&runner).expect("binary")), "{} is dynamically linked", runner.display());

    let cluster = Cluster::start(&bin).await;
    let root = tempfile::tempdir().expect("root");
    let logs = tempfile::tempdir().expect("logs");
    // uid 65532 must be able to enter the new `/` (a temp dir is 0700).
    std::fs::set_permissions(root.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    install(root.path(), "/fmc-runner", &std::fs::read(&runner).expect("binary"));
    std::fs::set_permissions(root.path().join("fmc-runner"), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    // What the Dockerfile copies …
    install(
        root.path(),
        "/etc/nsswitch.conf",
        &std::fs::read(project_root().join("runner/image/nsswitch.conf")).expect("nss"),
    );
    // … what every OCI runtime gives a container (runc's default devices; the
    // runner's random numbers come from /dev/urandom) …
    std::fs::create_dir_all(root.path().join("dev")).expect("dev");
    for (name, minor) in [("null", 3), ("zero", 5), ("full", 7), ("random", 8), ("urandom", 9)] {
        let node = root.path().join("dev").join(name);
        let made = Command::new("mknod").args(["-m", "666"]).arg(&node).args(["c", "1", &minor.to_string()]).status();
        assert!(made.is_ok_and(|s| s.success()), "mknod {}", node.display());
    }
    // … and what the kubelet mounts.
    install(root.path(), "/etc/hosts", b"127.0.0.1 localhost pulsar-broker.pulsar.svc\n");
    let (input, output) = (topic("img-in"), topic("img-out"));
    let http = free_port();
    let config = json!({
        "tenant": "public", "namespace": "default", "name": "image", "inputs": [input], "output": output,
        "subscriptionPosition": "earliest", "function": {"jq": {"program": "{id, image: true}"}},
        "httpAddr": format!("127.0.0.1:{http}"),
    });
    install(root.path(), "/etc/fmc/runner/runner.json", config.to_string().as_bytes());
    let log_path = logs.path().join("runner.log");
    let log = std::fs::File::create(&log_path).ok();
    // The pod's environment only: no PATH, so name chroot by its full path.
    let chroot = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("chroot"))
        .find(|p| p.exists())
        .expect("chroot (coreutils)");
    let mut child = Command::new(chroot)
        .args(["--userspec=65532:65532"])
        .arg(root.path())
        .args(["/fmc-runner", "--config", "/etc/fmc/runner/runner.json"])
        .env_clear()
        .env("POD_NAME", "image-function-0")
        // The broker by the Service-like name /etc/hosts resolves.
        .env("brokerServiceURL", format!("pulsar://pulsar-broker.pulsar.svc:{}", cluster.relay.addr.port()))
        .stdout(Stdio::null())
        .stderr(log.map_or_else(Stdio::null, Stdio::from))
        .spawn()
        .expect("chroot runs");
    let ready = format!("http://127.0.0.1:{http}/readyz");
    let start = Instant::now();
    while !Command::new("curl").args(["-sf", &ready]).output().is_ok_and(|o| o.status.success()) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the runner exited in its empty root: {status}\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not ready in its empty root");
        std::thread::sleep(Duration::from_millis(50));
    }
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    produce(&client, &input, (0..100).map(|i| format!(r#"{{"id":{i}}}"#).into_bytes())).await;
    let got = collect(&mut out, Duration::from_secs(30), |p| p.starts_with(br#"{"id":99"#)).await;
    assert!(got.len() >= 100, "{} messages", got.len());
    assert_eq!(got[0], br#"{"id":0,"image":true}"#);
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0), "SIGTERM drains and exits 0 in the image too");
}
