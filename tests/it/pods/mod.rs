//! Runs a rendered pod as the kubelet would, under `runc` (issue 27): the
//! image's root filesystem (unpacked from its OCI layout, found by the digest
//! the pod names), init containers to completion, then the main container
//! with its command and arguments, environment (literal, `secretKeyRef`,
//! `configMapKeyRef`, `fieldRef` to the pod's name, `envFrom` ConfigMaps and
//! Secrets),
//! volumes (ConfigMaps from the rendered objects, the test's Secrets,
//! `emptyDir`), the security context's user, groups, capabilities and
//! read-only root, on the host network (so it reaches the broker on
//! loopback), its readiness probe polled until ready.
//!
//! What it does not honour it refuses by name (a panic naming the field),
//! so a rendering that grows a field no test can run fails instead of being
//! skipped.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Images the harness can run: a reference by digest → its OCI layout.
#[derive(Default)]
pub struct Images {
    layouts: BTreeMap<String, PathBuf>,
}

impl Images {
    /// A layout, known by the digest of its manifest.
    pub fn add(&mut self, layout: &Path) -> String {
        let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        let digest = index["manifests"][0]["digest"].as_str().unwrap().to_string();
        self.layouts.insert(digest.clone(), layout.to_path_buf());
        digest
    }

    /// A layout under a tag, as the test's own registry would serve it (an
    /// image a shipped example names, which the test stands in for).
    pub fn add_tagged(&mut self, reference: &str, layout: &Path) {
        self.layouts.insert(reference.to_string(), layout.to_path_buf());
    }

    fn layout(&self, image: &str) -> &Path {
        if let Some(tagged) = self.layouts.get(image) {
            return tagged;
        }
        let digest = image.split_once('@').map(|(_, d)| d).unwrap_or_else(|| {
            panic!("`{image}` names a tag the test does not serve; the harness runs images by digest")
        });
        self.layouts.get(digest).unwrap_or_else(|| panic!("no layout for {image}"))
    }
}

/// A team's image as the code-copying init containers `fmc build` renders
/// use it: busybox's `cp` (their command) and what `add` puts in, written as
/// an OCI layout at `layout` under `tag`.
pub fn team_image(layout: &Path, tag: &str, add: impl FnOnce(&mut fmc_images::Image)) -> PathBuf {
    let mut image = fmc_images::Image::default();
    image.add_file(Path::new("/bin/busybox"), "/bin/busybox").unwrap();
    image.add_symlink("/bin/cp", "/bin/busybox");
    add(&mut image);
    fmc_images::write_layout(&image, layout, tag, &BTreeMap::new()).unwrap();
    layout.to_path_buf()
}

/// What a pod is given besides the rendered objects.
pub struct World<'a> {
    pub objects: &'a [Value],
    pub images: &'a Images,
    /// Secret name → key → value (the cluster's Secrets, which fmc never renders).
    pub secrets: BTreeMap<String, BTreeMap<String, String>>,
    pub work: PathBuf,
    /// Host names the cluster's DNS would resolve, here to loopback (the
    /// broker's Service name of a mesh written for a real cluster).
    pub loopback_names: Vec<String>,
}

/// A running pod's main container, ended (and deleted) on drop.
pub struct Pod {
    pub name: String,
    /// From `runc run` of the main container to its readiness probe's 200.
    pub ready_after: Duration,
    id: String,
    child: Child,
    pub log: PathBuf,
}

impl Drop for Pod {
    fn drop(&mut self) {
        let _ = Command::new("runc").args(["kill", &self.id, "KILL"]).output();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("runc").args(["delete", "-f", &self.id]).output();
    }
}

/// Pods share the host's network, where every runner listens on 9094: one
/// test runs pods at a time (hold this while they run).
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether runc can run containers here (root, runc installed).
pub fn available() -> bool {
    let root = unsafe { libc_geteuid() } == 0;
    root && Command::new("runc").arg("--version").output().is_ok_and(|o| o.status.success())
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

/// Runs replica 0 of the StatefulSet `name`: its init containers, then its
/// main container until its readiness probe answers.
pub fn run_statefulset(world: &World, name: &str) -> Pod {
    let sts = find(world.objects, "StatefulSet", name);
    let pod_name = format!("{name}-0");
    let spec = &sts["spec"]["template"]["spec"];
    refuse_unknown(spec, POD_FIELDS, "pod spec");
    let volumes = volumes(world, spec, &pod_name);
    for (i, init) in spec["initContainers"].as_array().into_iter().flatten().enumerate() {
        let (id, bundle) = bundle(world, spec, init, &volumes, &pod_name, &format!("init{i}"));
        let out = Command::new("runc").args(["run", "--bundle"]).arg(&bundle).arg(&id).output().unwrap();
        let _ = Command::new("runc").args(["delete", "-f", &id]).output();
        assert!(
            out.status.success(),
            "init container {} of {pod_name} failed: {}{}",
            init["name"],
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let main = &spec["containers"][0];
    assert_eq!(spec["containers"].as_array().unwrap().len(), 1, "the harness runs one container per pod");
    let (id, bundle) = bundle(world, spec, main, &volumes, &pod_name, "main");
    let log = world.work.join(format!("{pod_name}.log"));
    let started = Instant::now();
    let child = Command::new("runc")
        .args(["run", "--bundle"])
        .arg(&bundle)
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(world.work.join(format!("{pod_name}.stderr"))).unwrap())
        .spawn()
        .unwrap();
    let mut pod = Pod { name: pod_name, ready_after: Duration::ZERO, id, child, log };
    wait_ready(&mut pod, main);
    pod.ready_after = started.elapsed();
    pod
}

const POD_FIELDS: &[&str] = &[
    "affinity",
    "automountServiceAccountToken",
    "containers",
    "initContainers",
    "securityContext",
    "terminationGracePeriodSeconds",
    "volumes",
];
const CONTAINER_FIELDS: &[&str] = &[
    "command",
    "args",
    "env",
    "envFrom",
    "image",
    "imagePullPolicy",
    "livenessProbe",
    "name",
    "ports",
    "readinessProbe",
    "resources",
    "securityContext",
    "volumeMounts",
];

fn refuse_unknown(object: &Value, known: &[&str], what: &str) {
    for key in object.as_object().into_iter().flat_map(|o| o.keys()) {
        assert!(known.contains(&key.as_str()), "the pod harness does not honour {what} field `{key}`");
    }
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the rendered objects"))
}

/// Each volume's folder on the host.
pub fn volumes(world: &World, spec: &Value, pod: &str) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for v in spec["volumes"].as_array().into_iter().flatten() {
        let name = v["name"].as_str().unwrap();
        let dir = world.work.join(pod).join("volumes").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(cm) = v.get("configMap") {
            let data = &find(world.objects, "ConfigMap", cm["name"].as_str().unwrap())["data"];
            write_items(
                &dir,
                data.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
                &cm["items"],
            );
        } else if let Some(secret) = v.get("secret") {
            let secret_name = secret["secretName"].as_str().unwrap();
            let data =
                world.secrets.get(secret_name).unwrap_or_else(|| panic!("the test gives no Secret {secret_name}"));
            write_items(&dir, data.iter().map(|(k, v)| (k.clone(), v.clone())), &secret["items"]);
        } else if v.get("emptyDir").is_some() {
            // The pod's fsGroup owns an emptyDir; world-writable stands in for it.
            chmod(&dir, 0o777);
        } else {
            panic!("the pod harness does not honour volume {v}");
        }
        out.insert(name.to_string(), dir);
    }
    out
}

fn write_items(dir: &Path, data: impl Iterator<Item = (String, String)>, items: &Value) {
    let data: BTreeMap<String, String> = data.collect();
    let chosen: Vec<(String, String)> = match items.as_array() {
        Some(items) => {
            items.iter().map(|i| (i["key"].as_str().unwrap().into(), i["path"].as_str().unwrap().into())).collect()
        }
        None => data.keys().map(|k| (k.clone(), k.clone())).collect(),
    };
    for (key, path) in chosen {
        let value = data.get(&key).unwrap_or_else(|| panic!("no key {key}"));
        std::fs::write(dir.join(path), value).unwrap();
    }
    chmod(dir, 0o755);
}

fn chmod(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A runc bundle for one container: its image's root filesystem and config.json.
fn bundle(
    world: &World,
    pod_spec: &Value,
    container: &Value,
    volumes: &BTreeMap<String, PathBuf>,
    pod: &str,
    which: &str,
) -> (String, PathBuf) {
    refuse_unknown(container, CONTAINER_FIELDS, "container");
    let image = container["image"].as_str().unwrap();
    let bundle = world.work.join(pod).join(which);
    let rootfs = bundle.join("rootfs");
    let _ = std::fs::remove_dir_all(&bundle);
    fmc_images::unpack(world.images.layout(image), &rootfs).unwrap();
    let (config, _) = fmc_images::read_layout(world.images.layout(image)).map(|(_, c)| (c, ())).unwrap();
    let mut args: Vec<Value> = Vec::new();
    match container["command"].as_array() {
        Some(command) => args.extend(command.iter().cloned()),
        None => args.extend(config["config"]["Entrypoint"].as_array().into_iter().flatten().cloned()),
    }
    args.extend(container["args"].as_array().into_iter().flatten().cloned());
    let security = &container["securityContext"];
    let pod_security = &pod_spec["securityContext"];
    let uid = security["runAsUser"].as_u64().or(pod_security["runAsUser"].as_u64()).unwrap_or(0);
    let gid = security["runAsGroup"].as_u64().or(pod_security["runAsGroup"].as_u64()).unwrap_or(0);
    if pod_security["runAsNonRoot"] == true {
        assert_ne!(uid, 0, "runAsNonRoot with no non-root user");
    }
    let drops_all = security["capabilities"]["drop"].as_array().is_some_and(|d| d.contains(&json!("ALL")));
    assert!(drops_all, "the harness runs containers that drop every capability");
    let hosts = world.work.join("hosts");
    let names = world.loopback_names.join(" ");
    std::fs::write(&hosts, format!("127.0.0.1 localhost {names}\n127.0.0.1 {pod}\n")).unwrap();
    let mut mounts = vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc"}),
        json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]}),
        json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]}),
        json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}),
        json!({"destination": "/etc/hosts", "type": "bind", "source": hosts, "options": ["rbind", "ro"]}),
    ];
    for m in container["volumeMounts"].as_array().into_iter().flatten() {
        refuse_unknown(m, &["name", "mountPath", "readOnly", "subPath"], "volumeMount");
        let mut source =
            volumes.get(m["name"].as_str().unwrap()).unwrap_or_else(|| panic!("no volume {}", m["name"])).clone();
        if let Some(sub) = m["subPath"].as_str() {
            source = source.join(sub);
        }
        let ro = if m["readOnly"] == true { "ro" } else { "rw" };
        mounts.push(json!({"destination": m["mountPath"], "type": "bind", "source": source, "options": ["rbind", ro]}));
    }
    let spec = json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": uid, "gid": gid, "additionalGids": pod_security["fsGroup"].as_u64().into_iter().collect::<Vec<_>>()},
            "args": args,
            "env": environment(world, container, pod, &config),
            "cwd": config["config"]["WorkingDir"].as_str().filter(|w| !w.is_empty()).unwrap_or("/"),
            "capabilities": {"bounding": [], "effective": [], "permitted": [], "ambient": []},
            "noNewPrivileges": security["allowPrivilegeEscalation"] == false,
        },
        "root": {"path": "rootfs", "readonly": security["readOnlyRootFilesystem"] == true},
        "hostname": pod,
        "mounts": mounts,
        "linux": {
            // No network namespace: the host's, so the broker on loopback is reachable.
            "namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    });
    std::fs::write(bundle.join("config.json"), serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
    let id = format!("fmc-{}-{which}-{}", pod.replace('.', "-"), std::process::id());
    (id, bundle)
}

/// The container's environment as the kubelet builds it: the image's, then
/// `envFrom`, then `env`.
pub fn environment(world: &World, container: &Value, pod: &str, config: &Value) -> Vec<String> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    // containerd's default when the image sets no PATH.
    env.insert("PATH".into(), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    for e in config["config"]["Env"].as_array().into_iter().flatten() {
        let (k, v) = e.as_str().unwrap().split_once('=').unwrap();
        env.insert(k.into(), v.into());
    }
    for from in container["envFrom"].as_array().into_iter().flatten() {
        if let Some(cm) = from["configMapRef"]["name"].as_str() {
            for (k, v) in find(world.objects, "ConfigMap", cm)["data"].as_object().unwrap() {
                env.insert(k.clone(), v.as_str().unwrap().into());
            }
        } else if let Some(secret) = from["secretRef"]["name"].as_str() {
            let data = world.secrets.get(secret).unwrap_or_else(|| panic!("the test gives no Secret {secret}"));
            env.extend(data.iter().map(|(k, v)| (k.clone(), v.clone())));
        } else {
            panic!("the harness does not honour envFrom {from}");
        }
    }
    for e in container["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap().to_string();
        let value = if let Some(v) = e["value"].as_str() {
            v.to_string()
        } else if e["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name" {
            pod.to_string()
        } else if let Some(r) = e["valueFrom"].get("secretKeyRef") {
            let secret =
                world.secrets.get(r["name"].as_str().unwrap()).unwrap_or_else(|| panic!("no Secret {}", r["name"]));
            secret.get(r["key"].as_str().unwrap()).unwrap_or_else(|| panic!("no key {}", r["key"])).clone()
        } else if let Some(r) = e["valueFrom"].get("configMapKeyRef") {
            let data = &find(world.objects, "ConfigMap", r["name"].as_str().unwrap())["data"];
            data[r["key"].as_str().unwrap()].as_str().unwrap().to_string()
        } else {
            panic!("the pod harness does not honour env {e}");
        };
        env.insert(name, value);
    }
    env.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// Polls the readiness probe (HTTP GET on the host network) until it answers 200.
fn wait_ready(pod: &mut Pod, container: &Value) {
    let probe = &container["readinessProbe"]["httpGet"];
    let Some(path) = probe["path"].as_str() else { return };
    let port = probe["port"].as_u64().unwrap_or_else(|| panic!("the harness takes a numeric probe port: {probe}"));
    let url = format!("http://127.0.0.1:{port}{path}");
    let start = Instant::now();
    loop {
        let ready = Command::new("curl").args(["-sf", &url]).output();
        if ready.is_ok_and(|o| o.status.success()) {
            return;
        }
        let log = std::fs::read_to_string(&pod.log).unwrap_or_default();
        let err = std::fs::read_to_string(pod.log.with_extension("stderr")).unwrap_or_default();
        let ended = pod.child.try_wait().ok().flatten();
        assert!(ended.is_none(), "{} ended ({ended:?}) before it was ready:\n{log}\n{err}", pod.name);
        assert!(start.elapsed() < Duration::from_secs(30), "{} not ready:\n{log}\n{err}", pod.name);
        std::thread::sleep(Duration::from_millis(50));
    }
}
