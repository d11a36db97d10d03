//! fmc, the Function Mesh compiler.
//!
//! The pipeline is `parse → resolve → check → render → emit`, sequenced by
//! [`pipeline::compile`]; see ARCHITECTURE.md.

pub mod ast;
pub mod diagnostics;
pub mod model;
pub mod names;
pub mod parse;
pub mod source;
pub mod options;
pub mod resolve;
pub mod quantity;
pub mod render;
pub mod emit;
pub mod check;
pub mod pipeline;
pub mod schema;
pub mod cli;
