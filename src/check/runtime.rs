//! C002 runtime blocks, C003 class name, C004 package locations, C012 state store.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::ComponentKind;
use crate::model::{is_http_url, is_package_url};

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if ctx.comp.native.is_some() && ctx.comp.spec.python.is_none() {
        // fmc's runner: no Pulsar runtime block, class or package to check
        // (a Python function on it keeps its `python` block, class and package).
        return out;
    }
    runtimes(ctx, &mut out);
    class_name(ctx, &mut out);
    locations(ctx, &mut out);
    state(ctx, &mut out);
    out
}

fn runtimes(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let present: Vec<&str> = [
        ("java", s.java.is_some()),
        ("python", s.python.is_some()),
        ("golang", s.golang.is_some()),
        ("genericRuntime", s.generic_runtime.is_some()),
    ]
    .iter()
    .filter(|(_, p)| *p)
    .map(|(n, _)| *n)
    .collect();
    let kind = ctx.comp.kind;
    if kind != ComponentKind::Function {
        if s.java.is_none() {
            out.push(
                Diagnostic::error("C002", ctx.key(&[]), format!("a {} needs a `java` runtime block", kind.kind()))
                    .label("no `java` block")
                    .help("add `java: {jar: <path to the connector .nar or .jar>}`"),
            );
        }
        for extra in present.iter().filter(|n| **n != "java") {
            out.push(
                Diagnostic::error("C002", ctx.key(&[extra]), format!("a {} runs only the `java` runtime", kind.kind()))
                    .label("not used by connectors")
                    .help(format!("remove `{extra}`")),
            );
        }
        return;
    }
    match present.len() {
        0 => out.push(
            Diagnostic::error("C002", ctx.key(&[]), "the function has no runtime block")
                .label("needs one of `java`, `python`, `golang`, `genericRuntime`")
                .help("add exactly one runtime block"),
        ),
        1 => {}
        _ => out.push(
            Diagnostic::error(
                "C002",
                ctx.key(&[present[1]]),
                format!("conflicting runtimes: `{}`", present.join("`, `")),
            )
            .label("second runtime block")
            .with_secondary(ctx.key(&[present[0]]), "first runtime block")
            .help("keep exactly one runtime block"),
        ),
    }
}

fn class_name(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let needs = s.java.is_some() || (s.python.is_some() && ctx.comp.kind == ComponentKind::Function);
    // A Function whose source and sink are connectors still runs a class; a
    // Function with a window uses the window executor but still names its class.
    if needs && s.class_name.as_deref().is_none_or(str::is_empty) {
        let runtime = if s.java.is_some() { "java" } else { "python" };
        out.push(
            Diagnostic::error("C003", ctx.key(&[runtime]), "`className` is required for java and python runtimes")
                .label("this runtime loads a class")
                .help("set `spec.className` (for python: `module.ClassName`)"),
        );
    }
}

fn locations(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let fields = [
        ("java", "jarLocation", s.java.as_ref().and_then(|j| j.jar_location.as_deref())),
        ("python", "pyLocation", s.python.as_ref().and_then(|p| p.py_location.as_deref())),
        ("golang", "goLocation", s.golang.as_ref().and_then(|g| g.go_location.as_deref())),
        (
            "genericRuntime",
            "functionFileLocation",
            s.generic_runtime.as_ref().and_then(|g| g.function_file_location.as_deref()),
        ),
    ];
    for (block, field, loc) in fields {
        let Some(loc) = loc.filter(|l| !l.is_empty()) else { continue };
        let span = ctx.span(&[block, field]);
        if is_http_url(loc) {
            continue;
        }
        if is_package_url(loc) {
            let path = loc.split_once("://").map_or("", |(_, p)| p);
            let parts: Vec<&str> = path.split('/').collect();
            if parts.len() != 3 || parts.iter().any(|p| p.is_empty()) {
                out.push(
                    Diagnostic::error(
                        "C004",
                        span,
                        format!("package URL `{loc}` is not `<type>://tenant/namespace/name[@version]`"),
                    )
                    .label("malformed package URL")
                    .help("write it as function://public/default/my-function@v1"),
                );
            }
        } else if loc.split('/').filter(|p| !p.is_empty()).count() == 3 && !loc.contains("://") {
            out.push(
                Diagnostic::warning("C004", span, format!("bare package path `{loc}` is deprecated"))
                    .label("downloaded with the legacy `functions download`")
                    .help(format!("use `function://{loc}` (the operator's webhook refuses this form)")),
            );
        } else {
            out.push(
                Diagnostic::error("C004", span, format!("unsupported package location `{loc}`"))
                    .label("fmc cannot download this")
                    .help("use function://, source://, sink:// package URLs or an http(s):// URL"),
            );
        }
    }
}

fn state(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let Some(p) = s.stateful_config.as_ref().and_then(|c| c.pulsar.as_ref()) else { return };
    if s.golang.is_some() && s.java.is_none() && s.python.is_none() {
        out.push(
            Diagnostic::error("C012", ctx.key(&["statefulConfig"]), "Go functions have no state store")
                .label("not supported for golang")
                .help("remove `statefulConfig`"),
        );
    }
    if p.service_url.is_empty() {
        out.push(
            Diagnostic::error(
                "C012",
                ctx.span(&["statefulConfig", "pulsar", "serviceUrl"]),
                "`statefulConfig.pulsar.serviceUrl` is empty",
            )
            .label("empty")
            .help("set the state store URL, e.g. bk://bookie:4181"),
        );
    }
}
