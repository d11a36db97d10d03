//! fmc-runner: runs one component of a mesh in its pod — consumes its Pulsar
//! input topics, runs the user function (built-in, jq, or WebAssembly),
//! produces the results — and exposes metrics and health endpoints.
//!
//! It depends on nothing of the compiler: its whole contract with `fmc build`
//! is the JSON configuration in [`config`]. The engines that run the user
//! function, the codec and the configuration live in `fmc-engine` (shared
//! with `fmc test`) and are re-exported here under their old paths.

pub use fmc_engine::{codec, config, function, validate, varint};
pub mod declared;
pub mod fuzzing;
pub mod http;
pub mod journal;
pub mod launch;
pub mod nodelay;
pub mod oauth2;
pub mod ops;
pub mod package;
pub mod relay;
pub mod run;
pub mod settle;
