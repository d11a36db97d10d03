//! The one sequencer: `parse → resolve → check → render → emit`.
//!
//! CLI commands, plug-in modes and tests all call [`compile`]. Errors stop the
//! pipeline after the stage that found them; warnings flow on.

use crate::diagnostics::Diagnostics;
use crate::options::BuildOptions;
use crate::render::Manifest;
use crate::source::SourceMap;
use crate::{check, emit, parse, render, resolve};

#[derive(Debug, Default)]
pub struct CompileOutput {
    /// Rendered objects in emission order (empty when there are errors).
    pub manifests: Vec<Manifest>,
    pub diagnostics: Diagnostics,
    /// The span of every input document's root, by document index (plug-in
    /// modes use it to keep pass-through documents verbatim and in order).
    pub document_spans: Vec<crate::source::Span>,
}

impl CompileOutput {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.has_errors()
    }

    /// The multi-document YAML stream.
    pub fn yaml(&self) -> String {
        emit::emit(&self.manifests)
    }
}

pub fn compile(sources: &SourceMap, options: &BuildOptions) -> CompileOutput {
    let (input, mut diagnostics) = parse::parse(sources);
    let document_spans = input.documents.iter().map(|d| d.root.span).collect();
    if diagnostics.has_errors() {
        return CompileOutput { manifests: Vec::new(), diagnostics, document_spans };
    }
    let (resolved, d) = resolve::resolve(&input, options);
    diagnostics.extend(d);
    if diagnostics.has_errors() {
        return CompileOutput { manifests: Vec::new(), diagnostics, document_spans };
    }
    diagnostics.extend(check::check(&resolved, &input.documents, options));
    if diagnostics.has_errors() {
        return CompileOutput { manifests: Vec::new(), diagnostics, document_spans };
    }
    let mut manifests = render::render(&resolved, options);
    emit::sort(&mut manifests);
    CompileOutput { manifests, diagnostics, document_spans }
}
