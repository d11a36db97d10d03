//! The command line: thin wrappers around [`crate::pipeline::compile`].
//!
//! Exit codes: 0 ok, 1 error diagnostics, 2 usage or I/O errors.

use crate::diagnostics::report::{ErrorFormat, render};
use crate::options::BuildOptions;
use crate::pipeline::{CompileOutput, compile};
use crate::source::SourceMap;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub const EXIT_OK: u8 = 0;
pub const EXIT_DIAGNOSTICS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "fmc",
    version,
    about = "The Function Mesh compiler: Function Mesh resources → plain Kubernetes manifests"
)]
#[command(
    after_help = "Examples:\n  fmc build examples/operator/java-function.yaml > manifests.yaml\n  fmc check examples/\n  fmc explain R001\n  fmc schema > fmc-input.schema.json"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile inputs and print the rendered multi-document YAML.
    Build(BuildArgs),
    /// Compile inputs and report diagnostics only.
    Check(BuildArgs),
    /// Show what changes, object by object and field by field, between two inputs
    /// (sources or rendered manifests). Exit 0 when equal, 1 when they differ.
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Helm post-renderer: rendered chart on stdin, expanded manifests on stdout.
    PostRender {
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// KRM function (kpt, kustomize): ResourceList on stdin and stdout.
    Krm {
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Legacy kustomize exec plug-in: CONFIG is the plug-in's config file, the
    /// resources come on stdin; used through plugins/kustomize/.
    KustomizePlugin {
        config: PathBuf,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Print the JSON Schema (draft-07) of the accepted input.
    Schema,
    /// Print the long documentation of a diagnostic code.
    Explain {
        /// A code such as R001.
        code: String,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum FormatArg {
    Human,
    Json,
    Github,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// How diagnostics are printed.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// How diagnostics are printed on stderr.
    #[arg(long, value_enum, default_value = "human")]
    pub error_format: FormatArg,
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorArg,
    /// Print errors only (no warnings).
    #[arg(long, short)]
    pub quiet: bool,
}

/// The compile options (the operator's flags and controller config).
#[derive(Args, Debug, Clone)]
pub struct OptionArgs {
    /// Namespace for resources that set none.
    #[arg(long, default_value = "default")]
    pub namespace: String,
    /// Download packages in an init container (operator --enable-init-containers).
    #[arg(long)]
    pub enable_init_containers: bool,
    /// Do not add the default pod anti-affinity (operator --add-default-affinity=false).
    #[arg(long)]
    pub no_default_affinity: bool,
    /// Name of the global BackendConfig (operator --global-backend-config).
    #[arg(long)]
    pub global_backend_config: Option<String>,
    /// Namespace of the global BackendConfig.
    #[arg(long, default_value = "default")]
    pub global_backend_config_namespace: String,
    /// Name of the per-namespace BackendConfig.
    #[arg(long, default_value = "backend-config")]
    pub namespaced_backend_config: String,
    /// Set runAsNonRoot: false in the default pod security context (operator default).
    #[arg(long)]
    pub allow_root: bool,
    /// Default runner image, as KEY=IMAGE with KEY java, python, go or generic/<language>.
    #[arg(long = "runner-image", value_name = "KEY=IMAGE")]
    pub runner_images: Vec<String>,
    /// Render subscription cleanup as a Helm pre-delete / Argo CD PostDelete Job.
    #[arg(long)]
    pub cleanup_hooks: bool,
    /// The operator's controller config file (runnerImages, runnerImagePullSecrets,
    /// runnerImagePullPolicy, resourceLabels, resourceAnnotations).
    #[arg(long, value_name = "FILE")]
    pub controller_config: Option<PathBuf>,
    /// Annotate objects containing `${…}` with kustomize.toolkit.fluxcd.io/substitute: disabled.
    #[arg(long)]
    pub flux_no_substitute: bool,
    /// Render a NetworkPolicy per component (ingress only to the metrics port).
    #[arg(long)]
    pub network_policy: bool,
}

#[derive(Args, Debug, Clone)]
pub struct BuildArgs {
    /// Files, directories (every *.yaml/*.yml inside, sorted) or `-` for stdin.
    #[arg(default_value = "-")]
    pub paths: Vec<PathBuf>,
    /// Write one file per object under DIR (plus a kustomization.yaml) instead of stdout.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// With -o: write nothing, print a diff and exit 1 when DIR is out of date.
    #[arg(long, requires = "out_dir")]
    pub check: bool,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub options: OptionArgs,
}

impl OptionArgs {
    pub fn options(&self) -> Result<BuildOptions, String> {
        let mut o = BuildOptions {
            default_namespace: self.namespace.clone(),
            enable_init_containers: self.enable_init_containers,
            add_default_affinity: !self.no_default_affinity,
            global_backend_config: self.global_backend_config.clone(),
            global_backend_config_namespace: self.global_backend_config_namespace.clone(),
            namespaced_backend_config: self.namespaced_backend_config.clone(),
            run_as_non_root: !self.allow_root,
            cleanup_hooks: self.cleanup_hooks,
            flux_no_substitute: self.flux_no_substitute,
            network_policy: self.network_policy,
            ..BuildOptions::default()
        };
        if let Some(path) = &self.controller_config {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            o.apply_controller_config(&text)?;
        }
        for pair in &self.runner_images {
            let (k, v) =
                pair.split_once('=').ok_or_else(|| format!("--runner-image expects KEY=IMAGE, got `{pair}`"))?;
            o.runner_images.insert(k.to_string(), v.to_string());
        }
        Ok(o)
    }
}

/// Reads every input path into a source map (files sorted within directories).
pub fn load_sources(paths: &[PathBuf]) -> Result<SourceMap, String> {
    let mut sources = SourceMap::default();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read stdin: {e}"))?;
            sources.add("<stdin>", text);
        } else if path.is_dir() {
            for file in yaml_files(path)? {
                add_file(&mut sources, &file)?;
            }
        } else {
            add_file(&mut sources, path)?;
        }
    }
    Ok(sources)
}

fn add_file(sources: &mut SourceMap, path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
    sources.add(path.display().to_string(), text);
    Ok(())
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let p = entry.map_err(|e| format!("cannot read {}: {e}", d.display()))?.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

pub fn print_diagnostics(out: &CompileOutput, sources: &SourceMap, args: &ReportArgs, stderr: &mut dyn Write) {
    let format = match args.error_format {
        FormatArg::Human => ErrorFormat::Human,
        FormatArg::Json => ErrorFormat::Json,
        FormatArg::Github => ErrorFormat::Github,
    };
    let color = match args.color {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    for d in out.diagnostics.clone().into_sorted() {
        if args.quiet && !d.is_error() {
            continue;
        }
        let _ = writeln!(stderr, "{}", render(&d, sources, format, color));
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    ExitCode::from(run_with(cli, &mut stdout, &mut stderr))
}

/// Runs a command with explicit output streams (tests call this in-process).
pub fn run_with(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match cli.command {
        Command::Schema => {
            let _ = stdout.write_all(crate::schema::input_schema().as_bytes());
            EXIT_OK
        }
        Command::Explain { code } => match crate::diagnostics::codes::lookup(&code) {
            Some(info) => {
                let _ = writeln!(stdout, "{} ({})\n\n{}", info.code, info.slug, info.docs.trim_end());
                EXIT_OK
            }
            None => {
                let _ = writeln!(stderr, "fmc: unknown diagnostic code `{code}`");
                EXIT_USAGE
            }
        },
        Command::Build(args) => build(&args, true, stdout, stderr),
        Command::Check(args) => build(&args, false, stdout, stderr),
        Command::Diff { old, new, report, options } => diff(&old, &new, &report, &options, stdout, stderr),
        Command::PostRender { report, options } => post_render(&report, &options, stdout, stderr),
        Command::Krm { options } => krm(&options, stdout, stderr),
        Command::KustomizePlugin { config, report } => kustomize_plugin(&config, &report, stdout, stderr),
    }
}

fn build(args: &BuildArgs, print: bool, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let options = match args.options.options() {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let sources = match load_sources(&args.paths) {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let out = compile(&sources, &options);
    print_diagnostics(&out, &sources, &args.report, stderr);
    if out.has_errors() {
        return EXIT_DIAGNOSTICS;
    }
    if let Some(dir) = &args.out_dir {
        return write_tree(dir, &out, args.check, stdout, stderr);
    }
    if print {
        // Streamed document by document: the output is never held twice.
        let start = std::time::Instant::now();
        let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout);
        let written = out.manifests.iter().try_for_each(|m| {
            w.write_all(b"---\n")?;
            w.write_all(m.yaml.as_bytes())
        });
        if written.and_then(|_| w.flush()).is_err() {
            return EXIT_USAGE;
        }
        if std::env::var_os("FMC_TIMINGS").is_some() {
            eprintln!("fmc timing: emit     {:>8.1} ms", start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    // The process ends right after this: freeing every object one by one would
    // only cost time (a tenth of a 10,000-function build); the OS reclaims it.
    std::mem::forget(out);
    std::mem::forget(sources);
    EXIT_OK
}

fn write_tree(dir: &Path, out: &CompileOutput, check: bool, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let tree = crate::gitops::tree::plan(&out.manifests);
    if check {
        return match crate::gitops::tree::changes(dir, &tree) {
            Ok((changes, _)) if changes.is_empty() => EXIT_OK,
            Ok((changes, diff)) => {
                let _ = stdout.write_all(diff.as_bytes());
                let _ = writeln!(
                    stderr,
                    "fmc: {} is out of date ({} files differ); run without --check",
                    dir.display(),
                    changes.len()
                );
                EXIT_DIAGNOSTICS
            }
            Err(e) => {
                let _ = writeln!(stderr, "fmc: {e}");
                EXIT_USAGE
            }
        };
    }
    match crate::gitops::tree::write(dir, &tree) {
        Ok(_) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            EXIT_USAGE
        }
    }
}

fn compile_paths(
    path: &Path,
    options: &BuildOptions,
    report: &ReportArgs,
    stderr: &mut dyn Write,
) -> Result<CompileOutput, u8> {
    let sources = load_sources(&[path.to_path_buf()]).map_err(|e| {
        let _ = writeln!(stderr, "fmc: {e}");
        EXIT_USAGE
    })?;
    let out = compile(&sources, options);
    print_diagnostics(&out, &sources, report, stderr);
    if out.has_errors() { Err(EXIT_DIAGNOSTICS) } else { Ok(out) }
}

fn diff(
    old: &Path,
    new: &Path,
    report: &ReportArgs,
    options: &OptionArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let options = match options.options() {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let (a, b) = match (compile_paths(old, &options, report, stderr), compile_paths(new, &options, report, stderr)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let lines = crate::gitops::diff::semantic_diff(&a.manifests, &b.manifests);
    for line in &lines {
        let _ = writeln!(stdout, "{line}");
    }
    if lines.is_empty() { EXIT_OK } else { EXIT_DIAGNOSTICS }
}

fn read_stdin(stderr: &mut dyn Write) -> Result<String, u8> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| {
        let _ = writeln!(stderr, "fmc: cannot read stdin: {e}");
        EXIT_USAGE
    })?;
    Ok(text)
}

fn post_render(report: &ReportArgs, options: &OptionArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let options = match options.options() {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let text = match read_stdin(stderr) {
        Ok(t) => t,
        Err(code) => return code,
    };
    stream_plugin(&text, &options, report, stdout, stderr)
}

/// Shared by the Helm post-renderer and the legacy kustomize plug-in.
fn stream_plugin(
    text: &str,
    options: &BuildOptions,
    report: &ReportArgs,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let result = crate::gitops::postrender::post_render(text, options);
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
        let _ = writeln!(stderr, "fmc post-render failed{where_}");
        return EXIT_DIAGNOSTICS;
    }
    if stdout.write_all(result.output.as_bytes()).is_err() {
        return EXIT_USAGE;
    }
    EXIT_OK
}

fn krm(options: &OptionArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let base = match options.options() {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let text = match read_stdin(stderr) {
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

fn kustomize_plugin(config: &Path, report: &ReportArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
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
    let base = BuildOptions { write_default_namespace: false, ..BuildOptions::default() };
    let options = match crate::gitops::krm::options_from(&value, &base) {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(stderr, "fmc: {e}");
            return EXIT_USAGE;
        }
    };
    let text = match read_stdin(stderr) {
        Ok(t) => t,
        Err(code) => return code,
    };
    stream_plugin(&text, &options, report, stdout, stderr)
}
