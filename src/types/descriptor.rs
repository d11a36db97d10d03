//! A parsed `.proto` file → the `FileDescriptorSet` Pulsar stores for a
//! PROTOBUF_NATIVE schema, so `--provision` can register exactly the schema
//! fmc checked.
//!
//! Pulsar's Java client registers `{"fileDescriptorSet": <base64 of the
//! FileDescriptorSet>, "rootMessageTypeName": "pkg.Msg",
//! "rootFileDescriptorName": "file.proto"}`, the set holding the message's file
//! as the generated code embeds it (`FileDescriptor.toProto()`): protoc's
//! descriptor without source info and without `json_name`. This module writes
//! that descriptor with protobuf's wire encoding, from [`ProtoFile`] and its
//! [`Layout`]: messages, fields (labels, types, resolved type names, oneofs,
//! proto3 `optional`), nested types in declaration order, map entry messages,
//! enums, reserved ranges and names, the package, syntax, imports and the
//! standard file options. Field and message options other than a map entry's
//! (`packed`, `deprecated`, custom options), proto2 default values, services and
//! extensions are not written; none of them changes how a payload is encoded.
//! `tests/it/provision.rs` compares the result with protoc's own descriptor.

use super::proto::{Item, Label, Layout, ProtoField, ProtoFile};

/// The JSON Pulsar stores as a PROTOBUF_NATIVE schema's data; `Err` for a
/// file whose descriptor set would need files fmc does not read (imports).
pub fn schema_data(file: &ProtoFile, file_name: &str, root: &str) -> Result<String, String> {
    if !file.layout.imports.is_empty() {
        return Err(format!(
            "it imports {}, and a descriptor set holds every file a message needs while fmc reads only this one",
            file.layout.imports.join(", ")
        ));
    }
    let set = file_descriptor_set(file, file_name);
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(set);
    Ok(serde_json::json!({
        "fileDescriptorSet": encoded,
        "rootMessageTypeName": root,
        "rootFileDescriptorName": file_name,
    })
    .to_string())
}

/// `FileDescriptorSet { file: [FileDescriptorProto] }`.
pub fn file_descriptor_set(file: &ProtoFile, file_name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    bytes(&mut out, 1, &file_descriptor(file, file_name));
    out
}

fn file_descriptor(file: &ProtoFile, file_name: &str) -> Vec<u8> {
    let layout = &file.layout;
    let mut out = Vec::new();
    string(&mut out, 1, file_name);
    if !layout.package.is_empty() {
        string(&mut out, 2, &layout.package);
    }
    for import in &layout.imports {
        string(&mut out, 3, import);
    }
    for item in &layout.top {
        match item {
            Item::Message(m) => bytes(&mut out, 4, &message(file, m)),
            Item::Enum(e) => bytes(&mut out, 5, &enumeration(layout, e)),
            Item::MapEntry(_) => {}
        }
    }
    let options = file_options(layout);
    if !options.is_empty() {
        bytes(&mut out, 8, &options);
    }
    if let Some(syntax) = &layout.syntax {
        string(&mut out, 12, syntax);
    }
    out
}

/// The standard `FileOptions` a file sets (custom options are not kept by the parser).
fn file_options(layout: &Layout) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in &layout.options {
        let flag = value == "true";
        match name.as_str() {
            "java_package" => string(&mut out, 1, value),
            "java_outer_classname" => string(&mut out, 8, value),
            "optimize_for" => {
                let mode = match value.as_str() {
                    "SPEED" => 1,
                    "CODE_SIZE" => 2,
                    "LITE_RUNTIME" => 3,
                    _ => continue,
                };
                varint_field(&mut out, 9, mode);
            }
            "java_multiple_files" => varint_field(&mut out, 10, flag as u64),
            "go_package" => string(&mut out, 11, value),
            "cc_generic_services" => varint_field(&mut out, 16, flag as u64),
            "java_generic_services" => varint_field(&mut out, 17, flag as u64),
            "py_generic_services" => varint_field(&mut out, 18, flag as u64),
            "java_generate_equals_and_hash" => varint_field(&mut out, 20, flag as u64),
            "deprecated" => varint_field(&mut out, 23, flag as u64),
            "java_string_check_utf8" => varint_field(&mut out, 27, flag as u64),
            "cc_enable_arenas" => varint_field(&mut out, 31, flag as u64),
            "objc_class_prefix" => string(&mut out, 36, value),
            "csharp_namespace" => string(&mut out, 37, value),
            "swift_prefix" => string(&mut out, 39, value),
            "php_class_prefix" => string(&mut out, 40, value),
            "php_namespace" => string(&mut out, 41, value),
            "php_metadata_namespace" => string(&mut out, 44, value),
            "ruby_package" => string(&mut out, 45, value),
            _ => {}
        }
    }
    out
}

fn short(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

fn message(file: &ProtoFile, full: &str) -> Vec<u8> {
    let fields = &file.messages[full];
    let layout = file.layout.messages.get(full).cloned().unwrap_or_default();
    let mut out = Vec::new();
    string(&mut out, 1, short(full));
    // proto3 `optional` fields each get a synthetic oneof `_<name>`, after the real ones.
    let mut synthetic = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let (oneof, proto3_optional) = layout.fields.get(i).copied().unwrap_or((None, false));
        let oneof = if proto3_optional {
            synthetic.push(format!("_{}", f.name));
            Some(layout.oneofs.len() + synthetic.len() - 1)
        } else {
            oneof
        };
        bytes(&mut out, 2, &field(file, full, f, oneof, proto3_optional));
    }
    for item in &layout.nested {
        match item {
            Item::Message(m) => bytes(&mut out, 3, &message(file, m)),
            Item::Enum(e) => bytes(&mut out, 4, &enumeration(&file.layout, e)),
            Item::MapEntry(i) => bytes(&mut out, 3, &map_entry(file, &fields[*i])),
        }
    }
    for name in layout.oneofs.iter().chain(&synthetic) {
        let mut decl = Vec::new();
        string(&mut decl, 1, name);
        bytes(&mut out, 8, &decl);
    }
    for (start, end) in &layout.reserved_ranges {
        let mut range = Vec::new();
        varint_field(&mut range, 1, *start as u64);
        varint_field(&mut range, 2, *end as u64);
        bytes(&mut out, 9, &range);
    }
    for name in &layout.reserved_names {
        string(&mut out, 10, name);
    }
    out
}

fn field(file: &ProtoFile, message: &str, f: &ProtoField, oneof: Option<usize>, proto3_optional: bool) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, 1, &f.name);
    varint_field(&mut out, 3, f.number as u64);
    let label = match f.label {
        Label::Optional => 1,
        Label::Required => 2,
        Label::Repeated => 3,
    };
    varint_field(&mut out, 4, label);
    if f.ty.starts_with("map<") {
        varint_field(&mut out, 5, MESSAGE);
        string(&mut out, 6, &format!(".{message}.{}", map_entry_name(&f.name)));
    } else {
        type_of(file, &f.ty, &mut out);
    }
    if let Some(i) = oneof {
        varint_field(&mut out, 9, i as u64);
    }
    if proto3_optional {
        varint_field(&mut out, 17, 1);
    }
    out
}

const MESSAGE: u64 = 11;
const ENUM: u64 = 14;

/// `type` and, for a message or enum, `type_name` of a field.
fn type_of(file: &ProtoFile, ty: &str, out: &mut Vec<u8>) {
    let scalar = match ty {
        "double" => 1,
        "float" => 2,
        "int64" => 3,
        "uint64" => 4,
        "int32" => 5,
        "fixed64" => 6,
        "fixed32" => 7,
        "bool" => 8,
        "string" => 9,
        "bytes" => 12,
        "uint32" => 13,
        "sfixed32" => 15,
        "sfixed64" => 16,
        "sint32" => 17,
        "sint64" => 18,
        named => {
            let kind = if file.enums.contains_key(named.trim_start_matches('.')) { ENUM } else { MESSAGE };
            varint_field(out, 5, kind);
            string(out, 6, named);
            return;
        }
    };
    varint_field(out, 5, scalar);
}

/// protoc's name for a map field's entry message: `tag_counts` → `TagCountsEntry`.
fn map_entry_name(field: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out + "Entry"
}

/// `message XEntry { optional K key = 1; optional V value = 2; option map_entry = true; }`
fn map_entry(file: &ProtoFile, f: &ProtoField) -> Vec<u8> {
    let inner = f.ty.trim_start_matches("map<").trim_end_matches('>');
    let (key, value) = inner.split_once(',').unwrap_or((inner, ""));
    let mut out = Vec::new();
    string(&mut out, 1, &map_entry_name(&f.name));
    for (name, number, ty) in [("key", 1, key), ("value", 2, value)] {
        let mut entry = Vec::new();
        string(&mut entry, 1, name);
        varint_field(&mut entry, 3, number);
        varint_field(&mut entry, 4, 1);
        type_of(file, ty, &mut entry);
        bytes(&mut out, 2, &entry);
    }
    let mut options = Vec::new();
    varint_field(&mut options, 7, 1);
    bytes(&mut out, 7, &options);
    out
}

fn enumeration(layout: &Layout, full: &str) -> Vec<u8> {
    let mut out = Vec::new();
    string(&mut out, 1, short(full));
    for (name, number) in layout.enum_values.get(full).into_iter().flatten() {
        let mut value = Vec::new();
        string(&mut value, 1, name);
        // int32: negative numbers are written as ten-byte varints, as protobuf does.
        varint_field(&mut value, 2, *number as u64);
        bytes(&mut out, 2, &value);
    }
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_field(out: &mut Vec<u8>, number: u32, v: u64) {
    varint(out, u64::from(number) << 3);
    varint(out, v);
}

fn bytes(out: &mut Vec<u8>, number: u32, data: &[u8]) {
    varint(out, (u64::from(number) << 3) | 2);
    varint(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn string(out: &mut Vec<u8>, number: u32, s: &str) {
    bytes(out, number, s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_entries_are_named_as_protoc_names_them() {
        assert_eq!(map_entry_name("tags"), "TagsEntry");
        assert_eq!(map_entry_name("tag_counts"), "TagCountsEntry");
    }

    #[test]
    fn a_small_file_encodes_field_by_field() {
        // The descriptor set of `syntax = "proto3"; package p; message M { string id = 1; }`
        // (file name `m.proto`): FileDescriptorSet { file { name, package, message_type { name, field }, syntax } }.
        let file =
            super::super::proto::parse("syntax = \"proto3\";\npackage p;\nmessage M { string id = 1; }\n").unwrap();
        let set = file_descriptor_set(&file, "m.proto");
        let field = [0x0a, 2, b'i', b'd', 0x18, 1, 0x20, 1, 0x28, 9];
        let mut message = vec![0x0a, 1, b'M', 0x12, field.len() as u8];
        message.extend(field);
        let mut fd = vec![0x0a, 7];
        fd.extend(b"m.proto");
        fd.extend([0x12, 1, b'p', 0x22, message.len() as u8]);
        fd.extend(&message);
        fd.extend([0x62, 6]);
        fd.extend(b"proto3");
        let mut want = vec![0x0a, fd.len() as u8];
        want.extend(fd);
        assert_eq!(set, want);
    }

    #[test]
    fn imports_are_refused_with_the_reason() {
        let file =
            super::super::proto::parse("syntax = \"proto3\";\nimport \"other.proto\";\nmessage M { string id = 1; }\n")
                .unwrap();
        assert!(schema_data(&file, "m.proto", "M").unwrap_err().contains("other.proto"));
    }
}
