//! Where a WebAssembly function's module comes from: a file (baked into the
//! image, or a ConfigMap's `binaryData` mounted by the pod) or an `http(s)`
//! URL fetched at start. Either way the bytes must have the pinned SHA-256
//! (required for URLs): a mismatch refuses to start, so what runs is what was
//! reviewed.

use crate::config::{Config, FunctionConfig};
use crate::ops::log;
use sha2::Digest;
use std::time::Duration;

/// The module's bytes for a WebAssembly function; none for the others.
pub async fn module_bytes(config: &Config) -> Result<Option<Vec<u8>>, String> {
    let FunctionConfig::Wasm { path, url, sha256, .. } = &config.function else { return Ok(None) };
    let (bytes, from) = match (path, url) {
        (Some(p), _) => (std::fs::read(p).map_err(|e| format!("cannot read WebAssembly module {p}: {e}"))?, p),
        (None, Some(u)) => (download(u, config.tls_trust_certs_file.as_deref()).await?, u),
        (None, None) => return Err("no `path` or `url` for the WebAssembly module".into()),
    };
    verify(&bytes, sha256.as_deref(), from)?;
    Ok(Some(bytes))
}

/// The pinned SHA-256, if any, is the bytes'.
pub(crate) fn verify(bytes: &[u8], pin: Option<&str>, from: &str) -> Result<(), String> {
    if let Some(want) = pin {
        let have = hex(&sha2::Sha256::digest(bytes));
        if !have.eq_ignore_ascii_case(want) {
            return Err(format!("{from} has sha256 {have}, the configuration pins {want}: refusing to start"));
        }
    }
    Ok(())
}

/// Where a Python function's code is read from: its `path` (checked against
/// `sha256` when pinned), or its `url` downloaded, checked and written under
/// `folder` (the pod's writable `emptyDir`; the root filesystem is read-only).
/// The `pulsar` package comes with the runner, so the code's own archive is
/// all there is to fetch: nothing is pip-installed.
pub async fn python_code(config: &Config, folder: &std::path::Path) -> Result<Option<String>, String> {
    let FunctionConfig::Python(python) = &config.function else { return Ok(None) };
    let pin = python.sha256.as_deref();
    if let Some(path) = &python.path {
        if pin.is_some() {
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read the Python code {path}: {e}"))?;
            verify(&bytes, pin, path)?;
        }
        return Ok(Some(path.clone()));
    }
    let url = python.url.as_deref().ok_or("no `path` or `url` for the Python code")?;
    let name = url.rsplit('/').next().unwrap_or_default();
    let kind_ok = [".py", ".zip", ".whl"].iter().any(|k| name.ends_with(k));
    if !kind_ok || name.starts_with('.') || name.contains('\\') {
        return Err(format!("{url}: the code's file name must end in .py, .zip or .whl"));
    }
    let bytes = download(url, config.tls_trust_certs_file.as_deref()).await?;
    verify(&bytes, pin, url)?;
    let dir = folder.join("python-code");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Some(path.display().to_string()))
}

/// GET with three attempts (a pod often starts before its network is ready).
pub(crate) async fn download(url: &str, ca_file: Option<&str>) -> Result<Vec<u8>, String> {
    let tls = crate::http::tls_config(ca_file)?;
    let mut last = String::new();
    for attempt in 1..=3u32 {
        match crate::http::request("GET", url, None, &[], &tls).await {
            Ok(r) if r.status == 200 => return Ok(r.body),
            Ok(r) => last = format!("{url} answered HTTP {}", r.status),
            Err(e) => last = e,
        }
        log("warn", "package download failed", &[("url", url.to_string()), ("error", last.clone())]);
        tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
    }
    Err(format!("cannot download {url}: {last}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(function: serde_json::Value) -> Config {
        serde_json::from_value(serde_json::json!({
            "tenant": "t", "namespace": "n", "name": "f", "serviceUrl": "pulsar://x:6650",
            "inputs": ["persistent://t/n/in"], "function": function,
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn a_file_with_another_hash_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.wat");
        std::fs::write(&path, "(module)").unwrap();
        let c = config(serde_json::json!({"wasm": {"path": path, "sha256": "00".repeat(32)}}));
        let err = module_bytes(&c).await.unwrap_err();
        assert!(err.contains("refusing to start"), "{err}");
        let good = hex(&sha2::Sha256::digest(b"(module)"));
        let c = config(serde_json::json!({"wasm": {"path": path, "sha256": good}}));
        assert_eq!(module_bytes(&c).await.unwrap().unwrap(), b"(module)");
    }

    #[test]
    fn a_url_without_a_pin_or_two_sources_are_refused() {
        let c = config(serde_json::json!({"wasm": {"url": "https://example.com/f.wasm"}}));
        assert!(c.validate().unwrap_err().contains("needs a `sha256`"));
        let c = config(serde_json::json!({"wasm": {"url": "https://e/f", "path": "/f", "sha256": "00"}}));
        assert!(c.validate().unwrap_err().contains("exactly one"));
        let c = config(serde_json::json!({"python": {"className": "m.C", "url": "https://e/m.py"}}));
        assert!(c.validate().unwrap_err().contains("needs a `sha256`"));
        let c = config(serde_json::json!({"python": {"className": "m.C"}}));
        assert!(c.validate().unwrap_err().contains("a Python function needs exactly one"));
    }
}
