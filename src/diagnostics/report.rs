//! Rendering diagnostics for people (miette), machines (JSON lines) and CI
//! systems (GitHub workflow annotations).

use super::{Diagnostic, Label};
use crate::source::{SourceFile, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use std::fmt;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFormat {
    Human,
    Json,
    Github,
}

/// Renders one diagnostic in the chosen format (without a trailing newline for JSON
/// and GitHub, with miette's own layout for humans).
pub fn render(d: &Diagnostic, sources: &SourceMap, format: ErrorFormat, color: bool) -> String {
    match format {
        ErrorFormat::Human => render_human(d, sources, color),
        ErrorFormat::Json => render_json(d, sources).to_string(),
        ErrorFormat::Github => render_github(d, sources),
    }
}

/// The JSON form: one object per diagnostic, positions 1-based.
pub fn render_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let file = sources.get(d.primary.span.file);
    let (line, column) = file.line_col(d.primary.span.start);
    let (end_line, end_column) = file.line_col(d.primary.span.end);
    let labels: Vec<_> = std::iter::once(&d.primary).chain(&d.secondary).map(|l| label_json(l, sources)).collect();
    serde_json::json!({
        "code": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": file.name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "byte_start": d.primary.span.start,
        "byte_end": d.primary.span.end,
        "labels": labels,
        "help": d.help,
    })
}

fn label_json(l: &Label, sources: &SourceMap) -> serde_json::Value {
    let file = sources.get(l.span.file);
    let (line, column) = file.line_col(l.span.start);
    serde_json::json!({
        "file": file.name, "line": line, "column": column,
        "byte_start": l.span.start, "byte_end": l.span.end, "message": l.message,
    })
}

fn render_github(d: &Diagnostic, sources: &SourceMap) -> String {
    let file = sources.get(d.primary.span.file);
    let (line, col) = file.line_col(d.primary.span.start);
    let level = match d.severity {
        super::Severity::Error => "error",
        super::Severity::Warning => "warning",
    };
    let mut text = format!("{}: {}", d.code, d.message);
    if let Some(h) = &d.help {
        text.push_str(&format!(" (help: {h})"));
    }
    // Workflow commands escape %, CR and LF in the message.
    let text = text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    format!("::{level} file={},line={line},col={col},title=fmc {}::{text}", file.name, d.code)
}

fn render_human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let report = MietteView::new(d, sources.get(d.primary.span.file), sources);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}[{}]: {}", d.severity.as_str(), d.code, d.message);
    }
    out
}

/// Adapter from [`Diagnostic`] to `miette::Diagnostic`. miette shows one source per
/// report, so secondary labels in other files are folded into the help text.
#[derive(Debug)]
struct MietteView {
    code: String,
    severity: miette::Severity,
    message: String,
    source: Excerpts,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

/// The source miette shows, as masked excerpts around the labels only.
///
/// miette finds lines by scanning its source from the start, and masking
/// credentials reads a whole file: done per diagnostic over a whole file, a
/// large input with thousands of warnings took minutes to report. Each excerpt
/// is whole lines (masking is per line, so an excerpt masks exactly as the
/// whole file would), wide enough for miette's context lines; labels a few
/// lines apart share one. A span no excerpt holds (never expected) falls back
/// to the whole file, masked once.
#[derive(Debug)]
struct Excerpts {
    name: String,
    /// (byte offset of the excerpt in the file, its first line, masked text).
    parts: Vec<(usize, usize, String)>,
    file: Arc<str>,
    whole: std::sync::OnceLock<String>,
}

/// Lines kept around each label: miette shows one line of context (its
/// default); the margin lets nearby labels' contexts merge inside one excerpt.
const EXCERPT_LINES: usize = 4;

impl Excerpts {
    fn new(file: &SourceFile, spans: &[(usize, usize)]) -> Self {
        let mut ranges: Vec<(std::ops::Range<usize>, usize)> =
            spans.iter().map(|(start, end)| file.lines_around(*start, *end, EXCERPT_LINES, EXCERPT_LINES)).collect();
        ranges.sort_by_key(|(r, _)| r.start);
        let mut merged: Vec<(std::ops::Range<usize>, usize)> = Vec::new();
        for (range, line) in ranges {
            match merged.last_mut() {
                Some((last, _)) if range.start <= last.end => last.end = last.end.max(range.end),
                _ => merged.push((range, line)),
            }
        }
        let parts = merged
            .into_iter()
            .map(|(range, line)| (range.start, line, super::redact::mask(&file.text[range])))
            .collect();
        Excerpts { name: file.name.clone(), parts, file: file.text.clone(), whole: std::sync::OnceLock::new() }
    }
}

impl miette::SourceCode for Excerpts {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let (start, end) = (span.offset(), span.offset() + span.len());
        let part = self.parts.iter().find(|(offset, _, text)| *offset <= start && end <= offset + text.len());
        let Some((offset, line, text)) = part else {
            let whole = self.whole.get_or_init(|| super::redact::mask(&self.file));
            let inner = whole.as_str().read_span(span, before, after)?;
            let named = miette::MietteSpanContents::new_named(
                self.name.clone(),
                inner.data(),
                *inner.span(),
                inner.line(),
                inner.column(),
                inner.line_count(),
            );
            return Ok(Box::new(named));
        };
        let local = SourceSpan::new((start - offset).into(), span.len());
        let inner = text.as_str().read_span(&local, before, after)?;
        let named = miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new((inner.span().offset() + offset).into(), inner.span().len()),
            inner.line() + line,
            inner.column(),
            inner.line_count() + line,
        );
        Ok(Box::new(named))
    }
}

impl MietteView {
    fn new(d: &Diagnostic, file: &SourceFile, sources: &SourceMap) -> Self {
        let mut labels = Vec::new();
        let mut spans = Vec::new();
        let mut help = d.help.clone();
        for (i, l) in std::iter::once(&d.primary).chain(&d.secondary).enumerate() {
            if l.span.file == d.primary.span.file {
                spans.push((l.span.start as usize, l.span.start as usize + l.span.len()));
                let span = SourceSpan::new((l.span.start as usize).into(), l.span.len());
                let text = (!l.message.is_empty()).then(|| l.message.clone());
                labels.push(if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                });
            } else {
                let other = sources.get(l.span.file);
                let (line, col) = other.line_col(l.span.start);
                let note = format!("{} at {}:{line}:{col}", l.message, other.name);
                help = Some(match help {
                    Some(h) => format!("{h}\n{note}"),
                    None => note,
                });
            }
        }
        MietteView {
            code: d.code.to_string(),
            severity: match d.severity {
                super::Severity::Error => miette::Severity::Error,
                super::Severity::Warning => miette::Severity::Warning,
            },
            message: d.message.clone(),
            source: Excerpts::new(file, &spans),
            labels,
            help,
        }
    }
}

impl fmt::Display for MietteView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteView {}

impl miette::Diagnostic for MietteView {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        None
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.clone().into_iter()))
    }
}
