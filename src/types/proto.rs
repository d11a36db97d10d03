//! Protocol Buffers: a small parser for `.proto` files (proto2 and proto3) and the
//! wire-compatibility check between a reader's and a writer's message.
//!
//! Only what decides compatibility is kept: messages, their fields (number,
//! label, type), enums and their values. Services, options and extensions are
//! skipped. Type names are resolved the protobuf way (innermost scope first).

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Optional,
    Required,
    Repeated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoField {
    pub name: String,
    pub number: i64,
    pub label: Label,
    /// A scalar name (`int32`, `string`, …), `map<K,V>`, or a full type name `.pkg.Msg`.
    pub ty: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProtoFile {
    /// Messages by full name (`pkg.Outer.Inner`), fields in declaration order.
    pub messages: BTreeMap<String, Vec<ProtoField>>,
    /// Enums by full name: value name → number.
    pub enums: BTreeMap<String, BTreeMap<String, i64>>,
    /// What a file descriptor holds besides (`descriptor.rs`): declaration order,
    /// oneofs, reserved numbers and names, the package, syntax, imports and options.
    pub layout: Layout,
}

/// The declarations of a `.proto` file as its descriptor lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    /// `Some("proto3")` when the file says so (protoc leaves proto2's unset).
    pub syntax: Option<String>,
    pub package: String,
    pub imports: Vec<String>,
    /// File-level `option NAME = VALUE;` as written (a string's quotes removed).
    pub options: Vec<(String, String)>,
    /// Top-level messages and enums in declaration order.
    pub top: Vec<Item>,
    /// Per message (full name).
    pub messages: BTreeMap<String, MessageLayout>,
    /// Enum values in declaration order, per enum (full name).
    pub enum_values: BTreeMap<String, Vec<(String, i64)>>,
}

/// A declaration inside a file or a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Message(String),
    Enum(String),
    /// The entry message protoc makes for the map field at this index.
    MapEntry(usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MessageLayout {
    pub nested: Vec<Item>,
    pub oneofs: Vec<String>,
    /// Parallel to the message's fields: its oneof (index into `oneofs`) and
    /// whether it is a proto3 `optional` field.
    pub fields: Vec<(Option<usize>, bool)>,
    /// Reserved numbers as half-open ranges `[start, end)`.
    pub reserved_ranges: Vec<(i64, i64)>,
    pub reserved_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Int(i64),
    Str(String),
    Sym(char),
}

fn tokenize(text: &str) -> Result<Vec<(Tok, usize)>, String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i] as char;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if text[i..].starts_with("//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if text[i..].starts_with("/*") {
            let end = text[i + 2..].find("*/").ok_or(format!("line {line}: unterminated comment"))?;
            line += text[i..i + 2 + end].matches('\n').count();
            i += end + 4;
        } else if c.is_ascii_alphabetic()
            || c == '_'
            || c == '.' && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic())
        {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_string()), line));
        } else if c.is_ascii_digit() || c == '-' {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                i += 1;
            }
            let lit = &text[start..i];
            let n = if let Some(hex) = lit.strip_prefix("0x") {
                i64::from_str_radix(hex, 16).ok()
            } else {
                lit.parse().ok()
            };
            // Floats only occur in options, which are skipped: keep them as a symbol.
            out.push((n.map_or(Tok::Sym('#'), Tok::Int), line));
        } else if c == '"' || c == '\'' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] as char != c {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            let s = text.get(start..i.min(b.len())).ok_or(format!("line {line}: bad string"))?;
            out.push((Tok::Str(s.to_string()), line));
            i += 1;
        } else {
            out.push((Tok::Sym(c), line));
            i += c.len_utf8();
        }
    }
    Ok(out)
}

/// Parses a `.proto` file. Errors carry the line number.
pub fn parse(text: &str) -> Result<ProtoFile, String> {
    let toks = tokenize(text)?;
    let mut p =
        ProtoParser { toks, pos: 0, file: ProtoFile::default(), package: String::new(), raw: Vec::new(), depth: 0 };
    p.top()?;
    p.resolve_types()?;
    Ok(p.file)
}

struct ProtoParser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    file: ProtoFile,
    package: String,
    /// (scope, message full name, field index): type names still to resolve.
    raw: Vec<(String, String, usize)>,
    /// Message nesting depth (bounded: hostile input must not exhaust the stack).
    depth: usize,
}

impl ProtoParser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn line(&self) -> usize {
        self.toks.get(self.pos).or(self.toks.last()).map_or(0, |t| t.1)
    }

    fn err(&self, what: &str) -> String {
        format!("line {}: {what}", self.line())
    }

    fn next(&mut self) -> Result<Tok, String> {
        let t = self.toks.get(self.pos).map(|t| t.0.clone()).ok_or_else(|| self.err("unexpected end of file"))?;
        self.pos += 1;
        Ok(t)
    }

    fn ident(&mut self) -> Result<String, String> {
        match self.next()? {
            Tok::Ident(s) => Ok(s),
            t => Err(self.err(&format!("expected a name, found {t:?}"))),
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next()? {
            Tok::Sym(s) if s == c => Ok(()),
            t => Err(self.err(&format!("expected `{c}`, found {t:?}"))),
        }
    }

    /// Skips to the end of a statement (`;`) or over a balanced `{ … }` block.
    fn skip_statement(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.next()? {
                Tok::Sym(';') if depth == 0 => return Ok(()),
                Tok::Sym('{') => depth += 1,
                Tok::Sym('}') => {
                    depth = depth.checked_sub(1).ok_or_else(|| self.err("unbalanced `}`"))?;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
    }

    fn top(&mut self) -> Result<(), String> {
        while let Some(tok) = self.peek().cloned() {
            match tok {
                Tok::Ident(k) if k == "package" => {
                    self.pos += 1;
                    self.package = self.ident()?;
                    self.file.layout.package = self.package.clone();
                    self.expect(';')?;
                }
                Tok::Ident(k) if k == "message" => {
                    self.pos += 1;
                    let scope = self.package.clone();
                    let full = self.message(&scope)?;
                    self.file.layout.top.push(Item::Message(full));
                }
                Tok::Ident(k) if k == "enum" => {
                    self.pos += 1;
                    let scope = self.package.clone();
                    let full = self.enumeration(&scope)?;
                    self.file.layout.top.push(Item::Enum(full));
                }
                Tok::Ident(k) if k == "syntax" => {
                    self.pos += 1;
                    self.expect('=')?;
                    let syntax = self.string()?;
                    self.expect(';')?;
                    self.file.layout.syntax = (syntax != "proto2").then_some(syntax);
                }
                Tok::Ident(k) if k == "import" => {
                    self.pos += 1;
                    if matches!(self.peek(), Some(Tok::Ident(w)) if w == "public" || w == "weak") {
                        self.pos += 1;
                    }
                    let file = self.string()?;
                    self.expect(';')?;
                    self.file.layout.imports.push(file);
                }
                Tok::Ident(k) if k == "option" => {
                    self.pos += 1;
                    let start = self.pos;
                    let option = (|| {
                        let name = self.ident()?;
                        self.expect('=')?;
                        let value = match self.next()? {
                            Tok::Str(v) | Tok::Ident(v) => v,
                            Tok::Int(n) => n.to_string(),
                            t => return Err(self.err(&format!("unexpected {t:?}"))),
                        };
                        self.expect(';')?;
                        Ok((name, value))
                    })();
                    match option {
                        Ok(o) => self.file.layout.options.push(o),
                        Err(_) => {
                            // A custom `(name)` option or an aggregate value: not kept.
                            self.pos = start;
                            self.skip_statement()?;
                        }
                    }
                }
                Tok::Sym(';') => self.pos += 1,
                _ => self.skip_statement()?, // service, extend
            }
        }
        Ok(())
    }

    fn scoped(scope: &str, name: &str) -> String {
        if scope.is_empty() { name.to_string() } else { format!("{scope}.{name}") }
    }

    fn string(&mut self) -> Result<String, String> {
        match self.next()? {
            Tok::Str(s) => Ok(s),
            t => Err(self.err(&format!("expected a string, found {t:?}"))),
        }
    }

    fn proto3(&self) -> bool {
        self.file.layout.syntax.as_deref() == Some("proto3")
    }

    fn message(&mut self, scope: &str) -> Result<String, String> {
        self.depth += 1;
        if self.depth > 64 {
            return Err(self.err("messages nest deeper than 64 levels"));
        }
        let result = self.message_body(scope);
        self.depth -= 1;
        result
    }

    fn message_body(&mut self, scope: &str) -> Result<String, String> {
        let full = Self::scoped(scope, &self.ident()?);
        if self.file.messages.insert(full.clone(), Vec::new()).is_some() {
            return Err(self.err(&format!("message `{full}` is defined twice")));
        }
        self.file.layout.messages.insert(full.clone(), MessageLayout::default());
        self.expect('{')?;
        loop {
            let tok = self.next()?;
            match tok {
                Tok::Sym('}') => return Ok(full),
                Tok::Sym(';') => {}
                Tok::Ident(k) if k == "message" => {
                    let nested = self.message(&full)?;
                    self.layout_of(&full).nested.push(Item::Message(nested));
                }
                Tok::Ident(k) if k == "enum" => {
                    let nested = self.enumeration(&full)?;
                    self.layout_of(&full).nested.push(Item::Enum(nested));
                }
                Tok::Ident(k) if k == "oneof" => {
                    let name = self.ident()?;
                    let index = {
                        let layout = self.layout_of(&full);
                        layout.oneofs.push(name);
                        layout.oneofs.len() - 1
                    };
                    self.expect('{')?;
                    while self.peek() != Some(&Tok::Sym('}')) {
                        if matches!(self.peek(), Some(Tok::Ident(k)) if k == "option") {
                            self.skip_statement()?;
                        } else {
                            let ty = self.ident()?;
                            self.field(&full, Label::Optional, ty, Some(index), false)?;
                        }
                    }
                    self.pos += 1;
                }
                Tok::Ident(k) if k == "reserved" => self.reserved(&full)?,
                Tok::Ident(k) if matches!(k.as_str(), "option" | "extensions" | "extend") => self.skip_statement()?,
                Tok::Ident(k) if matches!(k.as_str(), "optional" | "required" | "repeated") => {
                    let label = match k.as_str() {
                        "required" => Label::Required,
                        "repeated" => Label::Repeated,
                        _ => Label::Optional,
                    };
                    let proto3_optional = k == "optional" && self.proto3();
                    let ty = self.ident()?;
                    self.field(&full, label, ty, None, proto3_optional)?;
                }
                Tok::Ident(k) if k == "map" => {
                    self.expect('<')?;
                    let key = self.ident()?;
                    self.expect(',')?;
                    let value = self.ident()?;
                    self.expect('>')?;
                    self.field(&full, Label::Repeated, format!("map<{key},{value}>"), None, false)?;
                    let index = self.file.messages[&full].len() - 1;
                    self.layout_of(&full).nested.push(Item::MapEntry(index));
                }
                Tok::Ident(ty) => self.field(&full, Label::Optional, ty, None, false)?,
                t => return Err(self.err(&format!("unexpected {t:?} in message `{full}`"))),
            }
        }
    }

    fn layout_of(&mut self, message: &str) -> &mut MessageLayout {
        self.file.layout.messages.entry(message.to_string()).or_default()
    }

    /// `reserved 2, 9 to 11, 40 to max;` or `reserved "a", "b";`
    fn reserved(&mut self, message: &str) -> Result<(), String> {
        loop {
            match self.next()? {
                Tok::Str(name) => self.layout_of(message).reserved_names.push(name),
                Tok::Int(start) => {
                    let mut end = start + 1;
                    if matches!(self.peek(), Some(Tok::Ident(k)) if k == "to") {
                        self.pos += 1;
                        end = match self.next()? {
                            Tok::Int(n) => n + 1,
                            Tok::Ident(m) if m == "max" => 536_870_912,
                            t => return Err(self.err(&format!("unexpected {t:?} in `reserved`"))),
                        };
                    }
                    self.layout_of(message).reserved_ranges.push((start, end));
                }
                t => return Err(self.err(&format!("unexpected {t:?} in `reserved`"))),
            }
            match self.next()? {
                Tok::Sym(',') => {}
                Tok::Sym(';') => return Ok(()),
                t => return Err(self.err(&format!("expected `,` or `;`, found {t:?}"))),
            }
        }
    }

    fn field(
        &mut self,
        message: &str,
        label: Label,
        ty: String,
        oneof: Option<usize>,
        proto3_optional: bool,
    ) -> Result<(), String> {
        let name = self.ident()?;
        self.expect('=')?;
        let number = match self.next()? {
            Tok::Int(n) if n > 0 => n,
            _ => return Err(self.err(&format!("field `{name}` needs a positive number"))),
        };
        self.skip_statement()?; // options, then `;`
        let fields = self.file.messages.get_mut(message).expect("invariant: message inserted before its body");
        if fields.iter().any(|f| f.number == number) {
            return Err(self.err(&format!("field number {number} is used twice in `{message}`")));
        }
        fields.push(ProtoField { name, number, label, ty });
        self.raw.push((message.to_string(), message.to_string(), fields.len() - 1));
        self.layout_of(message).fields.push((oneof, proto3_optional));
        Ok(())
    }

    fn enumeration(&mut self, scope: &str) -> Result<String, String> {
        let full = Self::scoped(scope, &self.ident()?);
        self.expect('{')?;
        let mut values = BTreeMap::new();
        let mut ordered = Vec::new();
        loop {
            match self.next()? {
                Tok::Sym('}') => break,
                Tok::Sym(';') => {}
                Tok::Ident(k) if k == "option" || k == "reserved" => self.skip_statement()?,
                Tok::Ident(name) => {
                    self.expect('=')?;
                    let n = match self.next()? {
                        Tok::Int(n) => n,
                        _ => return Err(self.err("enum value needs a number")),
                    };
                    self.skip_statement()?;
                    ordered.push((name.clone(), n));
                    values.insert(name, n);
                }
                t => return Err(self.err(&format!("unexpected {t:?} in enum `{full}`"))),
            }
        }
        self.file.enums.insert(full.clone(), values);
        self.file.layout.enum_values.insert(full.clone(), ordered);
        Ok(full)
    }

    /// Turns every message/enum type name into a full `.pkg.Name`, innermost scope first.
    fn resolve_types(&mut self) -> Result<(), String> {
        for (scope, message, idx) in std::mem::take(&mut self.raw) {
            let ty = self.file.messages[&message][idx].ty.clone();
            let resolved = if let Some(inner) = ty.strip_prefix("map<") {
                let (k, v) = inner.trim_end_matches('>').split_once(',').unwrap_or((inner, ""));
                format!("map<{k},{}>", self.resolve_name(&scope, v)?)
            } else {
                self.resolve_name(&scope, &ty)?
            };
            self.file.messages.get_mut(&message).expect("invariant: known message")[idx].ty = resolved;
        }
        Ok(())
    }

    fn resolve_name(&self, scope: &str, name: &str) -> Result<String, String> {
        if SCALARS.contains(&name) {
            return Ok(name.to_string());
        }
        if let Some(abs) = name.strip_prefix('.') {
            return self.known(abs).then(|| format!(".{abs}")).ok_or(format!("unknown type `{name}`"));
        }
        let mut s = scope.to_string();
        loop {
            let candidate = Self::scoped(&s, name);
            if self.known(&candidate) {
                return Ok(format!(".{candidate}"));
            }
            if s.is_empty() {
                return Err(format!("unknown type `{name}` (imports are not followed: define it in this file)"));
            }
            s = s.rsplit_once('.').map_or(String::new(), |(a, _)| a.to_string());
        }
    }

    fn known(&self, full: &str) -> bool {
        self.file.messages.contains_key(full) || self.file.enums.contains_key(full)
    }
}

const SCALARS: [&str; 15] = [
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32",
    "sfixed64", "bool", "string", "bytes",
];

/// Wire-compatible groups: a value written as one member decodes as any other.
fn wire_group(ty: &str) -> &str {
    match ty {
        "int32" | "int64" | "uint32" | "uint64" | "bool" => "varint",
        "sint32" | "sint64" => "zigzag",
        "fixed32" | "sfixed32" => "fixed32",
        "fixed64" | "sfixed64" => "fixed64",
        "string" | "bytes" => "length-delimited",
        other => other,
    }
}

/// Whether `reader`'s message `rmsg` can decode what `writer`'s message `wmsg` writes.
pub fn can_read(reader: &ProtoFile, rmsg: &str, writer: &ProtoFile, wmsg: &str) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    message(reader, rmsg, writer, wmsg, &mut seen)
}

fn message(
    reader: &ProtoFile,
    rmsg: &str,
    writer: &ProtoFile,
    wmsg: &str,
    seen: &mut BTreeSet<(String, String)>,
) -> Result<(), String> {
    if !seen.insert((rmsg.to_string(), wmsg.to_string())) {
        return Ok(());
    }
    let short = |m: &str| m.rsplit('.').next().unwrap_or(m).to_string();
    let (Some(rf), Some(wf)) = (reader.messages.get(rmsg), writer.messages.get(wmsg)) else {
        return Err(format!("message `{}` is read as `{}`", short(wmsg), short(rmsg)));
    };
    for r in rf {
        let Some(w) = wf.iter().find(|w| w.number == r.number) else {
            if r.label == Label::Required {
                return Err(format!("required field `{}` = {} of `{}` is not written", r.name, r.number, short(rmsg)));
            }
            continue;
        };
        if (r.label == Label::Repeated) != (w.label == Label::Repeated) && !r.ty.starts_with("map<") {
            return Err(format!("field {} of `{}` is repeated on one side only", r.number, short(rmsg)));
        }
        field_type(reader, &r.ty, writer, &w.ty, seen)
            .map_err(|e| format!("field `{}` = {} of `{}`: {e}", r.name, r.number, short(rmsg)))?;
    }
    Ok(())
}

fn field_type(
    reader: &ProtoFile,
    rt: &str,
    writer: &ProtoFile,
    wt: &str,
    seen: &mut BTreeSet<(String, String)>,
) -> Result<(), String> {
    let (rm, wm) = (rt.trim_start_matches('.'), wt.trim_start_matches('.'));
    if reader.messages.contains_key(rm) && writer.messages.contains_key(wm) {
        return message(reader, rm, writer, wm, seen);
    }
    let enum_or_varint =
        |f: &ProtoFile, t: &str| if f.enums.contains_key(t) { "varint".to_string() } else { wire_group(t).to_string() };
    if let (Some(re), Some(we)) = (reader.enums.get(rm), writer.enums.get(wm)) {
        // proto3 keeps unknown enum numbers; proto2 would drop them: report values that change meaning.
        for (name, n) in we {
            if let Some((rname, _)) = re.iter().find(|(_, rn)| *rn == n)
                && rname != name
            {
                return Err(format!("enum value {n} is `{name}` when written but `{rname}` when read"));
            }
        }
        return Ok(());
    }
    if rt.starts_with("map<") || wt.starts_with("map<") {
        return if rt == wt { Ok(()) } else { Err(format!("`{wt}` is written but `{rt}` is read")) };
    }
    if enum_or_varint(reader, rm) == enum_or_varint(writer, wm) {
        Ok(())
    } else {
        Err(format!("`{}` is written but `{}` is read (different wire types)", wm, rm))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"
        syntax = "proto3";
        package shop;
        // an order
        message Order {
          string id = 1;
          int64 cents = 2 [deprecated = true];
          Status status = 3;
          enum Status { NEW = 0; PAID = 1; }
          repeated Line lines = 4;
          message Line { string sku = 1; int32 qty = 2; }
          map<string, string> tags = 5;
          oneof payment { string card = 6; string iban = 7; }
        }
    "#;

    #[test]
    fn parses_nested_types_and_resolves_names() {
        let f = parse(V1).expect("parses");
        let order = &f.messages["shop.Order"];
        assert_eq!(order.len(), 7);
        assert_eq!(order[2].ty, ".shop.Order.Status");
        assert_eq!(order[3].ty, ".shop.Order.Line");
        assert_eq!(order[3].label, Label::Repeated);
        assert_eq!(order[4].ty, "map<string,string>");
        assert!(f.enums.contains_key("shop.Order.Status"));
    }

    #[test]
    fn type_change_on_a_field_number_is_incompatible() {
        let a = parse(V1).unwrap();
        let b = parse(&V1.replace("int64 cents = 2", "string cents = 2")).unwrap();
        let err = can_read(&b, "shop.Order", &a, "shop.Order").unwrap_err();
        assert!(err.contains("field `cents` = 2"), "{err}");
        let c = parse(&V1.replace("int64 cents = 2", "uint64 cents = 2")).unwrap();
        assert_eq!(can_read(&c, "shop.Order", &a, "shop.Order"), Ok(()));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "message A { ".repeat(10_000);
        assert!(parse(&text).unwrap_err().contains("deeper than 64"));
    }

    #[test]
    fn errors_name_the_line() {
        assert!(parse("message A { string x = ; }").unwrap_err().starts_with("line 1"));
        assert!(parse("message A { Unknown x = 1; }").is_err());
        assert!(parse("message A { string x = 1; string y = 1; }").is_err());
    }
}
