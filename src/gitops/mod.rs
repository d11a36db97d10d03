//! GitOps modes built on [`crate::pipeline::compile`]: the output tree for Git
//! (`-o DIR`, `--check`), the semantic diff, the Helm post-renderer and the KRM
//! function / kustomize plug-in. None of them renders anything itself.

pub mod diff;
pub mod krm;
pub mod postrender;
pub mod tree;
