//! The command line: thin wrappers around [`crate::pipeline::compile`], one file
//! per group of subcommands (`build.rs`: build, check, diff; `plugins.rs`:
//! post-render, krm, kustomize-plugin; `input.rs`: reading inputs).
//!
//! Exit codes: 0 ok, 1 error diagnostics, 2 usage or I/O errors.

mod build;
mod dev;
mod graph;
mod input;
mod plugins;
mod test;

pub use input::load_sources;

use crate::diagnostics::report::{ErrorFormat, render};
use crate::options::BuildOptions;
use crate::pipeline::CompileOutput;
use crate::source::SourceMap;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
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
    after_help = "Examples:\n  fmc build examples/operator/java-function.yaml > manifests.yaml\n  fmc check --types examples/dsl/cdc-pipeline/mesh.yaml\n  fmc build --env staging examples/dsl/cdc-pipeline/mesh.yaml\n  fmc graph --format mermaid examples/dsl/clickstream-analytics/mesh.yaml\n  fmc convert examples/operator/pipeline-mesh.yaml > mesh.yaml\n  fmc test examples/dsl\n  fmc explain R001\n  fmc schema > fmc-input.schema.json"
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
    /// Draw the stream graph (components, topics as labelled edges, schema names)
    /// as Graphviz DOT or Mermaid. Exit 1 when the input has errors.
    Graph {
        /// Files, directories or `-` for stdin.
        #[arg(default_value = "-")]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "dot")]
        format: GraphFormatArg,
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Turn operator resources (Function, Source, Sink, FunctionMesh) into the
    /// native mesh DSL; other documents are copied unchanged.
    Convert {
        /// Files, directories or `-` for stdin.
        #[arg(default_value = "-")]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Run every `runtime: native` function of a mesh locally as an fmc-runner
    /// process, against --broker or a pulsar-lite started from PATH, with a live
    /// line per component. Runs until Ctrl-C (or --duration).
    Dev {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// A broker to use (`pulsar://host:6650`) instead of a local pulsar-lite.
        #[arg(long, value_name = "URL")]
        broker: Option<String>,
        /// The pulsar-lite binary (default: on PATH, else where `pip install
        /// pulsar-lite` put it for the `python3` on PATH).
        #[arg(long, value_name = "PATH", env = "FMC_PULSAR_LITE")]
        pulsar_lite: Option<PathBuf>,
        /// Where fmc-runner and fmc-pulsar-relay are (default: beside fmc, then PATH).
        #[arg(long, value_name = "DIR")]
        runner_dir: Option<PathBuf>,
        /// Where configurations, logs and the local broker's data go (default: a temp dir).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
        /// Stop after this many seconds.
        #[arg(long, value_name = "SECONDS")]
        duration: Option<f64>,
        /// A module the mesh names inside its image (`file: /functions/x.wasm`),
        /// as KEY=FILE on this machine: KEY is the component's key in the mesh
        /// (like a test file's `modules:`).
        #[arg(long = "module", value_name = "KEY=FILE")]
        modules: Vec<String>,
        #[command(flatten)]
        report: ReportArgs,
        #[command(flatten)]
        options: OptionArgs,
    },
    /// Run the mesh tests (`kind: MeshTest`, `*.test.yaml`) under the paths:
    /// messages in, what must arrive where, native functions run in-process
    /// and every message checked against each schema it crosses. Exit 1 when
    /// a test fails.
    Test {
        /// Test files, or directories searched for `*.test.yaml`.
        #[arg(default_value = ".")]
        paths: Vec<PathBuf>,
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
pub enum GraphFormatArg {
    Dot,
    Mermaid,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq, Default)]
pub enum TargetArg {
    /// Plain Kubernetes manifests (StatefulSets, Services, HPAs, …).
    #[default]
    Manifests,
    /// Function Mesh resources, for clusters that run the operator.
    Operator,
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
    /// The folder inputs may read files (schema `file:`) from. Default: the
    /// directory argument, else each file's folder; stdin and plug-in modes
    /// read no file without it (a document there names files relative to
    /// DIR, or to its KRM path annotation inside DIR).
    #[arg(long, value_name = "DIR", env = "FMC_ROOT")]
    pub root: Option<PathBuf>,
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
    /// The runner images `scripts/images.sh` built (its `runner-images.json`):
    /// rendered pods name them by digest. Default: `runner-images.json` beside
    /// the fmc binary, when there is one.
    #[arg(long, value_name = "FILE", env = "FMC_RUNNER_IMAGES_FILE")]
    pub runner_images_file: Option<PathBuf>,
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
    /// Also render the Pulsar resources native meshes declare (connections,
    /// tenants, namespaces, topics with schemas) for this provisioner.
    #[arg(long, value_name = "PROVISIONER", value_parser = ["resources-operator"], env = "FMC_PROVISION")]
    pub provision: Option<String>,
    /// A PodDisruptionBudget for every component that can run more than one replica.
    #[arg(long, env = "FMC_DISRUPTION_BUDGETS", value_parser = clap::builder::BoolishValueParser::new())]
    pub disruption_budgets: bool,
    /// A Prometheus Operator PodMonitor or ServiceMonitor for every component.
    #[arg(long, value_name = "KIND", value_parser = ["pod", "service"], env = "FMC_MONITOR")]
    pub monitor: Option<String>,
    /// Write `replicas` on workloads an HPA or KEDA scales (left out by default:
    /// a sync of the committed manifest would reset the autoscaler's choice).
    #[arg(long, env = "FMC_KEEP_AUTOSCALED_REPLICAS", value_parser = clap::builder::BoolishValueParser::new())]
    pub keep_autoscaled_replicas: bool,
    /// What runs Python functions: `operator` (the upstream instance, the
    /// default) or `fmc` (fmc's runner; a component may still choose).
    #[arg(long, value_name = "RUNNER", value_parser = ["operator", "fmc"], env = "FMC_PYTHON_RUNNER")]
    pub python_runner: Option<String>,
    /// What starts Go functions: `operator` (its Go runner image, the default)
    /// or `fmc` (fmc's runner image launches the binary; a component may still choose).
    #[arg(long, value_name = "RUNNER", value_parser = ["operator", "fmc"], env = "FMC_GO_RUNNER")]
    pub go_runner: Option<String>,
    /// Apply the overrides of this environment of native meshes (`spec.environments`).
    #[arg(long = "env", value_name = "NAME", env = "FMC_ENV")]
    pub environment: Option<String>,
    /// What to emit: plain manifests, or Function Mesh resources for the operator.
    #[arg(long, value_enum, default_value = "manifests")]
    pub target: TargetArg,
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
    /// Accept an input with no objects (and, with -o, remove every generated
    /// file). Without it, an empty input is an error: a GitOps tool that pruned
    /// on an empty render would delete every workload.
    #[arg(long)]
    pub allow_empty: bool,
    /// `fmc check`: also print every reader/writer pair the type checker looked
    /// at, with its verdict (compatible, incompatible, or unchecked and why).
    #[arg(long)]
    pub types: bool,
    /// Every environment the input's meshes declare, one after the other:
    /// `build -o DIR` writes one tree per environment, `DIR/<name>`; `check`
    /// checks each.
    #[arg(long, conflicts_with = "environment")]
    pub all_envs: bool,
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
            provision: self.provision.as_deref().and_then(crate::options::Provisioner::parse),
            disruption_budgets: self.disruption_budgets,
            monitor: self.monitor.as_deref().and_then(crate::options::MonitorKind::parse),
            environment: self.environment.clone(),
            keep_autoscaled_replicas: self.keep_autoscaled_replicas,
            python_runner: self
                .python_runner
                .as_deref()
                .and_then(crate::options::RunnerChoice::parse)
                .unwrap_or_default(),
            go_runner: self.go_runner.as_deref().and_then(crate::options::RunnerChoice::parse).unwrap_or_default(),
            target_operator: self.target == TargetArg::Operator,
            read_root: self.root.clone(),
            ..BuildOptions::default()
        };
        if let Some(path) = &self.controller_config {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let mut diags = crate::diagnostics::Diagnostics::default();
            let docs = crate::parse::yaml::read_documents(crate::source::FileId(0), &text, &mut diags);
            if let Some(d) = diags.iter().next() {
                return Err(format!("controller config: {}", d.message));
            }
            o.apply_controller_config(&docs.first().map(|d| d.root.to_json()).unwrap_or_default())?;
        }
        if let Some(images) = built_runner_images(self.runner_images_file.as_deref())? {
            o.runner_images.extend(images);
        }
        for pair in &self.runner_images {
            let (k, v) =
                pair.split_once('=').ok_or_else(|| format!("--runner-image expects KEY=IMAGE, got `{pair}`"))?;
            o.runner_images.insert(k.to_string(), v.to_string());
        }
        o.validate()?;
        Ok(o)
    }
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
        Command::Graph { paths, format, report, options } => {
            graph::graph(&paths, format, &report, &options, stdout, stderr)
        }
        Command::Convert { paths, report } => graph::convert(&paths, &report, stdout, stderr),
        Command::Test { paths, report } => test::test(&paths, &report, stdout, stderr),
        Command::Dev { paths, broker, pulsar_lite, runner_dir, work_dir, duration, modules, report, options } => {
            let args = dev::DevArgs {
                paths: &paths,
                broker,
                pulsar_lite,
                runner_dir,
                work_dir,
                duration,
                modules: &modules,
                report: &report,
                options: &options,
            };
            dev::dev(&args, stdout, stderr)
        }
        Command::Build(args) => build::build(&args, true, stdout, stderr),
        Command::Check(args) => build::build(&args, false, stdout, stderr),
        Command::Diff { old, new, report, options } => build::diff(&old, &new, &report, &options, stdout, stderr),
        Command::PostRender { report, options } => plugins::post_render(&report, &options, stdout, stderr),
        Command::Krm { options } => plugins::krm(&options, stdout, stderr),
        Command::KustomizePlugin { config, report } => plugins::kustomize_plugin(&config, &report, stdout, stderr),
    }
}

/// The options, or the usage exit code after saying what is wrong.
/// The runner images' references by digest from `scripts/images.sh`'s
/// `runner-images.json`: the file given, else the one beside the fmc binary.
fn built_runner_images(given: Option<&Path>) -> Result<Option<BTreeMap<String, String>>, String> {
    let beside =
        || std::env::current_exe().ok()?.parent().map(|d| d.join("runner-images.json")).filter(|p| p.is_file());
    let Some(path) = given.map(Path::to_path_buf).or_else(beside) else { return Ok(None) };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let images: BTreeMap<String, String> =
        serde_json::from_str(&text).map_err(|e| format!("{}: not a runner-images.json: {e}", path.display()))?;
    for (key, image) in &images {
        if !["native", "fmc-python"].contains(&key.as_str()) || !image.contains("@sha256:") {
            return Err(format!("{}: `{key}: {image}` is not a runner image by digest", path.display()));
        }
    }
    Ok(Some(images))
}

/// A warning for a runner image named by a tag alone: a tag can move under a
/// committed manifest, a digest cannot.
pub fn tag_only_runner_images(options: &BuildOptions) -> Vec<String> {
    ["native", "fmc-python"]
        .iter()
        .filter_map(|k| options.runner_images.get(*k).map(|image| (k, image)))
        .filter(|(_, image)| !image.contains("@sha256:"))
        .map(|(k, image)| {
            format!(
                "warning: --runner-image {k}={image} names a tag, which can change under a committed manifest; \
                 name it by digest (REPO@sha256:…, printed by scripts/images.sh)"
            )
        })
        .collect()
}

fn options_or_usage(options: &OptionArgs, stderr: &mut dyn Write) -> Result<BuildOptions, u8> {
    let options = options.options().map_err(|e| {
        let _ = writeln!(stderr, "fmc: {e}");
        EXIT_USAGE
    })?;
    for warning in tag_only_runner_images(&options) {
        let _ = writeln!(stderr, "fmc: {warning}");
    }
    Ok(options)
}
