//! Stage 3, check: validation of resolved components.
//!
//! The operator's admission webhook rules (reference §1.9), made static and
//! pointed at the offending YAML line, plus fmc's own: fields the operator
//! silently ignores, inline credentials, and options that only a controller can
//! honour. One rule per file; each returns its diagnostics.
//!
//! The stream graph's rules (types, topic lints, cycles) live in [`graph`].
//!
//! Codes: C002–C027.

mod admission;
mod autoscaling;
mod credentials;
pub mod graph;
mod ignored;
mod processing;
mod resources;
mod runtime;
mod secret_keys;
mod topics;
mod window;

use crate::ast::Document;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::options::BuildOptions;
use crate::resolve::{Component, Resolved};
use crate::source::Span;
pub use topics::input_topics;

/// What a rule sees: one component and the means to point into its YAML.
pub struct Ctx<'a> {
    pub comp: &'a Component,
    pub docs: &'a [Document],
    pub options: &'a BuildOptions,
}

impl Ctx<'_> {
    /// Span of the value at `path` (relative to the component's spec).
    pub fn span(&self, path: &[&str]) -> Span {
        self.comp.origin.span(self.docs, path)
    }

    /// Span of the key at `path`.
    pub fn key(&self, path: &[&str]) -> Span {
        self.comp.origin.key_span(self.docs, path)
    }
}

type Rule = fn(&Ctx) -> Vec<Diagnostic>;

const RULES: &[Rule] = &[
    runtime::check,
    admission::check,
    autoscaling::check,
    resources::check,
    processing::check,
    topics::check,
    window::check,
    credentials::check,
    credentials::config_credentials,
    credentials::package_credentials,
    secret_keys::check,
    ignored::check,
    ignored::filebeat_auth,
    ignored::selector_labels,
];

pub fn check(resolved: &Resolved, docs: &[Document], options: &BuildOptions) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for comp in &resolved.components {
        let ctx = Ctx { comp, docs, options };
        for rule in RULES {
            diags.extend(rule(&ctx));
        }
    }
    diags
}
