//! `fmc post-render`: the Helm post-renderer.
//!
//! Reads the rendered chart on stdin, replaces every Function Mesh (and fmc)
//! document by the objects it compiles to, and passes every other document
//! through byte for byte, in the same order. Helm 4 marks each document with
//! `postrenderer.helm.sh/postrender-filename`; generated objects carry the
//! annotation of the resource they came from. Namespaces are left to Helm unless
//! the resource set one. On any error the output is empty and the exit code
//! non-zero, and since Helm 4 discards the renderer's stderr, the diagnostics are
//! also written to a file (see [`diagnostics_file`]).

use crate::emit::yaml::to_yaml;
use crate::options::BuildOptions;
use crate::pipeline::{CompileOutput, compile};
use crate::render::DocumentOutput;
use crate::source::SourceMap;
use std::ops::Range;
use std::path::PathBuf;

pub const FILENAME_ANNOTATION: &str = "postrenderer.helm.sh/postrender-filename";

/// Where diagnostics go when Helm hides stderr: `$FMC_DIAGNOSTICS_FILE`, else
/// `$TMPDIR/fmc-diagnostics.log`.
pub fn diagnostics_file() -> PathBuf {
    std::env::var_os("FMC_DIAGNOSTICS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("fmc-diagnostics.log"))
}

pub use crate::parse::yaml::document_chunks;

pub struct PostRendered {
    pub output: String,
    pub compiled: CompileOutput,
    pub sources: SourceMap,
}

/// Post-renders `text`. `compiled.has_errors()` tells whether it failed.
pub fn post_render(text: &str, options: &BuildOptions) -> PostRendered {
    post_render_input(HELM_INPUT, text, options)
}

/// What Helm's post-render input is called in diagnostics.
pub const HELM_INPUT: &str = "<helm post-render input>";
/// What the legacy kustomize plug-in's input is called in diagnostics.
pub const KUSTOMIZE_INPUT: &str = "<kustomize plug-in input>";

/// [`post_render`] of an input that diagnostics call `name`.
pub fn post_render_input(name: &str, text: &str, options: &BuildOptions) -> PostRendered {
    let mut sources = SourceMap::default();
    sources.add(name, text.to_string());
    let options = BuildOptions { write_default_namespace: false, ..options.clone() };
    let compiled = compile(&sources, &options);
    if compiled.has_errors() {
        return PostRendered { output: String::new(), compiled, sources };
    }
    let chunks = document_chunks(text);
    let mut output = String::new();
    let outputs = crate::render::document_outputs(&compiled.manifests, compiled.document_spans.len());
    for (span, becomes) in compiled.document_spans.iter().zip(outputs) {
        let produced = match becomes {
            DocumentOutput::Objects(produced) => produced,
            DocumentOutput::Itself => {
                let chunk = chunks.iter().find(|c| c.contains(&(span.start as usize))).cloned().unwrap_or(0..0);
                output.push_str("---\n");
                output.push_str(text[chunk].trim_end());
                output.push('\n');
                continue;
            }
        };
        let filename = source_filename(text, &chunks, span.start as usize);
        for m in produced {
            output.push_str("---\n");
            match &filename {
                Some(f) => {
                    let mut value = m.value();
                    annotate(&mut value, f);
                    output.push_str(&to_yaml(&value));
                }
                None => output.push_str(&m.yaml),
            }
        }
    }
    PostRendered { output, compiled, sources }
}

/// The Helm 4 filename annotation of the document at `at`, read from its text.
fn source_filename(text: &str, chunks: &[Range<usize>], at: usize) -> Option<String> {
    let chunk = chunks.iter().find(|c| c.contains(&at))?;
    let mut diags = crate::diagnostics::Diagnostics::default();
    let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), &text[chunk.clone()], &mut diags);
    let root = &docs.first()?.root;
    root.get("metadata")?.get("annotations")?.get(FILENAME_ANNOTATION)?.as_str().map(str::to_string)
}

fn annotate(value: &mut serde_json::Value, filename: &str) {
    let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) else { return };
    let annotations = meta.entry("annotations").or_insert_with(|| serde_json::json!({}));
    if let Some(a) = annotations.as_object_mut() {
        a.insert(FILENAME_ANNOTATION.into(), filename.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_at_markers_only() {
        let text = "# c\na: 1\n---\nb: |\n  ---x\n--- \nc: 3";
        let chunks: Vec<&str> = document_chunks(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(chunks, vec!["# c\na: 1\n", "b: |\n  ---x\n", "c: 3"]);
    }
}
