//! Reading inputs: files, directories of YAML files (sorted), or stdin —
//! `source::load_sources`, shared with `fmc test`, which must not import the CLI.

pub use crate::source::load_sources;
