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
