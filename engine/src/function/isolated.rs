//! jq and route programs evaluated in a child process, so that no message can
//! stall or exhaust the runner.
//!
//! Why a process: jaq has no fuel and no way to be interrupted, and a Rust
//! thread cannot be stopped from outside. A program that loops or allocates on
//! one message's data (`[range(.n)]` with a large `.n`) would hold the runner
//! for as long as it runs and grow its memory without bound. A child process
//! can be given an address-space limit (`setrlimit`) and killed when it runs
//! past `maxProcessingMs`; either way that one message gets a user error in
//! place (retried, then dead-lettered, like any failure) and the messages after
//! it go to a fresh child. The runner itself never stops.
//!
//! The child is the runner's own binary started as `fmc-runner --evaluate-jq`,
//! so the image holds one file. Frames on its stdin and stdout are a
//! little-endian `u32` length, then that many bytes:
//! - once, parent → child: the setup, JSON `{"program": …, "maxMemory": …,
//!   "config": …, "secrets": {…}}` (the function's [`Context`]; a pipe, never
//!   an argument or a variable another process could read);
//!   the child answers `[0]` (ready) or `[1]` followed by the compile error;
//! - then one frame per message (its payload); each reply is `[0]`, a `u32`
//!   count and that many result frames (JSON texts), or `[1]` and the error.
//!
//! Replies come in order, one per payload, so a whole batch is written at
//! once, and when the child dies or is killed the guilty message is the first
//! one without a reply.
//!
//! A slow message must not hold the good ones behind it (a producer could
//! otherwise throttle the function with one spinning message a second). So a
//! message that has not answered within [`SOFT_DEADLINE`] is *set aside*: it
//! keeps its child, alone, until it answers or reaches `maxProcessingMs`,
//! while the rest of the batch goes on in a fresh child at once. Its result
//! comes later, from [`Evaluator::finished`]. At most [`MOST_SET_ASIDE`]
//! messages are set aside at a time; past that a slow message holds its batch
//! (the bound on processes a producer can make the runner keep). A set-aside
//! child runs at the lowest CPU priority, so that spinning programs do not
//! take the CPU from the child evaluating the good messages.

use super::context::Redactor;
use super::{Context, Jq};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The variable a child is told its parent's process id in (see `die_with_parent`).
pub(crate) const PARENT_VAR: &str = "FMC_RUNNER_PARENT_PID";

/// The argument that makes `fmc-runner` an evaluator child.
pub const EVALUATE_ARG: &str = "--evaluate-jq";

/// Longest a child may take to start and compile its program.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a message may keep the batch's child before it is set aside.
pub const SOFT_DEADLINE: Duration = Duration::from_millis(50);

/// Most messages set aside at once (each holds one child process, at the
/// lowest CPU priority). 16 covers one spinning message a second under the
/// default `maxProcessingMs` of 10 s with room to spare.
pub const MOST_SET_ASIDE: usize = 16;

/// One payload's evaluation: its results now, or a ticket whose results
/// [`Evaluator::finished`] gives later.
#[derive(Debug, PartialEq)]
pub enum Evaluated {
    Now(Results),
    Later(u64),
}

/// What one evaluation gives: the program's results as JSON texts, or an error.
pub type Results = Result<Vec<String>, String>;

/// The bounds a child runs under.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Address space of the child, bytes.
    pub max_memory: usize,
    /// Time for one message; none when `maxProcessingMs` is 0.
    pub per_message: Option<Duration>,
}

/// The parent's handle: starts children as needed and hands them payloads.
pub struct Evaluator {
    executable: PathBuf,
    setup: Vec<u8>,
    bounds: Bounds,
    child: Option<Running>,
    /// Children each left alone with one slow message.
    set_aside: Vec<SetAside>,
    next_ticket: u64,
}

/// A slow message's child, and when it must have answered.
struct SetAside {
    ticket: u64,
    running: Running,
    deadline: Instant,
}

/// What waiting for one reply gave.
enum Reply {
    Results(Results),
    /// The child died or ran past the deadline: why (the child is gone).
    Failed(String),
    /// No answer within the soft deadline (the child still runs).
    Slow,
}

/// One live child, with the threads that write to and read from its pipes.
struct Running {
    process: Child,
    requests: mpsc::Sender<Vec<u8>>,
    replies: mpsc::Receiver<Option<Results>>,
}

impl Evaluator {
    /// Starts the first child and waits until it has compiled the program, so
    /// that a program that does not compile is refused at start.
    pub fn start(executable: PathBuf, program: &str, context: &Context, bounds: Bounds) -> Result<Evaluator, String> {
        let setup = serde_json::json!({
            "program": program,
            "maxMemory": bounds.max_memory,
            "config": context.config,
            "secrets": context.secrets(),
        });
        let setup = serde_json::to_vec(&setup).map_err(|e| e.to_string())?;
        let mut evaluator = Evaluator { executable, setup, bounds, child: None, set_aside: Vec::new(), next_ticket: 0 };
        evaluator.child = Some(evaluator.spawn()?);
        Ok(evaluator)
    }

    /// The results for each payload, in order. A payload whose evaluation
    /// runs past the time bound or kills the child gets an error; the rest
    /// are evaluated by a new child.
    pub fn evaluate(&mut self, payloads: &[&[u8]]) -> Vec<Results> {
        self.evaluate_all(payloads, false)
            .into_iter()
            .map(|e| match e {
                Evaluated::Now(results) => results,
                Evaluated::Later(_) => unreachable!("invariant: nothing is set aside here"),
            })
            .collect()
    }

    /// [`Evaluator::evaluate`], but a payload still running after
    /// [`SOFT_DEADLINE`] is set aside (when the time is bounded and fewer
    /// than [`MOST_SET_ASIDE`] are): it gets a ticket, and the payloads after
    /// it go on in a fresh child at once.
    pub fn evaluate_setting_aside(&mut self, payloads: &[&[u8]]) -> Vec<Evaluated> {
        self.evaluate_all(payloads, true)
    }

    fn evaluate_all(&mut self, payloads: &[&[u8]], may_set_aside: bool) -> Vec<Evaluated> {
        let mut out = Vec::with_capacity(payloads.len());
        while out.len() < payloads.len() {
            let rest = &payloads[out.len()..];
            let running = self.running();
            let _ = running.requests.send(encode_payloads(rest));
            for _ in rest {
                let started = Instant::now();
                let soft = may_set_aside && self.bounded_in_time() && self.set_aside.len() < MOST_SET_ASIDE;
                match self.next_reply(soft) {
                    Reply::Results(results) => out.push(Evaluated::Now(results)),
                    Reply::Failed(why) => {
                        out.push(Evaluated::Now(Err(why)));
                        break;
                    }
                    Reply::Slow => {
                        out.push(Evaluated::Later(self.set_current_aside(started)));
                        break;
                    }
                }
            }
        }
        out
    }

    /// Leaves the live child to its current message, at the lowest CPU
    /// priority (a spinning program must not take the CPU the good messages'
    /// child needs); the next batch gets a new child.
    fn set_current_aside(&mut self, started: Instant) -> u64 {
        let running = self.child.take().expect("invariant: a slow message has a child");
        // SAFETY: setpriority takes plain integers; raising a child's nice value needs no privilege.
        unsafe { libc::setpriority(libc::PRIO_PROCESS, running.process.id(), 19) };
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let limit = self.bounds.per_message.expect("invariant: only bounded messages are set aside");
        self.set_aside.push(SetAside { ticket, running, deadline: started + limit });
        ticket
    }

    /// The results of set-aside messages that answered, died or reached
    /// their deadline since the last call (their children are ended).
    pub fn finished(&mut self) -> Vec<(u64, Results)> {
        let mut done = Vec::new();
        let mut i = 0;
        while i < self.set_aside.len() {
            let entry = &self.set_aside[i];
            let answer = match entry.running.replies.try_recv() {
                Ok(Some(results)) => Some(Ok(results)),
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => Some(Err(false)),
                Err(mpsc::TryRecvError::Empty) if Instant::now() >= entry.deadline => Some(Err(true)),
                Err(mpsc::TryRecvError::Empty) => None,
            };
            let Some(answer) = answer else {
                i += 1;
                continue;
            };
            let entry = self.set_aside.swap_remove(i);
            let status = entry.running.end();
            let results = match answer {
                Ok(results) => results,
                Err(true) => Err(self.past_deadline()),
                Err(false) => Err(self.death(status)),
            };
            done.push((entry.ticket, results));
        }
        done
    }

    /// How many messages are set aside now.
    pub fn set_aside_count(&self) -> usize {
        self.set_aside.len()
    }

    /// The live child, or a new one. A child that cannot be started is a
    /// failure of the pod, not of a message: the runner exits (the kubelet
    /// restarts it and the broker redelivers) rather than fail good messages.
    fn running(&mut self) -> &mut Running {
        // A child that ended between batches (killed from outside) is not
        // blamed on the next message.
        if let Some(c) = &mut self.child
            && !matches!(c.process.try_wait(), Ok(None))
        {
            self.end_child();
        }
        if self.child.is_none() {
            let mut last = String::new();
            for _ in 0..3 {
                match self.spawn() {
                    Ok(c) => {
                        self.child = Some(c);
                        break;
                    }
                    Err(e) => {
                        last = e;
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            }
            if self.child.is_none() {
                crate::log::log("error", "cannot start the jq evaluator; exiting", &[("error", last)]);
                std::process::exit(1);
            }
        }
        self.child.as_mut().expect("invariant: a child was just started")
    }

    /// The next reply; with `soft`, [`Reply::Slow`] after [`SOFT_DEADLINE`]
    /// (the child still runs), else an error at the message's time bound.
    fn next_reply(&mut self, soft: bool) -> Reply {
        let running = self.child.as_mut().expect("invariant: evaluate started a child");
        let limit = if soft { self.bounds.per_message.map(|l| l.min(SOFT_DEADLINE)) } else { self.bounds.per_message };
        let reply = match limit {
            Some(limit) => running.replies.recv_timeout(limit),
            None => running.replies.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match reply {
            Ok(Some(results)) => Reply::Results(results),
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self.end_child();
                Reply::Failed(self.death(status))
            }
            Err(mpsc::RecvTimeoutError::Timeout) if soft && self.bounds.per_message > Some(SOFT_DEADLINE) => {
                Reply::Slow
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.end_child();
                Reply::Failed(self.past_deadline())
            }
        }
    }

    fn past_deadline(&self) -> String {
        let ms = self.bounds.per_message.map_or(0, |d| d.as_millis());
        format!("the jq program ran past maxProcessingMs ({ms} ms) on this message; stopped")
    }

    /// Why a child ended on its current message, from its exit status.
    fn death(&self, status: Option<std::process::ExitStatus>) -> String {
        let mib = self.bounds.max_memory >> 20;
        match status.and_then(|s| s.signal()) {
            Some(6) => format!(
                "the jq program failed on this message: it needed more than maxMemory ({mib} MiB) or overflowed its stack"
            ),
            Some(9) => {
                "the jq program's evaluator was killed (signal 9: the pod's memory limit?) on this message".into()
            }
            Some(11) => "the jq program failed on this message: it overflowed its stack (signal 11)".into(),
            Some(n) => format!("the jq program's evaluator died on this message (signal {n})"),
            None => "the jq program's evaluator ended on this message".into(),
        }
    }

    /// Kills and reaps the child; its exit status when known.
    fn end_child(&mut self) -> Option<std::process::ExitStatus> {
        self.child.take()?.end()
    }

    fn spawn(&self) -> Result<Running, String> {
        let mut process = Command::new(&self.executable)
            .arg(EVALUATE_ARG)
            .env(PARENT_VAR, std::process::id().to_string())
            .envs(CHILD_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {} {EVALUATE_ARG}: {e}", self.executable.display()))?;
        let stdin = process.stdin.take().expect("invariant: stdin is piped");
        let stdout = process.stdout.take().expect("invariant: stdout is piped");
        let (requests, to_write) = mpsc::channel::<Vec<u8>>();
        let (ready_tx, ready) = mpsc::channel::<Result<(), String>>();
        let (replies_tx, replies) = mpsc::channel();
        std::thread::spawn(move || write_requests(stdin, to_write));
        std::thread::spawn(move || read_replies(stdout, ready_tx, replies_tx));
        let _ = requests.send(frame(&self.setup));
        let running = Running { process, requests, replies };
        let started = Instant::now();
        match ready.recv_timeout(START_TIMEOUT) {
            Ok(Ok(())) => Ok(running),
            Ok(Err(why)) => {
                running.end();
                Err(why)
            }
            Err(_) => {
                let status = running.end();
                Err(format!(
                    "the jq evaluator did not start within {} ms ({})",
                    started.elapsed().as_millis(),
                    status.map_or_else(|| "no status".into(), |s| s.to_string())
                ))
            }
        }
    }
}

impl Running {
    /// Kills and reaps the child; its exit status when known.
    fn end(mut self) -> Option<std::process::ExitStatus> {
        let _ = self.process.kill();
        self.process.wait().ok()
    }
}

impl Evaluator {
    /// Whether a message's evaluation is bounded in time (`maxProcessingMs` > 0).
    pub fn bounded_in_time(&self) -> bool {
        self.bounds.per_message.is_some()
    }

    /// The live child's process id, if one runs.
    pub fn child_pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.process.id())
    }
}

impl Drop for Evaluator {
    fn drop(&mut self) {
        self.end_child();
        for entry in self.set_aside.drain(..) {
            entry.running.end();
        }
    }
}

/// The evaluator's address space when the configuration sets none: ¾ of
/// the container's memory limit (so that the child, not the pod, fails when
/// a message needs too much; the runner itself needs a few MiB), at most
/// 256 MiB, at least `MIN_JQ_MEMORY`.
pub fn default_max_memory() -> usize {
    let limit = ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok()?.trim().parse::<u64>().ok());
    memory_for(limit)
}

fn memory_for(container_limit: Option<u64>) -> usize {
    const MOST: u64 = 256 << 20;
    let share = container_limit.map_or(MOST, |l| l / 4 * 3).min(MOST);
    (share as usize).max(crate::config::MIN_JQ_MEMORY)
}

/// The path of this process's own executable, which serves `--evaluate-jq`.
/// Without `/proc` (a bare chroot), the absolute path it was started by.
pub fn own_executable() -> Result<PathBuf, String> {
    if let Ok(path) = std::env::current_exe() {
        return Ok(path);
    }
    match std::env::args_os().next().map(PathBuf::from) {
        Some(path) if path.is_absolute() => Ok(path),
        _ => Err("cannot find the runner's own executable (no /proc/self/exe, argv[0] not absolute)".into()),
    }
}

pub(crate) fn frame(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + bytes.len());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
    out
}

fn encode_payloads(payloads: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payloads.iter().map(|p| 4 + p.len()).sum());
    for p in payloads {
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

fn encode_results(results: &Results, out: &mut Vec<u8>) {
    match results {
        Ok(texts) => {
            out.push(0);
            out.extend_from_slice(&(texts.len() as u32).to_le_bytes());
            for t in texts {
                out.extend_from_slice(&frame(t.as_bytes()));
            }
        }
        Err(e) => {
            out.push(1);
            out.extend_from_slice(&frame(e.as_bytes()));
        }
    }
}

pub(crate) fn read_frame(input: &mut impl Read) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
    input.read_exact(&mut bytes)?;
    Ok(bytes)
}

pub(crate) fn read_text(input: &mut impl Read) -> std::io::Result<String> {
    Ok(String::from_utf8_lossy(&read_frame(input)?).into_owned())
}

fn read_results(input: &mut impl Read) -> std::io::Result<Results> {
    let mut tag = [0u8; 1];
    input.read_exact(&mut tag)?;
    if tag[0] == 1 {
        return Ok(Err(read_text(input)?));
    }
    let mut count = [0u8; 4];
    input.read_exact(&mut count)?;
    (0..u32::from_le_bytes(count)).map(|_| read_text(input)).collect::<std::io::Result<Vec<_>>>().map(Ok)
}

/// A child's first answer: `[0]` (ready), or `[1]` and why it is not; `what`
/// names the child when its output ends first.
pub(crate) fn read_ready(stdout: &mut impl Read, what: &str) -> Result<(), String> {
    let mut tag = [0u8; 1];
    if stdout.read_exact(&mut tag).is_err() {
        return Err(format!("{what} ended before it was ready"));
    }
    if tag[0] != 0 {
        return Err(read_text(stdout).unwrap_or_default());
    }
    Ok(())
}

/// The parent's writer thread: a full pipe must not block the runner while a
/// child is stuck on an earlier message.
fn write_requests(stdin: std::process::ChildStdin, requests: mpsc::Receiver<Vec<u8>>) {
    let mut stdin = BufWriter::new(stdin);
    for bytes in requests {
        if stdin.write_all(&bytes).and_then(|()| stdin.flush()).is_err() {
            return;
        }
    }
}

/// The parent's reader thread: the ready answer, then one reply per payload;
/// `None` once the child's output ends.
fn read_replies(
    stdout: std::process::ChildStdout,
    ready: mpsc::Sender<Result<(), String>>,
    replies: mpsc::Sender<Option<Results>>,
) {
    let mut stdout = BufReader::new(stdout);
    let answer = read_ready(&mut stdout, "the jq evaluator");
    let failed = answer.is_err();
    let _ = ready.send(answer);
    if failed {
        return;
    }
    while let Ok(results) = read_results(&mut stdout) {
        if replies.send(Some(results)).is_err() {
            return;
        }
    }
    let _ = replies.send(None);
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Setup {
    program: String,
    max_memory: usize,
    #[serde(default)]
    config: serde_json::Value,
    #[serde(default)]
    secrets: std::collections::BTreeMap<String, String>,
}

/// The child's side (`fmc-runner --evaluate-jq`): limits its own address
/// space, compiles the program, then answers payloads until its input ends.
pub fn serve() -> std::process::ExitCode {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    let Ok(setup) = read_frame(&mut input) else { return std::process::ExitCode::from(2) };
    let Ok(setup) = serde_json::from_slice::<Setup>(&setup) else { return std::process::ExitCode::from(2) };
    // Errors are redacted here, before they leave the child (docs: context::Redactor).
    let redactor = Redactor::new(setup.secrets.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let compiled = die_with_parent()
        .and_then(|()| limit_address_space(setup.max_memory))
        .and_then(|()| Jq::compile_in(&setup.program, &Context::new(setup.config, setup.secrets)));
    let jq = match compiled {
        Ok(jq) => jq,
        Err(e) => {
            let mut answer = vec![1];
            answer.extend_from_slice(&frame(e.as_bytes()));
            let _ = output.write_all(&answer).and_then(|()| output.flush());
            return std::process::ExitCode::from(2);
        }
    };
    let globals = jq.globals();
    if output.write_all(&[0]).and_then(|()| output.flush()).is_err() {
        return std::process::ExitCode::from(1);
    }
    let mut reply = Vec::new();
    loop {
        let Ok(payload) = read_frame(&mut input) else { return std::process::ExitCode::SUCCESS };
        reply.clear();
        let results = globals.as_ref().map_err(Clone::clone).and_then(|g| jq.results_with(&payload, g));
        let results = results.map_err(|e| redactor.redact(&e));
        encode_results(&results, &mut reply);
        // Each reply leaves at once: the next message may be the one that
        // never ends, and this one's result must not wait behind it.
        if output.write_all(&reply).and_then(|()| output.flush()).is_err() {
            return std::process::ExitCode::from(1);
        }
    }
}

/// SIGKILL for this child when the runner dies, even in the middle of a
/// message (a killed runner must not leave a looping evaluator behind). The
/// runner spawns children from its main thread, whose end is the process's.
pub(crate) fn die_with_parent() -> Result<(), String> {
    // SAFETY: prctl(PR_SET_PDEATHSIG) and getppid take and return plain integers.
    let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) };
    if rc != 0 {
        return Err(format!("cannot tie the evaluator to the runner: {}", std::io::Error::last_os_error()));
    }
    // The runner may have died before prctl took effect: then this process
    // has another parent than the one that started it. (Not "parent is 1":
    // in a pod's own PID namespace the runner itself is process 1.)
    let started_by = std::env::var(PARENT_VAR).ok().and_then(|p| p.parse::<libc::pid_t>().ok());
    if started_by.is_some_and(|p| p != unsafe { libc::getppid() }) {
        return Err("the runner has gone".into());
    }
    Ok(())
}

/// `RLIMIT_AS` for this (single-threaded, child) process: `bytes` beyond
/// what it maps before its first message (binary, libraries, the
/// allocator's start), so the bound means the same for every binary that
/// serves as the child. Past it an allocation fails and the process aborts,
/// which the parent reports.
pub(crate) fn limit_address_space(bytes: usize) -> Result<(), String> {
    let limit = mapped_bytes().saturating_add(bytes);
    let limit = libc::rlimit { rlim_cur: limit as libc::rlim_t, rlim_max: limit as libc::rlim_t };
    // SAFETY: setrlimit only reads the struct passed by reference.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("cannot limit the evaluator's memory: {}", std::io::Error::last_os_error()))
    }
}

/// The address space this process maps now (`/proc/self/statm`'s first
/// field, in pages); 0 when it cannot be read.
fn mapped_bytes() -> usize {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse::<usize>().ok()))
        .unwrap_or(0);
    // SAFETY: sysconf takes and returns plain integers.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages.saturating_mul(usize::try_from(page).unwrap_or(4096))
}

/// The environment every bounded child gets. `MIMALLOC_ARENA_RESERVE=0`: a
/// binary built with mimalloc (`fmc`, whose children evaluate `fmc test`'s
/// programs) would otherwise reserve 1 GiB of address space before `main`,
/// inside which `RLIMIT_AS` cannot see its allocations, and from which a
/// later mapping fails at random under the limit (seen: `fmc test` under load).
pub(crate) const CHILD_ENV: [(&str, &str); 1] = [("MIMALLOC_ARENA_RESERVE", "0")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_memory_is_three_quarters_of_the_container_limit_within_bounds() {
        assert_eq!(memory_for(None), 256 << 20, "no limit (cgroup `max`)");
        assert_eq!(memory_for(Some(64 << 20)), 48 << 20, "the native pods' default 64Mi");
        assert_eq!(memory_for(Some(16 << 20)), 32 << 20);
        assert_eq!(memory_for(Some(8 << 30)), 256 << 20);
    }

    #[test]
    fn replies_round_trip_through_their_encoding() {
        for results in [Ok(vec![]), Ok(vec!["1".to_string(), "{\"a\":[]}".into()]), Err("jq: boom".to_string())] {
            let mut bytes = Vec::new();
            encode_results(&results, &mut bytes);
            assert_eq!(read_results(&mut bytes.as_slice()).unwrap(), results);
        }
        let payloads = encode_payloads(&[b"ab", b""]);
        let mut reader = payloads.as_slice();
        assert_eq!((read_frame(&mut reader).unwrap(), read_frame(&mut reader).unwrap()), (b"ab".to_vec(), vec![]));
        assert!(read_frame(&mut reader).is_err(), "the end of input is an error, not an empty frame");
    }
}
