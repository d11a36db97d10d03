//! The one sequencer: `parse → resolve → check → render → emit`.
//!
//! CLI commands, plug-in modes and tests all call [`compile`]. Errors stop the
//! pipeline after the stage that found them; warnings flow on.

use crate::diagnostics::Diagnostics;
use crate::options::BuildOptions;
use crate::render::Manifest;
use crate::source::SourceMap;
use crate::{check, emit, lower, parse, render, resolve};

#[derive(Debug, Default)]
pub struct CompileOutput {
    /// Rendered objects in emission order (empty when there are errors).
    pub manifests: Vec<Manifest>,
    pub diagnostics: Diagnostics,
    /// The span of every input document's root, by document index (plug-in
    /// modes use it to keep pass-through documents verbatim and in order).
    pub document_spans: Vec<crate::source::Span>,
    /// The stream graph with the type checker's verdicts (when checking ran).
    pub streams: Option<check::graph::StreamGraph>,
    /// The resolved components the graph's indices refer to (kept only when
    /// `keep_components` is asked for: `fmc graph`, `--target operator`).
    pub components: Vec<crate::resolve::Component>,
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
    let (mut input, mut diagnostics) = parse::parse_in(sources, options.environment.as_deref());
    timer.lap("parse");
    let document_spans = input.documents.iter().map(|d| d.root.span).collect();
    if diagnostics.has_errors() {
        return CompileOutput { diagnostics, document_spans, ..CompileOutput::default() };
    }
    let resources = std::mem::take(&mut input.resources);
    let (lowered, d) = lower::lower(resources, &input.documents, sources, options);
    diagnostics.extend(d);
    timer.lap("lower");
    if diagnostics.has_errors() {
        return CompileOutput { diagnostics, document_spans, ..CompileOutput::default() };
    }
    let (resolved, d) = resolve::resolve_lowered(lowered, &input.documents, options);
    diagnostics.extend(d);
    timer.lap("resolve");
    if diagnostics.has_errors() {
        return CompileOutput { diagnostics, document_spans, ..CompileOutput::default() };
    }
    diagnostics.extend(check::check(&resolved, &input.documents, options));
    let (streams, d) = check::graph::check(&resolved, &input.documents);
    // Graph rules judge a whole mesh: after a component's own error they would
    // mostly repeat it (a function reading its own output is also a cycle).
    if !diagnostics.has_errors() {
        diagnostics.extend(d);
    }
    timer.lap("check");
    if diagnostics.has_errors() {
        let components = if options.keep_components { resolved.components } else { Vec::new() };
        return CompileOutput {
            diagnostics,
            document_spans,
            streams: Some(streams),
            components,
            ..CompileOutput::default()
        };
    }
    // Rendering needs no spans: free the syntax tree before the peak.
    drop(input);
    let mut manifests = if options.target_operator {
        render::operator::render(&resolved, options)
    } else {
        render::render(&resolved, options)
    };
    timer.lap("render");
    emit::sort(&mut manifests);
    timer.lap("sort");
    let components = if options.keep_components { resolved.components } else { Vec::new() };
    CompileOutput { manifests, diagnostics, document_spans, streams: Some(streams), components }
}
