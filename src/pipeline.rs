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

/// Stage timings on stderr when `FMC_TIMINGS` is set (for profiling; see BENCHMARKS.md).
struct Timer(Option<std::time::Instant>);

impl Timer {
    fn new() -> Self {
        Timer(std::env::var_os("FMC_TIMINGS").map(|_| std::time::Instant::now()))
    }

    fn lap(&mut self, stage: &str) {
        if let Some(start) = self.0 {
            eprintln!(
                "fmc timing: {stage:<8} {:>8.1} ms, {} MB resident",
                start.elapsed().as_secs_f64() * 1000.0,
                resident_mb()
            );
            self.0 = Some(std::time::Instant::now());
        }
    }
}

/// Resident memory now, from /proc (0 elsewhere).
fn resident_mb() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096 / (1 << 20)
}

pub fn compile(sources: &SourceMap, options: &BuildOptions) -> CompileOutput {
    let mut timer = Timer::new();
    let (mut input, mut diagnostics) = parse::parse(sources);
    timer.lap("parse");
    let document_spans = input.documents.iter().map(|d| d.root.span).collect();
    if diagnostics.has_errors() {
        return CompileOutput { manifests: Vec::new(), diagnostics, document_spans };
    }
    let resources = std::mem::take(&mut input.resources);
    let (resolved, d) = resolve::resolve_resources(resources, &input.documents, options);
    diagnostics.extend(d);
    timer.lap("resolve");
    if diagnostics.has_errors() {
        return CompileOutput { manifests: Vec::new(), diagnostics, document_spans };
    }
    diagnostics.extend(check::check(&resolved, &input.documents, options));
    timer.lap("check");
    if diagnostics.has_errors() {
        return CompileOutput { manifests: Vec::new(), diagnostics, document_spans };
    }
    // Rendering needs no spans: free the syntax tree before the peak.
    drop(input);
    let mut manifests = render::render(&resolved, options);
    timer.lap("render");
    emit::sort(&mut manifests);
    timer.lap("sort");
    CompileOutput { manifests, diagnostics, document_spans }
}
