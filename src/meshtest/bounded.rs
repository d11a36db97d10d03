//! Every jq program `fmc test` runs — a native function's, a stand-in's, an
//! `expect` predicate's — is evaluated by the runner's bounded evaluator: in a
//! child process (this same `fmc` binary, started as `fmc --evaluate-jq`)
//! under an address-space limit and a per-message deadline.
//!
//! Why: a test file and its mesh come from a pull request. A program that
//! loops (`last(range(1e12))`), recurses without end (`def f: [f]; f`) or
//! allocates without bound (`[range(1e9)]`) would otherwise hang CI, abort the
//! process on a stack overflow, or take the machine's memory. Bounded, such a
//! program fails its case with a clear message, and the run goes on.

use fmc_engine::function::isolated::{Bounds, Evaluator, own_executable};
use fmc_engine::function::{Context, Evaluation};
use std::time::Duration;

/// Longest one message may take in one program.
pub const TIME: Duration = Duration::from_secs(5);
/// Address space of an evaluator child.
pub const MEMORY: usize = 256 << 20;

/// A program's evaluation, bounded by [`TIME`] and [`MEMORY`].
pub fn jq(program: &str, context: &Context) -> Result<Evaluation, String> {
    let bounds = Bounds { max_memory: MEMORY, per_message: Some(TIME) };
    Ok(Evaluation::isolated(Evaluator::start(own_executable()?, program, context, bounds)?))
}

/// The runner configuration's `function`, with its jq or route program set to
/// run in a bounded child (the runner's `isolation: process`).
pub fn isolate(rendered: &mut serde_json::Value) {
    for kind in ["jq", "route"] {
        if let Some(f) = rendered.get_mut("function").and_then(|f| f.get_mut(kind)).and_then(|f| f.as_object_mut()) {
            f.insert("isolation".into(), "process".into());
            f.insert("maxMemory".into(), MEMORY.into());
        }
    }
    let ms = TIME.as_millis() as u64;
    let configured = rendered.get("maxProcessingMs").and_then(serde_json::Value::as_u64).filter(|m| *m > 0);
    rendered["maxProcessingMs"] = configured.map_or(ms, |m| m.min(ms)).into();
}
