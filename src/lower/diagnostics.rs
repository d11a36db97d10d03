//! Diagnostics of the lower stage: references of a native mesh that do not
//! resolve, schemas that do not parse, clusters that cannot be reached safely.

use crate::diagnostics::Diagnostic;
use crate::source::Span;

/// `R005`–`R007`, `R012`: a reference to something the mesh does not declare.
/// `declared` is the closest declaration, shown as a secondary label.
pub fn unknown(
    code: &'static str,
    what: &str,
    span: Span,
    name: &str,
    close: Option<(String, Span)>,
    section: &str,
) -> Diagnostic {
    let d = Diagnostic::error(code, span, format!("unknown {what} `{name}`")).label(format!("no {what} of this name"));
    match close {
        Some((c, at)) => d.with_secondary(at, format!("`{c}` is declared here")).help(format!("did you mean `{c}`?")),
        None => d.help(format!("declare `{name}` under `{section}`, or use one of the names declared there")),
    }
}

pub fn invalid_schema(span: Span, name: &str, problem: &str) -> Diagnostic {
    Diagnostic::error("R008", span, format!("schema `{name}` is not valid: {problem}"))
        .label("invalid schema")
        .help("fix the definition; docs/dsl.md shows each schema type's fields")
}

pub fn inline_credential(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error("R009", span, format!("{what} is written inline"))
        .label("a credential in the mesh file")
        .help("put the credential in a Secret and write `{secret: NAME, key: KEY}` here")
}

pub fn invalid_cluster(span: Span, name: &str, problem: &str) -> Diagnostic {
    Diagnostic::error("R011", span, format!("cluster `{name}`: {problem}"))
        .label("cluster declared here")
        .help("give `brokerServiceUrl` and `webServiceUrl`, or `pulsarConfig` naming a ConfigMap that has them")
}

pub fn native_runtime(span: Span, what: &str) -> Diagnostic {
    Diagnostic::error("R013", span, format!("the `native` runtime {what}"))
        .label("runtime `native`")
        .help("use the `java`, `python` or `go` runtime for this component, or change it to fit the runner")
}

pub fn runner_image_by_tag(span: Span, image: &str) -> Diagnostic {
    Diagnostic::warning("R020", span, format!("the runner image `{image}` is named by a tag"))
        .label("a tag can change under a committed manifest")
        .help("name it by digest, `REPO@sha256:…` (scripts/images.sh prints the digests of the images it builds)")
}

pub fn file_not_found(span: Span, rel: &str, missing: &crate::files::Missing) -> Diagnostic {
    let name = std::path::Path::new(rel).file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let close = crate::diagnostics::did_you_mean(&name, missing.siblings.iter().map(String::as_str));
    let d = Diagnostic::error("R015", span, format!("no file `{rel}`"))
        .label(format!("looked for `{}` in the input's root", missing.in_root));
    match close {
        Some(c) => d.help(format!("did you mean `{c}` (in the same folder)?")),
        None => d.help("file references resolve against the folder of the mesh file that makes them"),
    }
}

pub fn file_refused(span: Span, why: &str) -> Diagnostic {
    Diagnostic::error("R014", span, format!("file not read: {why}"))
        .label("this file reference")
        .help("keep schema files inside the mesh's folder (or the directory given to fmc), or widen the root with `--root DIR`")
}

/// `C029`: a jq or route program on payloads it cannot have as values.
pub fn program_cannot_read(
    span: Span,
    program: &str,
    (topic, declared): (&str, Option<Span>),
    kind: &str,
    writes: bool,
) -> Diagnostic {
    let (verb, noun) = if writes { ("writes", "its results") } else { ("reads", "its messages") };
    let d = Diagnostic::error(
        "C029",
        span,
        format!("a {program} program {verb} `{topic}`, whose {kind} payloads it cannot have as values"),
    )
    .label(format!("{verb} {kind} payloads"))
    .help(format!(
        "the runner decodes AVRO, JSON, primitive and KEY_VALUE payloads for jq; {noun} would all fail: use a WebAssembly module, or an AVRO or JSON topic"
    ));
    match declared {
        Some(at) => d.with_secondary(at, "declared here"),
        None => d,
    }
}
