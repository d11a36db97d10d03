//! `fmc dev PATH`: run a whole mesh on this machine — every `runtime: native`
//! function as an `fmc-runner` process with the configuration `fmc build`
//! renders for its pod — against a broker, with a live line per component.
//!
//! Why a separate command rather than a script: the runners must get exactly
//! the rendered configuration (the same compiler pass), and a developer wants
//! one command from "edited mesh.yaml" to "messages flowing".
//!
//! The broker is `--broker URL`, or else a local pulsar-lite found on PATH,
//! started with a data directory under the work directory and fronted by
//! `fmc-pulsar-relay` (the runner's Pulsar client needs the message checksums
//! pulsar-lite leaves out). Runners and the relay are found beside the `fmc`
//! binary, then on PATH (`--runner-dir` overrides). Components that are not
//! native (Java, Python, Go instances, connectors) are listed and not run.

use super::{
    EXIT_DIAGNOSTICS, EXIT_OK, EXIT_USAGE, OptionArgs, ReportArgs, load_sources, options_or_usage, print_diagnostics,
};
use crate::pipeline::compile;
use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What `fmc dev` needs besides the compile options.
pub struct DevArgs<'a> {
    pub paths: &'a [PathBuf],
    pub broker: Option<String>,
    pub pulsar_lite: Option<PathBuf>,
    pub runner_dir: Option<PathBuf>,
    pub work_dir: Option<PathBuf>,
    /// Stop after this long (tests, demos); until Ctrl-C otherwise.
    pub duration: Option<f64>,
    /// `--module KEY=FILE`: local files for modules that live in the image.
    pub modules: &'a [String],
    pub report: &'a ReportArgs,
    pub options: &'a OptionArgs,
}

/// A child process ended on drop (runners get SIGTERM first: they drain).
struct Process {
    name: String,
    child: Child,
    log: PathBuf,
    /// A runner (drained with SIGTERM on stop, watched through its endpoint).
    runner: bool,
    /// The runner's HTTP endpoint, once its log names it (it binds port 0).
    http: Option<SocketAddr>,
}

impl Process {
    fn endpoint(&mut self) -> Option<SocketAddr> {
        if self.http.is_none() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let line = log.lines().find(|l| l.contains("\"msg\":\"listening\""))?;
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            self.http = value["addr"].as_str()?.parse().ok();
        }
        self.http
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        // A process that already ended is only reaped: nothing to signal, nothing to say.
        if self.runner && matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).stderr(Stdio::null()).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn dev(args: &DevArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    match run(args, stdout, stderr) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(stderr, "fmc dev: {e}");
            EXIT_USAGE
        }
    }
}

fn run(args: &DevArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<u8, String> {
    let mut options = match options_or_usage(args.options, stderr) {
        Ok(o) => o,
        Err(code) => return Ok(code),
    };
    options.keep_components = true;
    let sources = load_sources(args.paths)?;
    let out = compile(&sources, &options);
    print_diagnostics(&out, &sources, args.report, stderr);
    if out.has_errors() {
        return Ok(EXIT_DIAGNOSTICS);
    }
    let native: Vec<_> = out.components.iter().filter(|c| c.native.is_some()).collect();
    for c in out.components.iter().filter(|c| c.native.is_none()) {
        let why = match c.go_launcher {
            // Its own binary runs: fmc's runner image only starts it.
            Some(_) => "is a Go function (fmc's runner image only starts it)",
            None => "does not run on fmc's runner",
        };
        let _ = writeln!(stderr, "fmc dev: {} {} {why}; not run", c.kind.component(), c.cr_name);
    }
    if native.is_empty() {
        return Err("no function on fmc's runner to run (`runtime: native`, or Python with `runner: fmc`)".into());
    }
    let work = work_dir(args)?;
    let bin_dir = args.runner_dir.clone().or_else(|| std::env::current_exe().ok()?.parent().map(Path::to_path_buf));
    let runner = crate::files::find_program("fmc-runner", bin_dir.as_deref())?;
    let mut processes = Vec::new();
    let url = match &args.broker {
        Some(url) => url.clone(),
        None => start_local_broker(&work, &pulsar_lite(args)?, bin_dir.as_deref(), &mut processes)?,
    };
    // Where the broker listens goes to stdout (a script reads it there), and
    // where the logs are to stderr, with the rest of what fmc dev says.
    let _ = writeln!(stdout, "broker {url}");
    let _ = writeln!(stderr, "fmc dev: broker {url}; logs and configurations in {}", work.display());
    let base_dir = args.paths.first().and_then(|p| p.parent()).unwrap_or(Path::new("."));
    let modules = module_files(args.modules)?;
    for comp in &native {
        let name = comp.workload_name();
        let module = modules.get(comp.meta.name.as_str()).map(PathBuf::as_path);
        let python_file = comp.spec.python.as_ref().map(|p| p.py.as_str());
        let rendered = &comp.native.as_ref().expect("filtered").config;
        let config = dev_config(rendered, &url, base_dir, module, python_file)
            .map_err(|e| format!("`{}`: {e}", comp.meta.name))?;
        processes.push(start_runner(&runner, &work, &name, config)?);
    }
    let code = watch(&mut processes, args.duration, stdout, stderr);
    // Runners first (they drain into the broker), then the relay and the broker.
    while processes.pop().is_some() {}
    code
}

fn work_dir(args: &DevArgs) -> Result<PathBuf, String> {
    let dir = match &args.work_dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("fmc-dev-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

fn free_addr() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener.local_addr().map_err(|e| e.to_string())
}

fn wait_for(addr: SocketAddr, what: &str) -> Result<(), String> {
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        if start.elapsed() > Duration::from_secs(20) {
            return Err(format!("{what} does not listen on {addr}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// The pulsar-lite binary: `--pulsar-lite`, else on PATH, else inside the
/// package `pip install pulsar-lite` installed (it puts no `pulsar-lite` on
/// PATH: the binary is `pulsar_lite/bin/pulsar-lite` in site-packages).
fn pulsar_lite(args: &DevArgs) -> Result<PathBuf, String> {
    if let Some(path) = &args.pulsar_lite {
        return if path.is_file() {
            Ok(path.clone())
        } else {
            Err(format!("--pulsar-lite {} is no file", path.display()))
        };
    }
    if let Ok(path) = crate::files::find_program("pulsar-lite", None) {
        return Ok(path);
    }
    let script = "import os, pulsar_lite; print(os.path.dirname(pulsar_lite.__file__))";
    ["python3", "python"]
        .iter()
        .filter_map(|python| {
            Command::new(python).args(["-c", script]).stderr(std::process::Stdio::null()).output().ok()
        })
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin/pulsar-lite"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "no --broker given and no pulsar-lite: not on PATH, not in the python3 on PATH \
             (pip install pulsar-lite), no --pulsar-lite PATH"
                .to_string()
        })
}

/// pulsar-lite plus the checksum relay; returns the relay's URL.
fn start_local_broker(
    work: &Path,
    lite: &Path,
    bin_dir: Option<&Path>,
    processes: &mut Vec<Process>,
) -> Result<String, String> {
    let relay = crate::files::find_program("fmc-pulsar-relay", bin_dir)?;
    let (broker_addr, metrics_addr, relay_addr) = (free_addr()?, free_addr()?, free_addr()?);
    let config = work.join("pulsar-lite.toml");
    std::fs::write(&config, format!("[metrics]\naddr = \"{metrics_addr}\"\n")).map_err(|e| e.to_string())?;
    let mut command = Command::new(lite);
    command
        .arg("--config")
        .arg(&config)
        .args(["--addr", &broker_addr.to_string(), "--log-level", "warn", "--db-path"])
        .arg(work.join("pulsar-lite-db"));
    processes.push(spawn(command, work, "pulsar-lite", false)?);
    wait_for(broker_addr, "pulsar-lite")?;
    let mut command = Command::new(&relay);
    command.args([relay_addr.to_string(), broker_addr.to_string()]);
    processes.push(spawn(command, work, "relay", false)?);
    wait_for(relay_addr, "fmc-pulsar-relay")?;
    Ok(format!("pulsar://{relay_addr}"))
}

/// Starts `command` with its stderr in `<work>/<name>.log`.
fn spawn(mut command: Command, work: &Path, name: &str, runner: bool) -> Result<Process, String> {
    let log = work.join(format!("{name}.log"));
    let file = std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let child = command
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", Path::new(command.get_program()).display()))?;
    Ok(Process { name: name.to_string(), child, log, runner, http: None })
}

/// `--module KEY=FILE` pairs, each file made absolute (the runner runs in the work folder).
fn module_files(pairs: &[String]) -> Result<std::collections::BTreeMap<&str, PathBuf>, String> {
    let mut out = std::collections::BTreeMap::new();
    for pair in pairs {
        let (key, file) = pair.split_once('=').ok_or_else(|| format!("--module expects KEY=FILE, got `{pair}`"))?;
        let file = std::path::absolute(file).map_err(|e| format!("--module {key}: {e}"))?;
        if !file.is_file() {
            return Err(format!("--module {key}: {} is not a file", file.display()));
        }
        out.insert(key, file);
    }
    Ok(out)
}

/// The rendered configuration, pointed at the dev broker: explicit service URL,
/// a loopback metrics port, no token file (a pod's Secret mount), and module
/// paths relative to the mesh file; a module that lives in the image (an
/// absolute path) comes from `--module` (`module`).
fn dev_config(
    rendered: &serde_json::Value,
    url: &str,
    base_dir: &Path,
    module: Option<&Path>,
    python_file: Option<&str>,
) -> Result<serde_json::Value, String> {
    let mut config = rendered.clone();
    let obj = config.as_object_mut().ok_or("invariant: the runner configuration is an object")?;
    obj.insert("serviceUrl".into(), url.into());
    // Port 0: the runner picks a free port and logs it.
    obj.insert("httpAddr".into(), "127.0.0.1:0".into());
    obj.remove("tokenFile");
    // Nothing restarts a runner here, so there is no crash to recognise (and
    // the pod's journal folder does not exist on a workstation).
    obj.remove("journalDir");
    // A Python function's code: the given file, else the mesh's when it is
    // on this machine (relative to the mesh), else a pinned URL the runner fetches.
    if let Some(python) = obj.get_mut("function").and_then(|f| f.get_mut("python")).and_then(|p| p.as_object_mut()) {
        let given = python_file.unwrap_or_default();
        let local = match module {
            Some(file) => Some(file.to_path_buf()),
            None if Path::new(given).is_relative() => Some(base_dir.join(given)),
            None => Some(PathBuf::from(given)).filter(|p| p.is_file()),
        };
        match local {
            Some(file) => {
                python.remove("url");
                python.insert("path".into(), file.display().to_string().into());
            }
            None if python.contains_key("url") => {}
            None => {
                return Err(format!(
                    "its code {given} lives in an image; give this machine's file with `--module KEY=FILE`"
                ));
            }
        }
    }
    if let Some(path) = obj.get_mut("function").and_then(|f| f.get_mut("wasm")).and_then(|w| w.get_mut("path")) {
        let given = path.as_str().unwrap_or_default().to_string();
        *path = match module {
            Some(file) => file.display().to_string().into(),
            None if Path::new(&given).is_relative() => base_dir.join(&given).display().to_string().into(),
            None if Path::new(&given).is_file() => given.into(),
            None => {
                return Err(format!(
                    "its module {given} lives in the image; give this machine's file with `--module KEY=FILE`"
                ));
            }
        };
    }
    Ok(config)
}

fn start_runner(runner: &Path, work: &Path, name: &str, config: serde_json::Value) -> Result<Process, String> {
    let path = work.join(format!("{name}.json"));
    std::fs::write(&path, config.to_string()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut command = Command::new(runner);
    command.arg("--config").arg(&path);
    spawn(command, work, name, true)
}

/// Counters read from a runner's `/metrics`.
#[derive(Debug, Default, Clone, Copy)]
struct Counters {
    ready: bool,
    received: f64,
    processed: f64,
    acked: f64,
    dead_lettered: f64,
    errors: f64,
}

fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: fmc-dev\r\n\r\n").as_bytes()).ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string()))
}

fn counters(addr: SocketAddr) -> Counters {
    let ready = http_get(addr, "/readyz").is_some_and(|(s, _)| s == 200);
    let body = http_get(addr, "/metrics").map(|(_, b)| b).unwrap_or_default();
    let value = |name: &str| -> f64 {
        body.lines()
            .filter(|l| l.starts_with(name) && l[name.len()..].starts_with('{'))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    Counters {
        ready,
        received: value("pulsar_function_received_total"),
        processed: value("pulsar_function_processed_successfully_total"),
        acked: value("fmc_runner_acked_total"),
        dead_lettered: value("fmc_runner_dead_lettered_total"),
        errors: value("pulsar_function_user_exceptions_total")
            + value("pulsar_function_system_exceptions_total")
            + value("pulsar_function_sink_exceptions_total"),
    }
}

/// One line per runner, redrawn in place on a TTY, printed every 5 s otherwise.
fn watch(
    processes: &mut [Process],
    duration: Option<f64>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<u8, String> {
    let tty = std::io::stdout().is_terminal();
    let started = Instant::now();
    let runners: Vec<usize> = (0..processes.len()).filter(|&i| processes[i].runner).collect();
    let mut previous: Vec<Counters> = vec![Counters::default(); runners.len()];
    let mut last = Instant::now();
    let mut drawn = false;
    let width = runners.iter().map(|&i| processes[i].name.len()).max().unwrap_or(0);
    loop {
        std::thread::sleep(Duration::from_secs(1));
        if let Some(p) = processes.iter_mut().find_map(|p| (!matches!(p.child.try_wait(), Ok(None))).then_some(p)) {
            let tail = std::fs::read_to_string(&p.log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            let _ = writeln!(stderr, "fmc dev: {} exited; last log lines ({}):", p.name, p.log.display());
            for line in tail.iter().rev() {
                let _ = writeln!(stderr, "  {line}");
            }
            return Ok(EXIT_DIAGNOSTICS);
        }
        let seconds = last.elapsed().as_secs_f64().max(0.001);
        last = Instant::now();
        let now: Vec<Counters> =
            runners.iter().map(|&i| processes[i].endpoint().map(counters).unwrap_or_default()).collect();
        let finishing = duration.is_some_and(|d| started.elapsed().as_secs_f64() >= d);
        if tty || finishing || started.elapsed().as_secs().is_multiple_of(5) {
            if tty && drawn {
                let _ = write!(stdout, "\x1b[{}A", runners.len());
            }
            for (k, &i) in runners.iter().enumerate() {
                let (c, p) = (now[k], previous[k]);
                let rate = |a: f64, b: f64| (a - b).max(0.0) / seconds;
                let error = if c.errors > 0.0 { last_error(&processes[i].log) } else { None };
                let _ = writeln!(
                    stdout,
                    "{}{:width$}  {:9}  in {:>8.0}/s  out {:>8.0}/s  acks {:>8.0}/s  errors {:>6.0}/s  (total in {}, errors {}, dead-lettered {}){}",
                    if tty { "\x1b[2K" } else { "" },
                    processes[i].name,
                    if c.ready { "ready" } else { "not ready" },
                    rate(c.received, p.received),
                    rate(c.processed, p.processed),
                    rate(c.acked, p.acked),
                    rate(c.errors, p.errors),
                    c.received,
                    c.errors,
                    c.dead_lettered,
                    error.map(|e| format!("  last error: {e}")).unwrap_or_default(),
                );
            }
            let _ = stdout.flush();
            drawn = true;
        }
        previous = now;
        if finishing {
            return Ok(EXIT_OK);
        }
    }
}

/// The newest failure a runner logged (a user function's error, or a payload
/// its input schema refused), shortened for a status line.
fn last_error(log: &Path) -> Option<String> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(log).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(64 * 1024))).ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    let text = String::from_utf8_lossy(&tail);
    text.lines().rev().find_map(|line| {
        let entry: serde_json::Value = serde_json::from_str(line).ok()?;
        let msg = entry["msg"].as_str()?;
        let failure = msg == "user function failed" || msg == "payload does not match the input's schema";
        let error = entry["error"].as_str().filter(|_| failure)?;
        let short: String = error.chars().take(80).collect();
        Some(if short.len() < error.len() { format!("{short}…") } else { short })
    })
}
