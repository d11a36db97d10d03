//! Go functions started from fmc's runner image (`fmc build --go-runner fmc`,
//! the annotation `fmc.functionmesh.io/runner: fmc`, or `runner: fmc` in a
//! native mesh).
//!
//! Why: a Go function is one static binary, yet the operator runs it in its Go
//! runner image — a JRE and every Pulsar jar — only for `bash`, the package
//! download and `exec`. fmc's runner image (static, no shell) does the same
//! work: an init container puts the binary where the runner finds it (copied
//! out of the image the operator would have run, or downloaded by the
//! operator's downloader), or the runner fetches a pinned URL itself; then the
//! runner checks the `sha256` when one is pinned and executes the binary with
//! the instance configuration the operator's command passes
//! (`render::command::go_conf_json`). Nothing about the function changes, so
//! nothing is refused beyond where the binary comes from.

use crate::ast::Document;
use crate::diagnostics::Diagnostics;
use crate::model::{ComponentKind, ComponentSpec, GoLauncher, Origin, RunnerCode};
use crate::options::{BuildOptions, RunnerChoice};

/// Whether the component is a Go function (what the Go choice applies to).
pub fn is_go_function(kind: ComponentKind, spec: &ComponentSpec) -> bool {
    kind == ComponentKind::Function && spec.golang.is_some()
}

/// The launcher of a Go function asked to start from fmc's runner image,
/// with R019 where the binary cannot be found that way; `None` otherwise.
pub fn launcher(
    kind: ComponentKind,
    spec: &ComponentSpec,
    origin: &Origin,
    choice: &super::python_runner::Choice,
    options: &BuildOptions,
    docs: &[Document],
    diags: &mut Diagnostics,
) -> Option<GoLauncher> {
    if !is_go_function(kind, spec) {
        return None;
    }
    if choice.go(options) != RunnerChoice::Fmc {
        if choice.sha256.is_some() {
            let why = "is the only launcher that checks the binary's `sha256`; the operator's Go runner would not";
            let diagnostic = crate::diagnostics::Diagnostic::error("R019", origin.span(docs, &["golang"]), format!("fmc's runner {why}"))
                .label("a Go function the operator's Go runner image starts")
                .help("start it from fmc's runner image (`runner: fmc`, annotation `fmc.functionmesh.io/runner: fmc`), or drop the pin");
            diags.push(diagnostic);
        }
        return None;
    }
    match binary(spec, choice.sha256.clone(), options) {
        Ok(launcher) => Some(launcher),
        Err(why) => {
            diags.push(refused(origin.key_span(docs, &["golang"]), why));
            None
        }
    }
}

fn refused(span: crate::source::Span, why: &str) -> crate::diagnostics::Diagnostic {
    crate::diagnostics::Diagnostic::error("R019", span, format!("fmc's runner {why}"))
        .label("a Go function started from fmc's runner image")
        .help("change the setting, or start this function from the operator's Go runner image (`runner: operator`, annotation `fmc.functionmesh.io/runner: operator`)")
}

/// Where the runner finds the binary, and which init container puts it there.
fn binary(spec: &ComponentSpec, sha256: Option<String>, options: &BuildOptions) -> Result<GoLauncher, &'static str> {
    let go = spec.golang.clone().unwrap_or_default();
    let file = go.go.rsplit('/').next().unwrap_or_default().to_string();
    if file.is_empty() || file == "." || file == ".." {
        return Err("needs the binary's file name in `golang.go`");
    }
    if go.go.starts_with('-') {
        return Err("copies no file whose name starts with `-`");
    }
    let at_download = Some(format!("{}/{file}", crate::model::DOWNLOAD_DIR));
    let location = go.go_location.filter(|l| !l.is_empty());
    let launcher = match location {
        Some(url) if sha256.is_some() && crate::model::is_http_url(&url) => {
            if crate::diagnostics::redact::holds_url_credential(&url) {
                return Err("downloads no URL holding a credential");
            }
            let tls_trust_certs = spec.pulsar.as_ref().and_then(crate::lower::tls_trust_certs);
            GoLauncher { path: None, url: Some(url), sha256, tls_trust_certs, code: None }
        }
        Some(_) => {
            GoLauncher { path: at_download, url: None, sha256, tls_trust_certs: None, code: Some(RunnerCode::Download) }
        }
        None => {
            let image = spec.image.clone().filter(|i| !i.is_empty());
            let image = image.or_else(|| options.runner_images.get("go").cloned());
            let image = image.unwrap_or_else(|| crate::model::GO_RUNNER_IMAGE.to_string());
            let code = Some(RunnerCode::Copy { image, path: go.go });
            GoLauncher { path: at_download, url: None, sha256, tls_trust_certs: None, code }
        }
    };
    Ok(launcher)
}
