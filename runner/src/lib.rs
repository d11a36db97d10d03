//! fmc-runner: runs one component of a mesh in its pod — consumes its Pulsar
//! input topics, runs the user function (built-in, jq, or WebAssembly),
//! produces the results — and exposes metrics and health endpoints.
//!
//! It depends on nothing of the compiler: its whole contract with `fmc build`
//! is the JSON configuration in [`config`].

pub mod codec;
pub mod config;
pub mod function;
pub mod fuzzing;
pub mod http;
pub mod journal;
pub mod oauth2;
pub mod ops;
pub mod package;
pub mod relay;
pub mod run;
pub mod settle;
pub mod validate;
pub mod varint;
