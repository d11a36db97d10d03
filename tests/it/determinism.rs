//! Same input, same bytes: repeated builds and permuted documents.

use crate::support::*;
use fmc::options::BuildOptions;
use fmc::pipeline::compile;

#[test]
fn repeated_builds_are_byte_identical() {
    if !conformance() {
        return;
    }
    for (rel, path) in corpus_files() {
        let a = build_file(&path, &BuildOptions::default()).yaml();
        let b = build_file(&path, &BuildOptions::default()).yaml();
        assert_eq!(a, b, "{rel}");
    }
}

/// Splits a file into its documents and rebuilds it with the documents reversed
/// and rotated: the output must not change.
#[test]
fn permuting_documents_does_not_change_the_output() {
    if !conformance() {
        return;
    }
    for (rel, path) in corpus_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let docs: Vec<&str> = text.split("\n---").collect();
        if docs.len() < 2 {
            continue;
        }
        let expected = build_file(&path, &BuildOptions::default()).yaml();
        let mut reversed = docs.clone();
        reversed.reverse();
        for order in [reversed, rotate(&docs)] {
            let permuted = order.join("\n---\n");
            let out = compile(&sources_from_text(&path.display().to_string(), &permuted), &BuildOptions::default());
            assert_eq!(out.yaml(), expected, "{rel}");
        }
    }
}

fn rotate<'a>(docs: &[&'a str]) -> Vec<&'a str> {
    let mut v = docs.to_vec();
    v.rotate_left(1);
    v
}

#[test]
fn no_yaml11_ambiguous_plain_scalars_in_output() {
    let out = build_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: 'on', b: 'no', c: 'yes', d: '0777', e: '1e3', f: '~'}\n",
    );
    let yaml = out.yaml();
    for v in ["on", "no", "yes", "0777", "1e3", "~"] {
        assert!(yaml.contains(&format!("\"{v}\"")), "{v} not quoted in\n{yaml}");
    }
}
