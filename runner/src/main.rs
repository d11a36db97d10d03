//! `fmc-runner [--config PATH]` (default `/etc/fmc/runner.json`, or
//! `$FMC_RUNNER_CONFIG`). Exit codes: 0 after a clean stop (SIGTERM or end of
//! input), 1 on a runtime failure, 2 on a configuration error.

use fmc_runner::{config::Config, function, ops, package, run};
use std::path::PathBuf;
use std::sync::Arc;

fn config_path() -> PathBuf {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--config" {
            return args.next().map(PathBuf::from).unwrap_or_default();
        }
    }
    std::env::var_os("FMC_RUNNER_CONFIG").map_or_else(|| PathBuf::from("/etc/fmc/runner.json"), PathBuf::from)
}

/// The configuration with the Python code's local path, once fetched.
fn with_python_path(mut config: Config, path: Option<String>) -> Config {
    if let (fmc_runner::config::FunctionConfig::Python(python), Some(p)) = (&mut config.function, path) {
        python.path = Some(p);
        python.url = None;
    }
    config
}

/// The user function: a Python one by the Python engine (feature `python`),
/// any other by the engines of `fmc-engine`.
fn load_function(
    config: &Config,
    module: Option<&[u8]>,
    context: &function::Context,
) -> Result<Box<dyn function::UserFunction>, String> {
    #[cfg(feature = "python")]
    if let fmc_runner::config::FunctionConfig::Python(python) = &config.function {
        return fmc_python::load(config, python, context);
    }
    function::load(config, module, context)
}

fn main() -> std::process::ExitCode {
    // The jq evaluator child (function/isolated.rs): no configuration, no runtime.
    if std::env::args_os().nth(1).is_some_and(|a| a == function::isolated::EVALUATE_ARG) {
        return function::isolated::serve();
    }
    // A Go function started from the runner's image (launch.rs).
    if std::env::args_os().nth(1).is_some_and(|a| a == fmc_runner::launch::LAUNCH_ARG) {
        return fmc_runner::launch::run(std::env::args().skip(2));
    }
    // One function served on stdio to `fmc test` (function/served.rs).
    if std::env::args_os().nth(1).is_some_and(|a| a == function::served::SERVE_ARG) {
        return function::served::serve(|config, context| load_function(config, None, context));
    }
    let config = match Config::load(&config_path()) {
        Ok(c) => c,
        Err(e) => {
            ops::log("error", "invalid configuration", &[("error", e)]);
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(worker_threads()).enable_all().build();
    let Ok(runtime) = runtime else { return std::process::ExitCode::from(1) };
    // A Python function's code fetched first (to the journal's emptyDir, the
    // pod's writable folder, or the temporary folder).
    let folder = config.journal_dir.clone().map_or_else(std::env::temp_dir, PathBuf::from);
    let config = match runtime.block_on(package::python_code(&config, &folder)) {
        Ok(path) => with_python_path(config, path),
        Err(e) => {
            ops::log("error", "cannot load the function", &[("error", e)]);
            return std::process::ExitCode::from(2);
        }
    };
    let loaded = runtime.block_on(package::module_bytes(&config));
    let context = function::Context::from_config(&config, |name| std::env::var(name).ok());
    let function = match loaded.and_then(|module| load_function(&config, module.as_deref(), &context?)) {
        Ok(f) => f,
        Err(e) => {
            ops::log("error", "cannot load the function", &[("error", e)]);
            return std::process::ExitCode::from(2);
        }
    };
    if config.processing_guarantee == fmc_runner::config::Guarantee::Manual && function.acknowledged().is_none() {
        let why = "MANUAL needs a module of the batch ABI (fmc_process_batch), which acknowledges inputs itself";
        ops::log("error", "cannot load the function", &[("error", why.into())]);
        return std::process::ExitCode::from(2);
    }
    let result = runtime.block_on(async move {
        let stats = Arc::new(ops::Stats::default());
        let listener = tokio::net::TcpListener::bind(&config.http_addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.http_addr))?;
        // The bound address (port 0 picks one: tests and `fmc dev` read it here).
        let bound = listener.local_addr().map_or_else(|_| config.http_addr.clone(), |a| a.to_string());
        ops::log("info", "listening", &[("addr", bound)]);
        let labels = format!(
            "tenant=\"{}\",namespace=\"{}/{}\",name=\"{}\",instance_id=\"{}\",cluster=\"{}\",fqfn=\"{}\"",
            config.tenant,
            config.tenant,
            config.namespace,
            config.name,
            config.instance_id,
            config.cluster,
            config.fqfn()
        );
        tokio::spawn(ops::serve(listener, stats.clone(), labels));
        let stop = async {
            if let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                term.recv().await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        run::run(config, function, stats, stop).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            ops::log("error", "runner failed", &[("error", e)]);
            std::process::ExitCode::from(1)
        }
    }
}

/// Tokio worker threads: `FMC_RUNNER_WORKER_THREADS`, default 2 (one for the
/// Pulsar connection, one for processing).
fn worker_threads() -> usize {
    std::env::var("FMC_RUNNER_WORKER_THREADS").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(2)
}
