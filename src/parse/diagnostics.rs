//! Constructors for the parse stage's diagnostics (P001–P013).

use crate::diagnostics::Diagnostic;
use crate::source::Span;

pub fn yaml_syntax(span: Span, info: &str) -> Diagnostic {
    Diagnostic::error("P001", span, format!("invalid YAML: {info}"))
        .label("the YAML reader stopped here")
        .help("check indentation, quotes and brackets around this position")
}

/// P001 for a `[` or `{` that is never closed, at the bracket.
pub fn unclosed_bracket(open: Span, stopped: Span, bracket: char, info: &str) -> Diagnostic {
    let close = if bracket == '[' { ']' } else { '}' };
    Diagnostic::error("P001", open, format!("invalid YAML: this `{bracket}` is never closed ({info})"))
        .label(format!("`{bracket}` opened here"))
        .with_secondary(stopped, "the YAML reader stopped here")
        .help(format!("close it with `{close}`: a flow collection must end before the next key"))
}

pub fn not_a_mapping(span: Span) -> Diagnostic {
    Diagnostic::error("P002", span, "document is not a mapping")
        .label("expected a resource with `apiVersion`, `kind` and `metadata`")
        .help("remove this document or turn it into a Kubernetes resource")
}

pub fn too_deep(span: Span, limit: usize) -> Diagnostic {
    Diagnostic::error("P003", span, format!("YAML nests deeper than {limit} levels"))
        .label("too deep here")
        .help("flatten the structure")
}

pub fn too_large(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error("P004", span, format!("input too large: {what}"))
        .label("limit reached here")
        .help("remove the alias chain or split the input into smaller files")
}

pub fn duplicate_key(span: Span, first: Span, key: &str) -> Diagnostic {
    Diagnostic::error("P005", span, format!("duplicate key `{key}`"))
        .label("second definition")
        .with_secondary(first, "first defined here")
        .help("remove one of the two keys")
}

pub fn missing_type(span: Span, field: &str) -> Diagnostic {
    Diagnostic::error("P006", span, format!("document has no string `{field}`"))
        .label("in this document")
        .help("every resource needs `apiVersion` and `kind`")
}

pub fn unknown_field(span: Span, field: &str, path: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::error("P007", span, format!("unknown field `{field}` in `{path}`"))
        .label("not a field of this object");
    match suggestion {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help("remove it; the operator would silently ignore it"),
    }
}

pub fn invalid_value(span: Span, path: &str, detail: &str) -> Diagnostic {
    Diagnostic::error("P008", span, format!("invalid value for `{path}`: {detail}"))
        .label("this value")
        .help(value_hint(detail))
}

fn value_hint(detail: &str) -> String {
    if detail.contains("expected a boolean") || detail.contains("expected a bool") {
        "write `true` or `false` (YAML 1.2: `yes`/`on` are strings)".into()
    } else if detail.contains("unknown variant") {
        "use one of the listed values".into()
    } else {
        "use a value of the expected type".into()
    }
}

pub fn missing_field(span: Span, field: &str, path: &str) -> Diagnostic {
    Diagnostic::error("P009", span, format!("missing field `{field}` in `{path}`"))
        .label("this object")
        .help(format!("add `{field}`"))
}

pub fn unsupported_kind(span: Span, api_version: &str, kind: &str) -> Diagnostic {
    Diagnostic::error("P010", span, format!("fmc cannot compile `{api_version}` `{kind}`"))
        .label("unsupported apiVersion/kind")
        .help("use compute.functionmesh.io/v1alpha1 Function, Source, Sink, FunctionMesh or BackendConfig")
}

/// An invalid name; `what` says where it is written (`metadata.name`, a
/// component key, a member's `name`).
pub fn invalid_name(span: Span, what: &str, detail: &str) -> Diagnostic {
    Diagnostic::error("P011", span, format!("invalid {what}: {detail}"))
        .label("this name")
        .help("use lowercase letters, digits and '-', starting and ending with a letter or digit")
}

pub fn foreign_field(span: Span, field: &str, kind: &str) -> Diagnostic {
    Diagnostic::error("P007", span, format!("unknown field `{field}` in a {kind} spec"))
        .label(format!("not a field of {kind}"))
        .help(format!("`{field}` belongs to another kind of component; remove it"))
}

pub fn kustomize_config(span: Span) -> Diagnostic {
    Diagnostic::warning("P012", span, "kustomize configuration skipped")
        .label("a kustomization, not a Kubernetes resource")
        .help("pass the resources it lists to fmc instead, or run fmc as a kustomize plug-in")
}

/// A pass-through object's `kind`, `metadata.namespace` or `metadata.name`, or
/// a compiled resource's namespace, is one Kubernetes refuses.
pub fn invalid_identity(span: Span, field: &str, detail: &str) -> Diagnostic {
    Diagnostic::error("P013", span, format!("invalid `{field}`: {detail}")).label("Kubernetes refuses this").help(
        match field {
            "kind" => "write the object's kind, e.g. `ConfigMap`",
            "metadata.namespace" => {
                "use lowercase letters, digits and '-' (at most 63), starting and ending with a letter or digit"
            }
            _ => "use the object's real name: no `/`, `%`, blanks or control characters, not `.` or `..`",
        },
    )
}
