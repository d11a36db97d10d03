//! `fmc-runner launch-go`: fmc's runner image as a Go function's launcher.
//!
//! Why: a Go function is one static binary that carries its own Pulsar client
//! (the Go Functions SDK). The operator starts it from an image with a JRE and
//! every Pulsar jar, only to run `bash`, download the package and `exec` it.
//! This does that work without a shell: find the binary (a path an init
//! container filled, or a pinned URL fetched here), check its pinned SHA-256,
//! make it executable, fill in what the operator's command leaves to its shell
//! — `${SHARD_ID}` (the pod's ordinal) and `${brokerServiceURL}` (from the
//! cluster ConfigMap in the environment) — and execute it with
//! `-instance-conf JSON`, as that command does. The function then owns the
//! process: its exit is the container's.
//!
//! Arguments (rendered by `fmc build`, src/render/go_launcher.rs):
//! `launch-go --instance-conf JSON (--binary PATH | --url URL) [--sha256 HEX]
//! [--tls-trust-certs FILE] --work-dir DIR`.

use crate::ops::log;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The first argument that selects this mode.
pub const LAUNCH_ARG: &str = "launch-go";

/// What to start, as the arguments say.
#[derive(Debug, Default, PartialEq)]
pub struct Launch {
    pub instance_conf: String,
    pub binary: Option<String>,
    pub url: Option<String>,
    pub sha256: Option<String>,
    /// A CA to trust for `url` besides the public roots (the cluster's, mounted by the pod).
    pub tls_trust_certs: Option<String>,
    pub work_dir: PathBuf,
}

impl Launch {
    /// The arguments after `launch-go`.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Launch, String> {
        let mut launch = Launch { work_dir: std::env::temp_dir(), ..Launch::default() };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("`{flag}` needs a value"))?;
            match flag.as_str() {
                "--instance-conf" => launch.instance_conf = value,
                "--binary" => launch.binary = Some(value),
                "--url" => launch.url = Some(value),
                "--sha256" => launch.sha256 = Some(value),
                "--tls-trust-certs" => launch.tls_trust_certs = Some(value),
                "--work-dir" => launch.work_dir = PathBuf::from(value),
                other => return Err(format!("unknown argument `{other}`")),
            }
        }
        if launch.instance_conf.is_empty() {
            return Err("no `--instance-conf`".into());
        }
        if launch.binary.is_none() == launch.url.is_none() {
            return Err("one of `--binary` and `--url` is needed".into());
        }
        Ok(launch)
    }
}

/// The instance configuration with the pod's ordinal and the broker URL in
/// place of `${SHARD_ID}` and `${brokerServiceURL}` in its strings, and the
/// ordinal as `instanceID`, as the operator's shell command fills them in.
pub fn instance_conf(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut conf: Value = serde_json::from_str(text).map_err(|e| format!("the instance configuration: {e}"))?;
    let pod = env("POD_NAME").ok_or("no POD_NAME in the environment (the pod's name gives the instance number)")?;
    let ordinal: u32 = pod
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("POD_NAME `{pod}` ends in no ordinal"))?;
    let broker = env("brokerServiceURL");
    let Value::Object(fields) = &mut conf else { return Err("the instance configuration is not a JSON object".into()) };
    for value in fields.values_mut() {
        if let Value::String(s) = value {
            let mut filled = s.replace("${SHARD_ID}", &ordinal.to_string());
            if filled.contains("${brokerServiceURL}") {
                let url = broker.as_deref().ok_or("no brokerServiceURL in the environment")?;
                filled = filled.replace("${brokerServiceURL}", url);
            }
            *s = filled;
        }
    }
    fields.insert("instanceID".into(), Value::from(ordinal));
    Ok(conf.to_string())
}

/// The binary, checked against its pin and executable: the path as given
/// (made executable in place, or as a copy under the work folder when it
/// cannot be), or the URL's bytes written under the work folder.
pub async fn binary(launch: &Launch) -> Result<PathBuf, String> {
    let pin = launch.sha256.as_deref();
    if let Some(url) = &launch.url {
        let bytes = crate::package::download(url, launch.tls_trust_certs.as_deref()).await?;
        crate::package::verify(&bytes, pin, url)?;
        return write_executable(&launch.work_dir, &bytes);
    }
    let path = launch.binary.clone().unwrap_or_default();
    let read = || std::fs::read(&path).map_err(|e| format!("cannot read the Go function {path}: {e}"));
    // Read only to check a pin, or to copy a binary that cannot be made executable in place.
    if pin.is_some() {
        crate::package::verify(&read()?, pin, &path)?;
    }
    if make_executable(Path::new(&path)).is_ok() {
        return Ok(PathBuf::from(path));
    }
    write_executable(&launch.work_dir, &read()?)
}

fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o111 == 0o111 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode | 0o755))
}

fn write_executable(dir: &Path, bytes: &[u8]) -> Result<PathBuf, String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("go-function");
    let _ = std::fs::remove_file(&path);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o755)
        .open(&path)
        .and_then(|mut f| f.write_all(bytes));
    written.map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Finds, checks and executes the binary; returns only if that fails.
pub fn run(args: impl IntoIterator<Item = String>) -> std::process::ExitCode {
    let started: Result<(), String> = Launch::parse(args).and_then(|launch| {
        let conf = instance_conf(&launch.instance_conf, |k| std::env::var(k).ok())?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        let runtime = runtime.map_err(|e| format!("cannot start: {e}"))?;
        let path = runtime.block_on(binary(&launch))?;
        drop(runtime);
        let shown = [("binary", path.display().to_string()), ("sha256", launch.sha256.clone().unwrap_or_default())];
        log("info", "starting the Go function", &shown);
        Err(exec(&path, &conf))
    });
    let why = started.err().unwrap_or_default();
    log("error", "cannot start the Go function", &[("error", why)]);
    std::process::ExitCode::from(2)
}

/// Replaces this process with the binary (returns only what went wrong).
fn exec(path: &Path, conf: &str) -> String {
    use std::os::unix::process::CommandExt;
    let error = std::process::Command::new(path).arg("-instance-conf").arg(conf).exec();
    format!("cannot execute {}: {error}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_ordinal_and_the_broker_fill_what_the_shell_would() {
        let text = r#"{"pulsarServiceURL":"${brokerServiceURL}","instanceID":0,"funcID":"${SHARD_ID}-uid","name":"n"}"#;
        let filled =
            instance_conf(text, env(&[("POD_NAME", "go-words-function-3"), ("brokerServiceURL", "pulsar://b:6650")]));
        let filled: Value = serde_json::from_str(&filled.unwrap()).unwrap();
        assert_eq!(
            filled,
            serde_json::json!({"pulsarServiceURL": "pulsar://b:6650", "instanceID": 3, "funcID": "3-uid", "name": "n"})
        );
    }

    #[test]
    fn a_value_that_looks_like_shell_stays_text() {
        let text =
            r#"{"pulsarServiceURL":"pulsar://b:6650","instanceID":0,"userConfig":"{\"x\":\"$(rm -rf /) ${HOME}\"}"}"#;
        let filled = instance_conf(text, env(&[("POD_NAME", "f-0"), ("HOME", "/root")])).unwrap();
        let filled: Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(filled["userConfig"], r#"{"x":"$(rm -rf /) ${HOME}"}"#);
    }

    #[test]
    fn without_a_pod_ordinal_or_a_broker_it_refuses() {
        let text = r#"{"pulsarServiceURL":"${brokerServiceURL}","instanceID":0}"#;
        assert!(instance_conf(text, env(&[])).unwrap_err().contains("POD_NAME"));
        assert!(instance_conf(text, env(&[("POD_NAME", "f")])).unwrap_err().contains("ordinal"));
        assert!(instance_conf(text, env(&[("POD_NAME", "f-1")])).unwrap_err().contains("brokerServiceURL"));
    }

    #[test]
    fn arguments_name_one_binary_and_a_configuration() {
        let args = |a: &[&str]| Launch::parse(a.iter().map(|s| s.to_string()));
        let ok = args(&["--instance-conf", "{}", "--binary", "/b", "--sha256", "ab", "--work-dir", "/w"]).unwrap();
        assert_eq!((ok.binary.as_deref(), ok.sha256.as_deref(), ok.work_dir), (Some("/b"), Some("ab"), "/w".into()));
        assert!(args(&["--instance-conf", "{}"]).unwrap_err().contains("--binary"));
        assert!(args(&["--instance-conf", "{}", "--binary", "/b", "--url", "https://x/b"]).is_err());
        assert!(args(&["--binary", "/b"]).unwrap_err().contains("--instance-conf"));
        assert!(args(&["--binary"]).unwrap_err().contains("needs a value"));
        assert!(args(&["--instance-conf", "{}", "--binary", "/b", "--shell", "x"]).unwrap_err().contains("unknown"));
    }

    #[tokio::test]
    async fn a_binary_with_another_hash_is_refused_and_a_good_one_made_executable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fn");
        std::fs::write(&path, b"binary").unwrap();
        let launch = |sha: &str| Launch {
            instance_conf: "{}".into(),
            binary: Some(path.display().to_string()),
            sha256: Some(sha.into()),
            work_dir: dir.path().into(),
            ..Launch::default()
        };
        let wrong = binary(&launch(&"0".repeat(64))).await.unwrap_err();
        assert!(wrong.contains("refusing to start"), "{wrong}");
        use sha2::Digest;
        let pin: String = sha2::Sha256::digest(b"binary").iter().map(|b| format!("{b:02x}")).collect();
        let ok = binary(&launch(&pin)).await.unwrap();
        assert_eq!(ok, path);
        assert_eq!(std::fs::metadata(&ok).unwrap().permissions().mode() & 0o111, 0o111);
    }
}
