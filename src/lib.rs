//! fmc, the Function Mesh compiler.
//!
//! The pipeline is `parse → resolve → check → render → emit`, sequenced by
//! [`pipeline::compile`]; see ARCHITECTURE.md.

pub mod ast;
pub mod check;
pub mod cli;
pub mod convert;
pub mod diagnostics;
pub mod emit;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod gitops;
pub mod json_text;
pub mod lower;
pub mod meshtest;
pub mod model;
pub mod names;
pub mod options;
pub mod parallel;
pub mod parse;
pub mod pipeline;
pub mod quantity;
pub mod render;
pub mod resolve;
pub mod schema;
pub mod source;
pub mod types;
pub mod yaml_text;
