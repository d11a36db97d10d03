//! YAML text → spanned [`ast::Document`]s.
//!
//! Built on `yaml-rust2`'s event parser (maintained, pure Rust, byte markers on
//! every event; see ARCHITECTURE.md for why not serde_yaml). Scalars are resolved
//! with the YAML 1.2 core schema, so `yes`/`on` stay strings and typed fields
//! report them (P008) instead of guessing. Bounded on purpose: nesting depth,
//! total node count after alias expansion and scalar size all have limits that
//! yield a diagnostic, never a crash or unbounded memory.
//!
//! Codes: P001 syntax, P003 depth, P004 size, P005 duplicate keys.

use super::diagnostics as diag;
use crate::ast::{Document, Entry, Node, Value};
use crate::diagnostics::Diagnostics;
use crate::source::{FileId, Span};
use std::collections::BTreeMap;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

pub const MAX_DEPTH: usize = 128;
pub const MAX_NODES: usize = 5_000_000;
/// Nodes that aliases may add in total: real resources use a few anchors; an
/// "alias bomb" uses them to multiply a small text into gigabytes.
pub const MAX_ALIAS_NODES: usize = 100_000;
pub const MAX_SCALAR_BYTES: usize = 16 << 20;

/// Reads every document of one file. On a syntax error the documents read so far
/// are returned along with the diagnostic.
pub fn read_documents(file: FileId, text: &str, diags: &mut Diagnostics) -> Vec<Document> {
    if text.len() >= PARALLEL_THRESHOLD {
        return read_documents_parallel(file, text, diags);
    }
    read_chunk(file, text, diags)
}

/// Characters between two byte-offset checkpoints of a non-ASCII text.
const CHECKPOINT_CHARS: usize = 64;

/// Where characters are in a non-ASCII text: the character index of each line
/// start, and the byte offset of every [`CHECKPOINT_CHARS`]-th character, so
/// that (line, column) → byte costs at most [`CHECKPOINT_CHARS`] steps.
struct CharIndex {
    line_chars: Vec<usize>,
    checkpoints: Vec<usize>,
    total_chars: usize,
}

impl CharIndex {
    fn new(text: &str) -> CharIndex {
        let (mut line_chars, mut checkpoints, mut total_chars) = (vec![0], Vec::new(), 0);
        for (n, (i, c)) in text.char_indices().enumerate() {
            if n % CHECKPOINT_CHARS == 0 {
                checkpoints.push(i);
            }
            if c == '\n' {
                line_chars.push(n + 1);
            }
            total_chars = n + 1;
        }
        CharIndex { line_chars, checkpoints, total_chars }
    }

    /// The byte offset of character `col` of line `line` (0-based); a column past
    /// the line's end gives the start of the next line, as the line's own text would.
    fn byte_of_line_col(&self, text: &str, line: usize, col: usize) -> usize {
        let line = line.min(self.line_chars.len() - 1);
        let next = self.line_chars.get(line + 1).copied().unwrap_or(self.total_chars);
        let char_index = (self.line_chars[line] + col).min(next);
        let Some(&from) = self.checkpoints.get(char_index / CHECKPOINT_CHARS) else { return text.len() };
        let rest = &text[from..];
        from + rest.char_indices().nth(char_index % CHECKPOINT_CHARS).map_or(rest.len(), |(i, _)| i)
    }
}

/// Files this large are read in parallel, one slice of documents per core.
pub const PARALLEL_THRESHOLD: usize = 1 << 20;

/// Splits a large stream at its document markers and reads the slices in
/// parallel. Documents are independent in YAML (anchors do not cross them), so
/// the result equals a sequential read: spans are shifted back to file offsets
/// and documents renumbered in order.
fn read_documents_parallel(file: FileId, text: &str, diags: &mut Diagnostics) -> Vec<Document> {
    let chunks = document_chunks(text);
    let parts = crate::parallel::map_chunks(&chunks, 64, |_, ranges| {
        let mut all = Diagnostics::default();
        let mut docs = Vec::new();
        for range in ranges {
            let by = range.start as u32;
            let mut d = Diagnostics::default();
            for mut doc in read_chunk(file, &text[range.clone()], &mut d) {
                shift(&mut doc.root, by);
                docs.push(doc);
            }
            all.extend(d.into_iter().map(|mut diag| {
                for label in std::iter::once(&mut diag.primary).chain(diag.secondary.iter_mut()) {
                    label.span.start += by;
                    label.span.end += by;
                }
                diag
            }));
        }
        (docs, all)
    });
    let mut out = Vec::new();
    for (docs, d) in parts {
        diags.extend(d);
        out.extend(docs);
    }
    for (i, doc) in out.iter_mut().enumerate() {
        doc.index = i;
    }
    out
}

fn shift(node: &mut Node, by: u32) {
    node.span.start += by;
    node.span.end += by;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            e.key_span.start += by;
            e.key_span.end += by;
            shift(&mut e.value, by);
        }),
        _ => {}
    }
}

fn read_chunk(file: FileId, text: &str, diags: &mut Diagnostics) -> Vec<Document> {
    let chars = if text.is_ascii() { None } else { Some(CharIndex::new(text)) };
    let mut reader = Reader {
        file,
        text,
        chars,
        anchors: BTreeMap::new(),
        nodes: 0,
        alias_nodes: 0,
        stack: Vec::new(),
        docs: Vec::new(),
        diags,
    };
    if let Err(stop) = reader.run() {
        reader.diags.push(*stop);
    }
    reader.docs
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<(String, Span)>,
        merges: Vec<Node>,
        /// Key → entry position, built once a mapping outgrows a linear search
        /// (a mesh's `functions` can hold thousands of keys).
        index: Option<BTreeMap<String, usize>>,
    },
}

/// Entries past which duplicate keys are found through an index.
const INDEXED_MAP: usize = 32;

/// The earlier entry with `key`, if any.
fn find_entry<'e>(entries: &'e [Entry], index: &mut Option<BTreeMap<String, usize>>, key: &str) -> Option<&'e Entry> {
    if entries.len() < INDEXED_MAP {
        return entries.iter().find(|e| e.key == key);
    }
    let index = index.get_or_insert_with(|| entries.iter().enumerate().map(|(i, e)| (e.key.clone(), i)).collect());
    index.get(key).map(|&i| &entries[i])
}

struct Reader<'a, 'd> {
    file: FileId,
    text: &'a str,
    /// Character positions of a non-ASCII text (see [`Reader::offset`]).
    chars: Option<CharIndex>,
    anchors: BTreeMap<usize, Node>,
    nodes: usize,
    alias_nodes: usize,
    stack: Vec<Frame>,
    docs: Vec<Document>,
    diags: &'d mut Diagnostics,
}

/// A diagnostic that stops reading the file (boxed: errors are rare, results hot).
type Stop = Box<crate::diagnostics::Diagnostic>;

impl Reader<'_, '_> {
    fn run(&mut self) -> Result<(), Stop> {
        let mut parser = Parser::new_from_str(self.text);
        loop {
            let (event, mark) = parser.next_token().map_err(|e| Box::new(self.syntax_error(&e)))?;
            match event {
                Event::StreamEnd => return Ok(()),
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::DocumentStart => {
                    self.anchors.clear();
                    self.stack.clear();
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let node = self.scalar(text, style, tag, mark)?;
                    self.finish_node(node, anchor, mark)?;
                }
                Event::Alias(id) => {
                    let node = self.alias(id, mark)?;
                    self.finish_node(node, 0, mark)?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.enter(mark)?;
                    self.stack.push(Frame::Seq { start: self.offset(&mark), anchor, items: Vec::new() });
                }
                Event::MappingStart(anchor, _) => {
                    self.enter(mark)?;
                    self.stack.push(Frame::Map {
                        start: self.offset(&mark),
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                        merges: Vec::new(),
                        index: None,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => self.leave(mark)?,
            }
        }
    }

    /// The byte offset of a marker. yaml-rust2's `index` counts characters on most
    /// paths (and bytes on some), so for non-ASCII text the offset is computed from
    /// the line and the character column instead, and always lands on a character
    /// boundary. Constant time ([`CharIndex`]): walking the line to the column
    /// would make a long one-line flow collection quadratic.
    /// P001 where the reader stopped; for an unclosed `[` or `{` (noticed only
    /// where the flow collection cannot go on, often lines later) at the bracket.
    fn syntax_error(&self, e: &yaml_rust2::scanner::ScanError) -> crate::diagnostics::Diagnostic {
        let at = self.offset(e.marker());
        let opener = match e.info() {
            i if i.contains("flow sequence") => Some('['),
            i if i.contains("flow mapping") => Some('{'),
            _ => None,
        };
        match opener.and_then(|c| unclosed(self.text, at, c).map(|o| (c, o))) {
            Some((c, open)) => diag::unclosed_bracket(self.span_at(open), self.span_at(at), c, e.info()),
            None => diag::yaml_syntax(self.span_at(at), e.info()),
        }
    }

    fn offset(&self, mark: &Marker) -> usize {
        match &self.chars {
            None => mark.index().min(self.text.len()),
            Some(chars) => chars.byte_of_line_col(self.text, mark.line().saturating_sub(1), mark.col()),
        }
    }

    /// The first character boundary at or after `i`, within the text.
    fn ceil_boundary(&self, i: usize) -> usize {
        let mut i = i.min(self.text.len());
        while !self.text.is_char_boundary(i) {
            i += 1;
        }
        i
    }

    /// A one-character span at `index` (kept on a character boundary).
    fn span_at(&self, index: usize) -> Span {
        let mut start = index.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let end = self.text[start..].chars().next().map_or(start, |c| start + c.len_utf8());
        Span::new(self.file, start, end)
    }

    fn enter(&mut self, mark: Marker) -> Result<(), Stop> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Box::new(diag::too_deep(self.span_at(self.offset(&mark)), MAX_DEPTH)));
        }
        self.count(mark, 1)
    }

    fn count(&mut self, mark: Marker, n: usize) -> Result<(), Stop> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(Box::new(diag::too_large(self.span_at(self.offset(&mark)), "more than 5,000,000 nodes")));
        }
        Ok(())
    }

    fn leave(&mut self, mark: Marker) -> Result<(), Stop> {
        let frame = self.stack.pop().expect("invariant: end event matches a start");
        let end = self.ceil_boundary(self.offset(&mark).max(1));
        let (node, anchor) = match frame {
            Frame::Seq { start, anchor, items } => {
                // Block collections report their start after the first item; use
                // the first item's position so labels start where the text does.
                let start = items.first().map_or(start, |n| (n.span.start as usize).min(start));
                (Node { value: Value::Seq(items), span: Span::new(self.file, start, end) }, anchor)
            }
            Frame::Map { start, anchor, mut entries, merges, .. } => {
                let start = entries.first().map_or(start, |e| (e.key_span.start as usize).min(start));
                apply_merges(&mut entries, merges);
                (Node { value: Value::Map(entries), span: Span::new(self.file, start, end) }, anchor)
            }
        };
        self.finish_node(node, anchor, mark)
    }

    fn scalar(&mut self, text: String, style: TScalarStyle, tag: Option<Tag>, mark: Marker) -> Result<Node, Stop> {
        if text.len() > MAX_SCALAR_BYTES {
            return Err(Box::new(diag::too_large(self.span_at(self.offset(&mark)), "a scalar larger than 16 MiB")));
        }
        self.count(mark, 1)?;
        let start = self.offset(&mark);
        let quoted = matches!(style, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted);
        let raw_len = if quoted { text.len() + 2 } else { text.len() };
        // The span ends at the scalar's raw length or at the end of its line;
        // only that window is searched (searching to the line's end would make
        // every scalar of a one-line flow collection cost the whole line).
        let start = start.min(self.text.len());
        let window = self.ceil_boundary(start + raw_len.max(1));
        let line_end = self.text[start..window].find('\n').map_or(window, |n| start + n);
        let end = self.ceil_boundary(window.min(line_end.max(start + 1)));
        let span = Span::new(self.file, start, end);
        let value =
            if style == TScalarStyle::Plain && !is_str_tag(&tag) { resolve_plain(text) } else { Value::Str(text) };
        Ok(Node { value, span })
    }

    fn alias(&mut self, id: usize, mark: Marker) -> Result<Node, Stop> {
        let at = self.offset(&mark);
        let Some(anchored) = self.anchors.get(&id) else {
            return Err(Box::new(diag::yaml_syntax(self.span_at(at), "unknown alias")));
        };
        // Count before cloning, so a huge anchor is refused without being copied.
        let added = node_count(anchored);
        self.alias_nodes += added;
        if self.alias_nodes > MAX_ALIAS_NODES {
            return Err(Box::new(diag::too_large(self.span_at(at), "aliases expand to more than 100,000 nodes")));
        }
        let node = anchored.clone();
        self.count(mark, added)?;
        Ok(Node { span: Span::new(self.file, at, self.ceil_boundary(at + 1)), ..node })
    }

    fn finish_node(&mut self, node: Node, anchor: usize, mark: Marker) -> Result<(), Stop> {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                let index = self.docs.len();
                self.docs.push(Document { file: self.file, index, root: node });
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, pending_key, merges, index, .. }) => match pending_key.take() {
                None => *pending_key = Some((key_text(&node), node.span)),
                Some((key, _)) if key == "<<" && is_mergeable(&node) => merges.push(node),
                Some((key, key_span)) => {
                    if let Some(first) = find_entry(entries, index, &key) {
                        self.diags.push(diag::duplicate_key(key_span, first.key_span, &key));
                    } else {
                        if let Some(index) = index {
                            index.insert(key.clone(), entries.len());
                        }
                        entries.push(Entry { key, key_span, value: node });
                    }
                }
            },
        }
        let _ = mark;
        Ok(())
    }
}

fn is_str_tag(tag: &Option<Tag>) -> bool {
    tag.as_ref().is_some_and(|t| t.suffix == "str")
}

fn is_mergeable(node: &Node) -> bool {
    match &node.value {
        Value::Map(_) => true,
        Value::Seq(items) => items.iter().all(|n| matches!(n.value, Value::Map(_))),
        _ => false,
    }
}

/// YAML merge keys: explicit keys win over merged ones; earlier merges win over later.
fn apply_merges(entries: &mut Vec<Entry>, merges: Vec<Node>) {
    let sources = merges.into_iter().flat_map(|n| match n.value {
        Value::Seq(items) => items,
        other => vec![Node { value: other, span: n.span }],
    });
    for source in sources {
        if let Value::Map(merged) = source.value {
            for e in merged {
                if !entries.iter().any(|x| x.key == e.key) {
                    entries.push(e);
                }
            }
        }
    }
}

fn node_count(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|e| node_count(&e.value)).sum::<usize>(),
        _ => 1,
    }
}

fn key_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Seq(_) | Value::Map(_) => serde_json::to_string(&node.to_json()).unwrap_or_default(),
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
pub fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Value::Float(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(i) = parse_int(&text) {
        return Value::Int(i);
    }
    if is_float(&text)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text)
}

fn parse_int(s: &str) -> Option<i64> {
    if let Some(hex) = s.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn is_float(s: &str) -> bool {
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut parts = mantissa.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// The byte offset of the last `open` bracket before `end` that is never
/// closed, skipping quoted strings and comments.
fn unclosed(text: &str, end: usize, open: char) -> Option<usize> {
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut previous = '\n';
    for (i, c) in text[..end.min(text.len())].char_indices() {
        match (quote, comment, c) {
            (_, true, '\n') => comment = false,
            (_, true, _) => {}
            (Some(q), _, _) if c == q => quote = None,
            (Some(_), _, _) => {}
            (None, _, '\'' | '"') => quote = Some(c),
            (None, _, '#') if previous.is_whitespace() => comment = true,
            (None, _, '[' | '{') => stack.push((c, i)),
            (None, _, ']' | '}') => {
                stack.pop();
            }
            _ => {}
        }
        previous = c;
    }
    stack.into_iter().rev().find(|(c, _)| *c == open).map(|(_, i)| i)
}

/// Byte ranges of the documents of a YAML stream, split at `---` lines
/// (a document marker can only stand at the start of a line).
pub fn document_chunks(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare == "---" || bare.starts_with("--- ") || bare == "..." {
            chunks.push(start..offset);
            start = offset + line.len();
        }
        offset += line.len();
    }
    chunks.push(start..text.len());
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Document>, Diagnostics) {
        let mut d = Diagnostics::default();
        let docs = read_documents(FileId(0), text, &mut d);
        (docs, d)
    }

    #[test]
    fn core_schema_resolution() {
        assert_eq!(resolve_plain("yes".into()), Value::Str("yes".into()));
        assert_eq!(resolve_plain("1e3".into()), Value::Float(1000.0));
        assert_eq!(resolve_plain("0777".into()), Value::Int(777));
        assert_eq!(resolve_plain("1.1G".into()), Value::Str("1.1G".into()));
        assert_eq!(resolve_plain("50m".into()), Value::Str("50m".into()));
        assert_eq!(resolve_plain("-3".into()), Value::Int(-3));
        assert_eq!(resolve_plain(".5".into()), Value::Float(0.5));
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "a: 1\nb:\n  c: \"x\"\n";
        let (docs, d) = read(text);
        assert!(d.is_empty());
        let root = &docs[0].root;
        let c = root.get("b").unwrap().entry("c").unwrap();
        assert_eq!(&text[c.key_span.start as usize..c.key_span.end as usize], "c");
        assert_eq!(&text[c.value.span.start as usize..c.value.span.end as usize], "\"x\"");
    }

    #[test]
    fn duplicate_keys_are_reported() {
        let (_, d) = read("a: 1\na: 2\n");
        assert_eq!(d.iter().next().unwrap().code, "P005");
    }

    #[test]
    fn merge_keys_and_aliases() {
        let (docs, d) = read("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        assert!(d.is_empty());
        let m = docs[0].root.get("m").unwrap();
        assert_eq!(m.get("x").unwrap().value, Value::Int(1));
        assert_eq!(m.get("y").unwrap().value, Value::Int(3));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (_, d) = read(&text);
        assert_eq!(d.iter().next().unwrap().code, "P004");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let text = "[".repeat(10_000);
        let (_, d) = read(&text);
        let code = d.iter().next().unwrap().code;
        assert!(code == "P003" || code == "P001", "{code}");
    }

    #[test]
    fn multiple_documents_and_empty_ones() {
        let (docs, d) = read("---\na: 1\n---\n---\nb: 2\n");
        assert!(d.is_empty());
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1].root.value, Value::Null);
    }
}

#[cfg(test)]
mod non_ascii_tests {
    use super::*;

    #[test]
    fn parallel_reading_equals_sequential_reading() {
        let mut text = String::new();
        while text.len() < PARALLEL_THRESHOLD + 10_000 {
            let i = text.len();
            text.push_str(&format!("---\n# doc {i}\nname: é{i}\nlist: [a, b]\nmap: {{k: &x v, r: *x}}\n"));
        }
        text.push_str("---\nbad: [\n");
        let (mut d1, mut d2) = (Diagnostics::default(), Diagnostics::default());
        let parallel = read_documents(FileId(0), &text, &mut d1);
        let sequential = read_chunk(FileId(0), &text, &mut d2);
        assert_eq!(parallel.len(), sequential.len());
        for (a, b) in parallel.iter().zip(&sequential) {
            assert_eq!((a.index, &a.root), (b.index, &b.root));
        }
        let spans = |d: Diagnostics| d.into_iter().map(|x| (x.code, x.primary.span)).collect::<Vec<_>>();
        assert_eq!(spans(d1), spans(d2));
    }

    #[test]
    fn spans_are_byte_offsets_on_character_boundaries() {
        let text = "é: ç\nb: \"ü\"\nc: x\n";
        let mut d = Diagnostics::default();
        let docs = read_documents(FileId(0), text, &mut d);
        assert!(d.is_empty());
        let root = &docs[0].root;
        let c = root.entry("c").unwrap();
        assert_eq!(&text[c.key_span.start as usize..c.key_span.end as usize], "c");
        let b = root.get("b").unwrap();
        assert_eq!(&text[b.span.start as usize..b.span.end as usize], "\"ü\"");
    }

    #[test]
    fn spans_in_a_long_non_ascii_flow_line_stay_exact() {
        // Far more than CHECKPOINT_CHARS characters on one line, each item multi-byte.
        let items: Vec<String> = (0..500).map(|i| format!("\"é{i}ü\"")).collect();
        let text = format!("x: [{}]\ny: ç\n", items.join(", "));
        let mut d = Diagnostics::default();
        let docs = read_documents(FileId(0), &text, &mut d);
        assert!(d.is_empty());
        let Value::Seq(nodes) = &docs[0].root.get("x").unwrap().value else { panic!("a sequence") };
        for (node, item) in nodes.iter().zip(&items) {
            assert_eq!(&text[node.span.start as usize..node.span.end as usize], item);
        }
        let y = docs[0].root.get("y").unwrap();
        assert_eq!(&text[y.span.start as usize..y.span.end as usize], "ç");
    }

    #[test]
    fn char_index_agrees_with_walking_the_line() {
        let text = format!("a: é\n{}\n\nü: [{}]\nlast", "ç".repeat(150), "x, ".repeat(100));
        let index = CharIndex::new(&text);
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let mut start = 0;
        for (line, line_text) in lines.iter().enumerate() {
            for col in 0..line_text.chars().count() + 3 {
                let naive = start + line_text.char_indices().nth(col).map_or(line_text.len(), |(i, _)| i);
                assert_eq!(index.byte_of_line_col(&text, line, col), naive, "line {line} col {col}");
            }
            start += line_text.len();
        }
    }
}
