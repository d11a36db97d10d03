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
    if let Some(want) = sha256 {
        let have = hex(&sha2::Sha256::digest(&bytes));
        if !have.eq_ignore_ascii_case(want) {
            return Err(format!("{from} has sha256 {have}, the configuration pins {want}: refusing to start"));
        }
    }
    Ok(Some(bytes))
}

/// GET with three attempts (a pod often starts before its network is ready).
async fn download(url: &str, ca_file: Option<&str>) -> Result<Vec<u8>, String> {
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
    Err(format!("cannot download the WebAssembly module: {last}"))
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
    }
}
