//! fmc-engine: what runs a native function, apart from the broker. The jq and
//! route programs (in a bounded evaluator child), WebAssembly modules, the
//! payload codec and schema checks, and the runner's JSON configuration.
//!
//! Why a crate of its own: two programs run native functions — `fmc-runner`
//! in the pod and `fmc test` in CI — and they must run them identically. The
//! runner adds the broker (tokio, the `pulsar` crate, protoc at build time);
//! the compiler must not link any of that (a mesh compiles with the Rust
//! toolchain alone). So both depend on this crate, which has no network, no
//! async runtime and no Pulsar client.

pub mod codec;
pub mod config;
pub mod function;
pub mod log;
pub mod validate;
pub mod varint;
