//! What YAML itself forbids, found before (and instead of) parsing.
//!
//! The YAML spec admits only printable characters (`c-printable`: tab, line
//! breaks, U+0020–U+007E, U+0085, U+00A0–U+D7FF, U+E000–U+FFFD and above): a
//! NUL or another control character in a file is corruption or an attack, and
//! the parser underneath stops at a NUL without a word, silently dropping the
//! rest of the file. Bytes that are not UTF-8 are the same kind of problem. Both
//! are P014 at the first offending position. `.nan` and `.inf` are YAML but not
//! JSON, and Kubernetes objects are JSON: any non-finite number is P008.

use crate::ast::{Node, Value};
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{FileId, SourceFile, Span};

/// P014 for the first byte of `file` that YAML forbids, if any.
pub fn check(id: FileId, file: &SourceFile) -> Option<Diagnostic> {
    if let Some(at) = file.invalid_utf8_at {
        return Some(invalid(Span::new(id, at, at + 1), "bytes that are not UTF-8 text", "save the file as UTF-8"));
    }
    let (at, c) = file.text.char_indices().find(|(_, c)| !printable(*c))?;
    let what = format!("the control character U+{:04X}", c as u32);
    Some(invalid(
        Span::new(id, at, at + c.len_utf8()),
        &what,
        "remove it (YAML allows no control characters but tab and line breaks)",
    ))
}

fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

fn invalid(span: Span, what: &str, help: &str) -> Diagnostic {
    Diagnostic::error("P014", span, format!("the input holds {what}")).label("YAML forbids this").help(help.to_string())
}

/// P008 for every `.nan`, `.inf` or `-.inf` in a document.
pub fn non_finite_numbers(node: &Node, diags: &mut Diagnostics) {
    match &node.value {
        Value::Float(f) if !f.is_finite() => diags.push(
            Diagnostic::error("P008", node.span, format!("invalid value: `{f}` is not a number Kubernetes can store"))
                .label("not a finite number")
                .help("JSON, and so the Kubernetes API, has no NaN or infinity: write a finite number, or quote it as a string"),
        ),
        Value::Seq(items) => items.iter().for_each(|n| non_finite_numbers(n, diags)),
        Value::Map(entries) => entries.iter().for_each(|e| non_finite_numbers(&e.value, diags)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_forbidden_character() {
        let ok = SourceFile::new("a", "a: \"é\"\t\r\nb: 🙂\n");
        assert!(check(FileId(0), &ok).is_none());
        let nul = SourceFile::new("a", "a: 1\0\nb: [");
        let d = check(FileId(0), &nul).expect("NUL found");
        assert_eq!((d.code, d.primary.span.start), ("P014", 4));
        let bell = SourceFile::new("a", "a: \u{7}");
        assert!(check(FileId(0), &bell).is_some());
    }
}
