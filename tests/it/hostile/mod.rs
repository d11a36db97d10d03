//! Hostile input: every door a careless or malicious input could use. Each
//! test holds one guarantee of docs/security.md ("Threat model").

mod kpt;
mod meshtest;
mod names;
mod reads;
mod redaction;
mod shell;
mod tree;
mod yaml;

pub fn fmc() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_fmc"))
}

pub fn write(path: &std::path::Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A native mesh named `shop` in `streams` with one cluster and `body` (its
/// topics, functions, …) under `spec`.
pub fn shop_mesh(body: &str) -> String {
    format!(
        "apiVersion: fmc.functionmesh.io/v1alpha1\nkind: Mesh\nmetadata: {{name: shop, namespace: streams}}\nspec:\n  clusters:\n    local: {{brokerServiceUrl: 'pulsar://b:6650', webServiceUrl: 'http://b:8080'}}\n{body}"
    )
}
