//! A user function run in another process: `fmc-runner --serve-function`.
//!
//! Why: `fmc test` runs a mesh's Python functions for real, but the compiler
//! links no libpython (the runner's `python` feature does). So `fmc test`
//! starts the runner binary as a child that loads the function exactly as a
//! pod does (the same configuration `fmc build` renders, the same engine) and
//! hands it one message at a time. The child runs under the runner's bounds:
//! an address-space limit, and `maxProcessingMs` per message, past which it
//! is killed and that message fails; the next message gets a fresh child.
//!
//! Frames on the child's stdin and stdout are a little-endian `u32` length,
//! then that many bytes:
//! - once, parent → child: JSON `{"config": <runner configuration>,
//!   "secrets": {NAME: value}, "maxMemory": bytes}` (secret values through a
//!   pipe, never an argument or a variable); the child answers `[0]` (ready)
//!   or `[1]` and a frame with why it could not load the function;
//! - then one JSON frame per message ([`record_json`]), each answered by `[0]`
//!   and a JSON frame `{"records": […], "metrics": [[name, value]…],
//!   "acked": bool}`, or `[1]` and a frame with the error.

use super::isolated::{frame, read_frame};
use super::{Context, Record, UserFunction};
use crate::config::Config;
use base64::Engine;
use serde_json::{Value, json};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The argument that makes `fmc-runner` serve one function on its stdio.
pub const SERVE_ARG: &str = "--serve-function";

/// Longest a child may take to load the function (an interpreter and the
/// user's imports).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How the child is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// The child's address space, bytes.
    pub max_memory: usize,
    /// Time for one message.
    pub per_message: Duration,
}

/// The parent's side: a function in a child process, behind [`UserFunction`].
pub struct Served {
    executable: PathBuf,
    setup: Vec<u8>,
    bounds: Bounds,
    child: Option<Running>,
    metrics: Vec<(String, f64)>,
    acked: Vec<bool>,
}

struct Running {
    process: Child,
    stdin: BufWriter<ChildStdin>,
    replies: mpsc::Receiver<Result<Reply, String>>,
}

/// One answer of the child.
enum Reply {
    Done { records: Vec<Record>, metrics: Vec<(String, f64)>, acked: bool },
    Failed(String),
}

impl Served {
    /// Starts `executable --serve-function` with the runner's configuration
    /// and the secrets' values; fails with the child's reason when the
    /// function does not load.
    pub fn start(
        executable: PathBuf,
        config: &Value,
        secrets: &std::collections::BTreeMap<String, String>,
        bounds: Bounds,
    ) -> Result<Served, String> {
        let setup = json!({"config": config, "secrets": secrets, "maxMemory": bounds.max_memory});
        let mut served = Served {
            executable,
            setup: setup.to_string().into_bytes(),
            bounds,
            child: None,
            metrics: Vec::new(),
            acked: Vec::new(),
        };
        served.child = Some(served.spawn()?);
        Ok(served)
    }

    fn spawn(&self) -> Result<Running, String> {
        let what = format!("{} {SERVE_ARG}", self.executable.display());
        let mut process = Command::new(&self.executable)
            .arg(SERVE_ARG)
            .env(super::isolated::PARENT_VAR, std::process::id().to_string())
            .envs(super::isolated::CHILD_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {what}: {e}"))?;
        let stdin = BufWriter::new(process.stdin.take().expect("invariant: stdin is piped"));
        let stdout = process.stdout.take().expect("invariant: stdout is piped");
        let (ready_tx, ready) = mpsc::channel();
        let (replies_tx, replies) = mpsc::channel();
        std::thread::spawn(move || read_replies(stdout, ready_tx, replies_tx));
        let mut running = Running { process, stdin, replies };
        let sent = running.stdin.write_all(&frame(&self.setup)).and_then(|()| running.stdin.flush());
        let answer = match sent {
            Ok(()) => {
                ready.recv_timeout(START_TIMEOUT).unwrap_or_else(|_| Err(format!("{what} did not load the function")))
            }
            Err(e) => Err(format!("{what} ended before it read its setup: {e}")),
        };
        match answer {
            Ok(()) => Ok(running),
            Err(why) => {
                running.end();
                Err(why)
            }
        }
    }

    fn call(&mut self, input: &Record) -> Result<Reply, String> {
        if self.child.is_none() {
            self.child = Some(self.spawn()?);
        }
        let running = self.child.as_mut().expect("invariant: spawned above");
        let request = frame(record_json(input).to_string().as_bytes());
        if running.stdin.write_all(&request).and_then(|()| running.stdin.flush()).is_err() {
            return Err(self.death());
        }
        match running.replies.recv_timeout(self.bounds.per_message) {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => Err(self.death()),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                self.end_child();
                Err(format!(
                    "the function ran past maxProcessingMs ({} ms) on this message",
                    self.bounds.per_message.as_millis()
                ))
            }
        }
    }

    /// Why the child ended on a message (killed by the memory limit, a
    /// signal, an exit), after reaping it.
    fn death(&mut self) -> String {
        match self.end_child() {
            Some(status) => format!("the function's process ended on this message ({status})"),
            None => "the function's process ended on this message".into(),
        }
    }

    fn end_child(&mut self) -> Option<std::process::ExitStatus> {
        self.child.take()?.end()
    }
}

impl Running {
    fn end(mut self) -> Option<std::process::ExitStatus> {
        let _ = self.process.kill();
        self.process.wait().ok()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.end_child();
    }
}

impl UserFunction for Served {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        match self.call(input)? {
            Reply::Done { records, metrics, acked } => {
                self.metrics.extend(metrics);
                self.acked.push(acked);
                Ok(records)
            }
            Reply::Failed(why) => {
                self.acked.push(false);
                Err(why)
            }
        }
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        self.acked.clear();
        inputs.iter().map(|input| self.process(input)).collect()
    }

    fn acknowledged(&self) -> Option<&[bool]> {
        Some(&self.acked)
    }

    fn bounds_each_message(&self) -> bool {
        true
    }

    fn user_metrics(&mut self) -> Vec<(String, f64)> {
        std::mem::take(&mut self.metrics)
    }
}

/// A record as the frames carry it (the payload and a binary key in base64).
pub fn record_json(r: &Record) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({
        "payload": b64.encode(&r.payload),
        "key": r.key,
        "keyBase64": r.key_base64,
        "properties": r.properties,
        "eventTime": r.event_time,
        "topic": r.topic,
        "from": r.from,
        "messageId": r.message_id,
    })
}

/// The record [`record_json`] wrote.
pub fn record_from_json(v: &Value) -> Result<Record, String> {
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let payload = base64::engine::general_purpose::STANDARD
        .decode(v.get("payload").and_then(Value::as_str).unwrap_or_default())
        .map_err(|e| format!("a record's payload is not base64: {e}"))?;
    let properties: Vec<(String, String)> =
        serde_json::from_value(v.get("properties").cloned().unwrap_or(json!([]))).map_err(|e| e.to_string())?;
    Ok(Record {
        payload,
        key: text("key"),
        key_base64: v.get("keyBase64").and_then(Value::as_bool).unwrap_or(false),
        properties,
        event_time: v.get("eventTime").and_then(Value::as_u64),
        topic: text("topic"),
        from: text("from"),
        message_id: text("messageId"),
        receipt: None,
    })
}

fn read_tagged(input: &mut impl Read) -> std::io::Result<(u8, Vec<u8>)> {
    let mut tag = [0u8; 1];
    input.read_exact(&mut tag)?;
    Ok((tag[0], read_frame(input)?))
}

/// The parent's reader thread: the ready answer, then one reply per message.
fn read_replies(
    stdout: std::process::ChildStdout,
    ready: mpsc::Sender<Result<(), String>>,
    replies: mpsc::Sender<Result<Reply, String>>,
) {
    let mut stdout = BufReader::new(stdout);
    let answer = super::isolated::read_ready(&mut stdout, "the function's process");
    let failed = answer.is_err();
    let _ = ready.send(answer);
    if failed {
        return;
    }
    loop {
        let reply = match read_tagged(&mut stdout) {
            Ok((0, bytes)) => parse_done(&bytes),
            Ok((_, bytes)) => Ok(Reply::Failed(String::from_utf8_lossy(&bytes).into_owned())),
            Err(e) => Err(e.to_string()),
        };
        let ended = reply.is_err();
        if replies.send(reply).is_err() || ended {
            return;
        }
    }
}

fn parse_done(bytes: &[u8]) -> Result<Reply, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let records = v.get("records").and_then(Value::as_array).cloned().unwrap_or_default();
    let records = records.iter().map(record_from_json).collect::<Result<Vec<_>, _>>()?;
    let metrics = serde_json::from_value(v.get("metrics").cloned().unwrap_or(json!([]))).map_err(|e| e.to_string())?;
    Ok(Reply::Done { records, metrics, acked: v.get("acked").and_then(Value::as_bool).unwrap_or(false) })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Setup {
    config: Value,
    #[serde(default)]
    secrets: std::collections::BTreeMap<String, String>,
    max_memory: usize,
}

/// The child's side (`fmc-runner --serve-function`): bounds its own address
/// space, loads the function with `load` (the runner's loader, Python
/// included), then answers messages until its input ends.
pub fn serve(load: impl FnOnce(&Config, &Context) -> Result<Box<dyn UserFunction>, String>) -> std::process::ExitCode {
    let mut input = BufReader::new(std::io::stdin().lock());
    let mut output = BufWriter::new(std::io::stdout().lock());
    let Ok(setup) = read_frame(&mut input) else { return std::process::ExitCode::from(2) };
    let loaded = serde_json::from_slice::<Setup>(&setup).map_err(|e| format!("invalid setup: {e}")).and_then(|setup| {
        super::isolated::die_with_parent()?;
        super::isolated::limit_address_space(setup.max_memory)?;
        let config: Config = serde_json::from_value(setup.config).map_err(|e| format!("invalid configuration: {e}"))?;
        config.validate()?;
        let context = Context::new(config.user_config.clone(), setup.secrets);
        Ok((load(&config, &context)?, config))
    });
    let (mut function, config) = match loaded {
        Ok(f) => f,
        Err(e) => {
            let mut answer = vec![1];
            answer.extend_from_slice(&frame(e.as_bytes()));
            let _ = output.write_all(&answer).and_then(|()| output.flush());
            return std::process::ExitCode::from(2);
        }
    };
    let manual = config.processing_guarantee == crate::config::Guarantee::Manual;
    if output.write_all(&[0]).and_then(|()| output.flush()).is_err() {
        return std::process::ExitCode::from(1);
    }
    loop {
        let Ok(request) = read_frame(&mut input) else { return std::process::ExitCode::SUCCESS };
        let record =
            serde_json::from_slice::<Value>(&request).map_err(|e| e.to_string()).and_then(|v| record_from_json(&v));
        let result =
            record.and_then(|r| function.process_batch(std::slice::from_ref(&r)).pop().unwrap_or(Ok(Vec::new())));
        let acked = !manual || function.acknowledged().is_some_and(|a| a.first() == Some(&true));
        // No broker here: what the harness takes is received (`publish` callbacks run).
        if let Ok(records) = &result {
            let tickets: Vec<_> =
                records.iter().filter_map(|r| r.receipt).map(|t| (t, Ok(format!("fmc-test:{t}")))).collect();
            if !tickets.is_empty() {
                function.receipts(tickets);
            }
        }
        let mut reply = Vec::new();
        match result {
            Ok(records) => {
                let records: Vec<Value> = records.iter().map(record_json).collect();
                let body = json!({"records": records, "metrics": function.user_metrics(), "acked": acked});
                reply.push(0);
                reply.extend_from_slice(&frame(body.to_string().as_bytes()));
            }
            Err(e) => {
                reply.push(1);
                reply.extend_from_slice(&frame(e.as_bytes()));
            }
        }
        if output.write_all(&reply).and_then(|()| output.flush()).is_err() {
            return std::process::ExitCode::from(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_their_json() {
        let r = Record {
            payload: vec![0, 159, 255],
            key: Some("k".into()),
            key_base64: true,
            properties: vec![("a".into(), "b".into())],
            event_time: Some(7),
            topic: Some("persistent://t/n/x".into()),
            from: Some("persistent://t/n/in".into()),
            message_id: Some("1:2:-1:0".into()),
            receipt: None,
        };
        assert_eq!(record_from_json(&record_json(&r)).unwrap(), r);
        assert!(record_from_json(&json!({"payload": "%%"})).is_err());
    }
}
