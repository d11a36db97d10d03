//! The plug-in modes: `fmc post-render` (Helm), `fmc krm` (kpt, kustomize KRM
//! functions) and `fmc kustomize-plugin` (legacy kustomize exec plug-in).

use super::{EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, OptionArgs, ReportArgs, options_or_usage, print_diagnostics};
use crate::options::BuildOptions;
use std::io::{Read, Write};
use std::path::Path;

/// The plug-in's input. Bytes that are not UTF-8 are diagnostic P014 (printed
/// in `report`'s format, human for the KRM function), like everywhere else.
fn read_stdin(report: Option<&ReportArgs>, stderr: &mut dyn Write) -> Result<String, u8> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(|e| {
        let _ = writeln!(stderr, "fmc: cannot read stdin: {e}");
        EXIT_USAGE
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let mut sources = crate::source::SourceMap::default();
            sources.add_bytes("<stdin>", e.into_bytes(), None);
            let out = crate::pipeline::compile(&sources, &BuildOptions::default());
            let default =
                ReportArgs { error_format: super::FormatArg::Human, color: super::ColorArg::Never, quiet: true };
            print_diagnostics(&out, &sources, report.unwrap_or(&default), stderr);
            Err(EXIT_DIAGNOSTICS)
        }
    }
}

pub fn post_render(report: &ReportArgs, options: &OptionArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let options = match options_or_usage(options, stderr) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let text = match read_stdin(Some(report), stderr) {
        Ok(t) => t,
        Err(code) => return code,
    };
    stream_plugin(crate::gitops::postrender::HELM_INPUT, &text, &options, report, stdout, stderr)
}

/// Shared by the Helm post-renderer and the legacy kustomize plug-in.
fn stream_plugin(
    input: &str,
    text: &str,
    options: &BuildOptions,
    report: &ReportArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let result = crate::gitops::postrender::post_render_input(input, text, options);
    let mut rendered = Vec::new();
    print_diagnostics(&result.compiled, &result.sources, report, &mut rendered);
    let _ = stderr.write_all(&rendered);
    let failed = result.compiled.has_errors() || result.output.trim().is_empty();
    if failed {
        // Helm 4 discards stderr: leave the diagnostics where the user can read them.
        let file = crate::gitops::postrender::diagnostics_file();
        let mut log = rendered.clone();
        if result.output.trim().is_empty() && !result.compiled.has_errors() {
            log.extend_from_slice(b"fmc: the input has no documents; refusing to produce empty output\n");
        }
        let saved = std::fs::write(&file, &log).is_ok();
        let where_ = if saved { format!("; diagnostics saved to {}", file.display()) } else { String::new() };
        let mode = if input == crate::gitops::postrender::KUSTOMIZE_INPUT { "kustomize-plugin" } else { "post-render" };
        let _ = writeln!(stderr, "fmc {mode} failed{where_}");
        return EXIT_DIAGNOSTICS;
    }
    if stdout.write_all(result.output.as_bytes()).is_err() {
        return EXIT_USAGE;
    }
    EXIT_OK
}

pub fn krm(options: &OptionArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let base = match options_or_usage(options, stderr) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let text = match read_stdin(None, stderr) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let out = crate::gitops::krm::run_krm(&text, &base);
    let _ = stdout.write_all(out.text.as_bytes());
    if out.failed {
        let _ = writeln!(stderr, "fmc: the KRM function reported errors (see results)");
        return EXIT_DIAGNOSTICS;
    }
    EXIT_OK
}

pub fn kustomize_plugin(config: &Path, report: &ReportArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let config_text = match std::fs::read_to_string(config) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: cannot read {}: {e}", config.display());
            return EXIT_USAGE;
        }
    };
    let mut diags = crate::diagnostics::Diagnostics::default();
    let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), &config_text, &mut diags);
    let value = docs.first().map(|d| d.root.to_json()).unwrap_or_default();
    // Files resolve inside the kustomization root, as kustomize's own load
    // restrictor has it (`$FMC_ROOT` chooses another).
    let read_root = std::env::var_os("FMC_ROOT")
        .or_else(|| std::env::var_os("KUSTOMIZE_PLUGIN_CONFIG_ROOT"))
        .map(std::path::PathBuf::from);
    let base = BuildOptions { write_default_namespace: false, read_root, ..BuildOptions::default() };
    let options = match crate::gitops::krm::options_from(&value, &base) {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let text = match read_stdin(Some(report), stderr) {
        Ok(t) => t,
        Err(code) => return code,
    };
    stream_plugin(crate::gitops::postrender::KUSTOMIZE_INPUT, &text, &options, report, stdout, stderr)
}
