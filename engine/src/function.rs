//! User functions: identity, jq programs (jaq) and WebAssembly modules (wasmi).
//!
//! A function turns one input record into zero or more output records; an
//! error is a user exception (the runner counts it and lets Pulsar redeliver
//! the message, up to the dead-letter topic).
//!
//! jq and route programs run in an evaluator child by default, bounded per
//! message (see [`isolated`]). WebAssembly modules: see [`wasm`] for the ABI
//! (batches, or one message per call).

use crate::config::{Config, FunctionConfig, Isolation, WasmEngine};

/// One message, as the function sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub payload: Vec<u8>,
    pub key: Option<String>,
    /// The key is base64 of its bytes (Pulsar's `partition_key_b64_encoded`,
    /// as a SEPARATED KEY_VALUE's key travels).
    pub key_base64: bool,
    pub properties: Vec<(String, String)>,
    pub event_time: Option<u64>,
    /// Where an output goes when not to the configured `output` (a route).
    pub topic: Option<String>,
    /// The topic an input was read from: its schema says how to decode it
    /// for a program that works on values ([`typed`]).
    pub from: Option<String>,
    /// An input's message id as the runner names it (`ledger:entry:batch:partition`).
    pub message_id: Option<String>,
    /// A ticket for the broker's receipt of this output (Python's
    /// `context.publish(..., callback=...)`): the runner hands the send's
    /// outcome back through [`UserFunction::receipts`] once the broker answers.
    pub receipt: Option<u64>,
}

impl Record {
    /// The key's bytes: base64-decoded when it travels so, else its text.
    pub fn key_bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        let key = self.key.as_deref()?;
        if self.key_base64 {
            return base64::engine::general_purpose::STANDARD.decode(key).ok();
        }
        Some(key.as_bytes().to_vec())
    }

    /// The key as text (a base64 key decoded, lossily).
    pub fn key_text(&self) -> Option<String> {
        self.key_bytes().map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Sets the key to these bytes, as Pulsar sends a binary key: base64.
    pub fn set_key_bytes(&mut self, bytes: &[u8]) {
        use base64::Engine;
        self.key = Some(base64::engine::general_purpose::STANDARD.encode(bytes));
        self.key_base64 = true;
    }
}

pub mod context;
pub mod isolated;
pub mod served;
pub mod typed;
pub mod wasm;

pub use context::Context;
pub use isolated::Evaluator;
pub use wasm::Wasm;

pub trait UserFunction: Send {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String>;

    /// Several messages at once, one result per input in order. Functions
    /// that gain nothing from batches keep this default.
    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        inputs.iter().map(|input| self.process(input)).collect()
    }

    /// Under MANUAL: which inputs of the last batch the function acknowledged
    /// itself; none for functions that cannot (the runner refuses MANUAL then).
    fn acknowledged(&self) -> Option<&[bool]> {
        None
    }

    /// Whether the function bounds each message's time itself (then the
    /// runner's watchdog, which ends the process, stays off).
    fn bounds_each_message(&self) -> bool {
        false
    }

    /// [`UserFunction::process_batch`], where a function that can set a slow
    /// message aside (jq in an evaluator child) answers [`Outcome::Later`]
    /// for it, so the messages after it are not held up.
    fn process_batch_setting_aside(&mut self, inputs: &[Record]) -> Vec<Outcome> {
        self.process_batch(inputs).into_iter().map(Outcome::Now).collect()
    }

    /// The outcomes of messages set aside earlier that are known now.
    fn finished(&mut self) -> Vec<(u64, Result<Vec<Record>, String>)> {
        Vec::new()
    }

    /// How many messages are set aside and not finished.
    fn set_aside(&self) -> usize {
        0
    }

    /// The broker's answers for outputs that carried a [`Record::receipt`]
    /// ticket: the message id it stored the output under, or why the send
    /// failed. Called after the broker answers, never before.
    fn receipts(&mut self, _receipts: Vec<(u64, Result<String, String>)>) {}

    /// What the function measured itself since the runner last asked
    /// (a Python function's `context.record_metric`): name and value.
    fn user_metrics(&mut self) -> Vec<(String, f64)> {
        Vec::new()
    }
}

/// One input's outcome: now, or later under a ticket ([`UserFunction::finished`]).
#[derive(Debug, PartialEq)]
pub enum Outcome {
    Now(Result<Vec<Record>, String>),
    Later(u64),
}

/// Builds the function the configuration names, with its config and
/// secrets; a WebAssembly function needs its module's bytes
/// (`package::module_bytes`).
pub fn load(config: &Config, module: Option<&[u8]>, context: &Context) -> Result<Box<dyn UserFunction>, String> {
    let redactor = context.redactor();
    let function = load_unredacted(config, module, context).map_err(|e| redactor.redact(&e))?;
    Ok(redacted(function, context))
}

/// `function` with every error it gives redacted against the context's
/// secrets (for engines loaded outside this crate, such as Python's).
pub fn redacted(function: Box<dyn UserFunction>, context: &Context) -> Box<dyn UserFunction> {
    let redactor = context.redactor();
    if redactor.is_empty() {
        return function;
    }
    Box::new(Redacted { function, redactor })
}

/// A function whose errors pass through the [`context::Redactor`] of its
/// secrets before the runner (or `fmc test`) sees them.
struct Redacted {
    function: Box<dyn UserFunction>,
    redactor: context::Redactor,
}

impl UserFunction for Redacted {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        self.function.process(input).map_err(|e| self.redactor.redact(&e))
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        let results = self.function.process_batch(inputs);
        results.into_iter().map(|r| r.map_err(|e| self.redactor.redact(&e))).collect()
    }

    fn acknowledged(&self) -> Option<&[bool]> {
        self.function.acknowledged()
    }

    fn bounds_each_message(&self) -> bool {
        self.function.bounds_each_message()
    }

    fn process_batch_setting_aside(&mut self, inputs: &[Record]) -> Vec<Outcome> {
        let outcomes = self.function.process_batch_setting_aside(inputs);
        outcomes
            .into_iter()
            .map(|o| match o {
                Outcome::Now(r) => Outcome::Now(r.map_err(|e| self.redactor.redact(&e))),
                later => later,
            })
            .collect()
    }

    fn finished(&mut self) -> Vec<(u64, Result<Vec<Record>, String>)> {
        let finished = self.function.finished();
        finished.into_iter().map(|(t, r)| (t, r.map_err(|e| self.redactor.redact(&e)))).collect()
    }

    fn set_aside(&self) -> usize {
        self.function.set_aside()
    }

    fn user_metrics(&mut self) -> Vec<(String, f64)> {
        self.function.user_metrics()
    }
}

fn load_unredacted(config: &Config, module: Option<&[u8]>, context: &Context) -> Result<Box<dyn UserFunction>, String> {
    match &config.function {
        FunctionConfig::Identity {} => Ok(Box::new(Identity)),
        FunctionConfig::Jq { program, max_memory, isolation } => {
            let jq = evaluation(config, program, context, *max_memory, *isolation)?;
            Ok(typed::Typed::around(Box::new(jq), config, typed::Outputs::Encoded))
        }
        FunctionConfig::Route { program, topics, max_memory, isolation } => {
            let jq = evaluation(config, program, context, *max_memory, *isolation)?;
            Ok(typed::Typed::around(Box::new(Route::new(jq, topics.clone())), config, typed::Outputs::Unchanged))
        }
        FunctionConfig::Python(_) => {
            Err("this runner was built without the `python` feature (use the Python runner image)".into())
        }
        FunctionConfig::Wasm { fuel, max_memory, engine, topics, .. } => {
            let bytes = module.ok_or("invariant: a WebAssembly function comes with its module")?;
            let instance: Box<dyn wasm::Instance> = match engine {
                WasmEngine::Wasmi => Box::new(wasm::wasmi_engine::instantiate(bytes, *max_memory)?),
                #[cfg(feature = "wasmtime")]
                WasmEngine::Wasmtime => Box::new(wasm::wasmtime_engine::instantiate(bytes, *max_memory)?),
                #[cfg(not(feature = "wasmtime"))]
                WasmEngine::Wasmtime => {
                    return Err("this runner was built without the `wasmtime` feature; use `engine: wasmi`".into());
                }
            };
            let mut wasm = Wasm::new(instance, *fuel).with_topics(topics.clone());
            wasm.initialise(context)?;
            Ok(Box::new(wasm))
        }
    }
}

fn evaluation(
    config: &Config,
    program: &str,
    context: &Context,
    max_memory: Option<usize>,
    isolation: Isolation,
) -> Result<Evaluation, String> {
    match isolation {
        Isolation::None => Ok(Evaluation::Inline(Jq::compile_in(program, context)?)),
        Isolation::Process => {
            let per_message =
                (config.max_processing_ms > 0).then(|| std::time::Duration::from_millis(config.max_processing_ms));
            let max_memory = max_memory.unwrap_or_else(isolated::default_max_memory);
            let bounds = isolated::Bounds { max_memory, per_message };
            let executable = isolated::own_executable()?;
            Ok(Evaluation::isolated(Evaluator::start(executable, program, context, bounds)?))
        }
    }
}

/// Where a jq program is evaluated: in this process, or in a bounded child
/// (with the inputs of the messages set aside there, by ticket).
pub enum Evaluation {
    Inline(Jq),
    Isolated(Evaluator, std::collections::BTreeMap<u64, Record>),
}

impl Evaluation {
    pub fn isolated(evaluator: Evaluator) -> Evaluation {
        Evaluation::Isolated(evaluator, Default::default())
    }

    /// The program's results on each payload, in order, a slow one set aside.
    fn results_setting_aside(&mut self, inputs: &[Record]) -> Vec<isolated::Evaluated> {
        match self {
            Evaluation::Inline(jq) => jq.batch_results(inputs).into_iter().map(isolated::Evaluated::Now).collect(),
            Evaluation::Isolated(evaluator, waiting) => {
                let payloads: Vec<&[u8]> = inputs.iter().map(|i| i.payload.as_slice()).collect();
                let evaluated = evaluator.evaluate_setting_aside(&payloads);
                for (input, e) in inputs.iter().zip(&evaluated) {
                    if let isolated::Evaluated::Later(ticket) = e {
                        waiting.insert(*ticket, input.clone());
                    }
                }
                evaluated
            }
        }
    }

    /// The set-aside messages that finished: ticket, input and results.
    fn finished_results(&mut self) -> Vec<(u64, Record, isolated::Results)> {
        let Evaluation::Isolated(evaluator, waiting) = self else { return Vec::new() };
        let finished = evaluator.finished();
        finished.into_iter().filter_map(|(ticket, results)| Some((ticket, waiting.remove(&ticket)?, results))).collect()
    }

    fn waiting(&self) -> usize {
        match self {
            Evaluation::Inline(_) => 0,
            Evaluation::Isolated(_, waiting) => waiting.len(),
        }
    }
}

/// Results or tickets into outcomes, each result made records by `make`.
fn outcomes(
    inputs: &[Record],
    evaluated: Vec<isolated::Evaluated>,
    make: impl Fn(&Record, isolated::Results) -> Result<Vec<Record>, String>,
) -> Vec<Outcome> {
    let pairs = inputs.iter().zip(evaluated);
    pairs
        .map(|(input, e)| match e {
            isolated::Evaluated::Now(results) => Outcome::Now(make(input, results)),
            isolated::Evaluated::Later(ticket) => Outcome::Later(ticket),
        })
        .collect()
}

impl From<Jq> for Evaluation {
    fn from(jq: Jq) -> Evaluation {
        Evaluation::Inline(jq)
    }
}

impl Evaluation {
    /// The program's results on each payload, in order.
    fn results(&mut self, inputs: &[Record]) -> Vec<isolated::Results> {
        match self {
            Evaluation::Inline(jq) => jq.batch_results(inputs),
            Evaluation::Isolated(evaluator, _) => {
                let payloads: Vec<&[u8]> = inputs.iter().map(|i| i.payload.as_slice()).collect();
                evaluator.evaluate(&payloads)
            }
        }
    }

    /// Whether each message's evaluation is bounded in time (then the
    /// runner's watchdog stays off).
    fn bounds_each_message(&self) -> bool {
        matches!(self, Evaluation::Isolated(e, _) if e.bounded_in_time())
    }
}

pub struct Identity;

impl UserFunction for Identity {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        Ok(vec![input.clone()])
    }
}

type JqFilter = jaq_core::Filter<jaq_core::data::JustLut<jaq_json::Val>>;

/// A jq program over JSON payloads; key, properties and event time carry over.
/// `$config` and `$secrets` are the function's [`Context`].
pub struct Jq {
    filter: JqFilter,
    /// `$config` and `$secrets` as JSON texts. jaq's values are reference
    /// counted (`Rc`, not `Send`) and the runner hands functions between
    /// threads, so they are read into values per batch ([`Globals`]; the cost
    /// is in BENCHMARKS.md).
    globals: [String; 2],
}

/// The global variables every program may use, in the order of `Jq::globals`.
const JQ_GLOBALS: [&str; 2] = ["$config", "$secrets"];

impl Jq {
    /// A program with an empty context (`$config` null, no secrets).
    pub fn compile(program: &str) -> Result<Jq, String> {
        Jq::compile_in(program, &Context::default())
    }

    pub fn compile_in(program: &str, context: &Context) -> Result<Jq, String> {
        use jaq_core::load::{Arena, File, Loader};
        let defs = jaq_core::defs().chain(jaq_std::defs()).chain(jaq_json::defs());
        let funs = jaq_core::funs().chain(jaq_std::funs()).chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let modules = loader
            .load(&arena, File { code: program, path: () })
            .map_err(|errs| format!("jq program does not parse ({} errors): {program}", errs.len()))?;
        let filter = jaq_core::Compiler::default()
            .with_funs(funs)
            .with_global_vars(JQ_GLOBALS)
            .compile(modules)
            .map_err(|errs| format!("jq program does not compile ({} errors): {program}", errs.len()))?;
        Ok(Jq { filter, globals: context.jq_globals() })
    }
}

/// Deepest JSON nesting a jq or route function is given. Real payloads nest a
/// few levels; 10,000 `[` in a 20 KB message would overflow the stack of the
/// parser and of jq, killing the runner and every message behind it.
pub const MAX_JSON_DEPTH: usize = 128;

/// Whether `payload` nests arrays and objects deeper than `max` (strings
/// skipped), found in one pass before any recursive parser sees it.
pub fn json_too_deep(payload: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in payload {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// `$config` and `$secrets` as jaq values, read once and used for every
/// message of a batch (or, in an evaluator child, of its whole life).
pub struct Globals(Vec<jaq_json::Val>);

impl Jq {
    /// The program's results on a JSON payload, as JSON texts.
    fn results(&self, payload: &[u8]) -> Result<Vec<String>, String> {
        self.results_with(payload, &self.globals()?)
    }

    /// Reads `$config` and `$secrets` into jaq values.
    pub fn globals(&self) -> Result<Globals, String> {
        let values = self.globals.iter().map(|text| {
            jaq_json::read::parse_single(text.as_bytes()).map_err(|e| format!("invariant: JSON the runner wrote: {e}"))
        });
        Ok(Globals(values.collect::<Result<_, String>>()?))
    }

    /// [`Jq::results`] with the globals already read.
    pub fn results_with(&self, payload: &[u8], globals: &Globals) -> Result<Vec<String>, String> {
        use jaq_core::{Ctx, Vars, data, unwrap_valr};
        if json_too_deep(payload, MAX_JSON_DEPTH) {
            return Err(format!("payload nests deeper than {MAX_JSON_DEPTH} levels"));
        }
        let value = jaq_json::read::parse_single(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
        let ctx = Ctx::<data::JustLut<jaq_json::Val>>::new(&self.filter.lut, Vars::new(globals.0.iter().cloned()));
        self.filter
            .id
            .run((ctx, value))
            .map(unwrap_valr)
            .map(|r| r.map(|v| v.to_string()).map_err(|e| format!("jq: {e}")))
            .collect()
    }

    /// Each payload's results, the globals read once for all of them.
    fn batch_results(&self, inputs: &[Record]) -> Vec<isolated::Results> {
        match self.globals() {
            Ok(globals) => inputs.iter().map(|i| self.results_with(&i.payload, &globals)).collect(),
            Err(e) => inputs.iter().map(|_| Err(e.clone())).collect(),
        }
    }
}

impl UserFunction for Jq {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        outputs(input, self.results(&input.payload))
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        let results = self.batch_results(inputs);
        inputs.iter().zip(results).map(|(input, results)| outputs(input, results)).collect()
    }
}

/// A jq function, wherever its program is evaluated.
impl UserFunction for Evaluation {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        self.process_batch(std::slice::from_ref(input)).pop().expect("invariant: one result per input")
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        let results = self.results(inputs);
        inputs.iter().zip(results).map(|(input, results)| outputs(input, results)).collect()
    }

    fn bounds_each_message(&self) -> bool {
        Evaluation::bounds_each_message(self)
    }

    fn process_batch_setting_aside(&mut self, inputs: &[Record]) -> Vec<Outcome> {
        let evaluated = self.results_setting_aside(inputs);
        outcomes(inputs, evaluated, outputs)
    }

    fn finished(&mut self) -> Vec<(u64, Result<Vec<Record>, String>)> {
        self.finished_results().into_iter().map(|(t, input, results)| (t, outputs(&input, results))).collect()
    }

    fn set_aside(&self) -> usize {
        self.waiting()
    }
}

/// A jq function's outputs: one record per result, with the input's key,
/// properties and event time.
fn outputs(input: &Record, results: isolated::Results) -> Result<Vec<Record>, String> {
    Ok(results?.into_iter().map(|text| Record { payload: text.into_bytes(), ..input.clone() }).collect())
}

/// Content-based routing: a jq program names, per message, the route(s) the
/// message goes to unchanged (a string, several results for a fan-out, `null`
/// or no result to drop it); a name the configuration does not list is an
/// error for that message.
pub struct Route {
    jq: Evaluation,
    topics: std::collections::BTreeMap<String, String>,
}

impl Route {
    pub fn new(jq: impl Into<Evaluation>, topics: std::collections::BTreeMap<String, String>) -> Route {
        Route { jq: jq.into(), topics }
    }

    fn routed(&self, input: &Record, results: isolated::Results) -> Result<Vec<Record>, String> {
        let mut out = Vec::new();
        for text in results? {
            if text == "null" {
                continue;
            }
            let name: String =
                serde_json::from_str(&text).map_err(|_| format!("a route name must be a string, got {text}"))?;
            let topic = self.topics.get(&name).ok_or_else(|| {
                format!("no route `{name}` (routes: {})", self.topics.keys().cloned().collect::<Vec<_>>().join(", "))
            })?;
            out.push(Record { topic: Some(topic.clone()), ..input.clone() });
        }
        Ok(out)
    }
}

impl UserFunction for Route {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        self.process_batch(std::slice::from_ref(input)).pop().expect("invariant: one result per input")
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        let results = self.jq.results(inputs);
        inputs.iter().zip(results).map(|(input, r)| self.routed(input, r)).collect()
    }

    fn bounds_each_message(&self) -> bool {
        self.jq.bounds_each_message()
    }

    fn process_batch_setting_aside(&mut self, inputs: &[Record]) -> Vec<Outcome> {
        let evaluated = self.jq.results_setting_aside(inputs);
        outcomes(inputs, evaluated, |input, results| self.routed(input, results))
    }

    fn finished(&mut self) -> Vec<(u64, Result<Vec<Record>, String>)> {
        let finished = self.jq.finished_results();
        finished.into_iter().map(|(t, input, results)| (t, self.routed(&input, results))).collect()
    }

    fn set_aside(&self) -> usize {
        self.jq.waiting()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uppercases ASCII in place; payloads starting with `!` are errors, `-` filtered.
    pub const UPPER_WAT: &str = include_str!("../tests/fixtures/upper.wat");

    pub const UPPER_BATCH_WAT: &str = include_str!("../tests/fixtures/upper_batch.wat");

    /// Every engine this build has: the ABI tests run on each.
    type Instantiate = fn(&[u8], usize) -> Result<Box<dyn wasm::Instance>, String>;

    fn engines() -> Vec<Instantiate> {
        #[cfg_attr(not(feature = "wasmtime"), allow(unused_mut))]
        let mut all: Vec<Instantiate> = vec![|m, l| Ok(Box::new(wasm::wasmi_engine::instantiate(m, l)?))];
        #[cfg(feature = "wasmtime")]
        all.push(|m, l| Ok(Box::new(wasm::wasmtime_engine::instantiate(m, l)?)));
        all
    }

    fn wasm_on(engine: usize, text: &str, fuel: u64) -> Wasm {
        Wasm::new(engines()[engine](text.as_bytes(), 1 << 20).unwrap(), fuel)
    }

    fn rec(s: &str) -> Record {
        Record { payload: s.as_bytes().to_vec(), key: Some("k".into()), ..Record::default() }
    }

    #[test]
    fn jq_maps_and_filters() {
        let mut f = Jq::compile("select(.n > 1) | {id, double: (.n * 2)}").unwrap();
        let out = f.process(&rec(r#"{"id":"a","n":2}"#)).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(String::from_utf8(out[0].payload.clone()).unwrap(), r#"{"id":"a","double":4}"#);
        assert_eq!(out[0].key.as_deref(), Some("k"));
        assert!(f.process(&rec(r#"{"id":"b","n":1}"#)).unwrap().is_empty());
        assert!(f.process(&rec("not json")).is_err());
        assert!(Jq::compile("select(").is_err());
    }

    #[test]
    fn wasm_abi_maps_filters_and_fails() {
        for engine in 0..engines().len() {
            wasm_abi_v1(|text, fuel| wasm_on(engine, text, fuel));
        }
    }

    #[test]
    fn batch_abi_maps_filters_and_fails_per_input() {
        for engine in 0..engines().len() {
            wasm_abi_v2(|text, fuel| wasm_on(engine, text, fuel));
        }
    }

    fn wasm_abi_v1(wasm: impl Fn(&str, u64) -> Wasm) {
        let mut f = wasm(UPPER_WAT, 1_000_000);
        assert_eq!(f.process(&rec("hello")).unwrap()[0].payload, b"HELLO");
        assert!(f.process(&rec("-skip")).unwrap().is_empty());
        assert!(f.process(&rec("!boom")).is_err());
        // Out of fuel is an error, not a hang.
        let mut starved = wasm(UPPER_WAT, 50);
        assert!(starved.process(&rec(&"x".repeat(10_000))).is_err());
    }

    fn wasm_abi_v2(wasm: impl Fn(&str, u64) -> Wasm) {
        let mut f = wasm(UPPER_BATCH_WAT, 1_000_000);
        let mut keyed = rec("keep my key");
        keyed.properties = vec![("p".into(), "v".into())];
        keyed.event_time = Some(42);
        let inputs = [rec("hello"), rec("-skip"), rec("!boom"), keyed.clone(), rec("~hold")];
        let results = f.process_batch(&inputs);
        assert_eq!(results.len(), 5);
        assert_eq!(f.acknowledged(), Some(&[true, true, false, true, false][..]), "ack entries (MANUAL)");
        assert_eq!(results[0].as_ref().unwrap()[0].payload, b"HELLO");
        assert!(results[1].as_ref().unwrap().is_empty(), "filtered");
        assert!(results[2].as_ref().unwrap_err().contains("boom"), "{:?}", results[2]);
        let out = &results[3].as_ref().unwrap()[0];
        assert_eq!(out.payload, b"KEEP MY KEY");
        assert_eq!((&out.key, &out.properties, out.event_time), (&keyed.key, &keyed.properties, Some(42)));
        // One message through the same module, and a batch that runs out of fuel fails as a whole.
        assert_eq!(f.process(&rec("one")).unwrap()[0].payload, b"ONE");
        let mut starved = wasm(UPPER_BATCH_WAT, 20);
        assert!(starved.process_batch(&[rec(&"x".repeat(5000)), rec("y")]).iter().all(Result::is_err));
    }

    pub const CONTEXT_WAT: &str = include_str!("../tests/fixtures/context.wat");

    fn context() -> Context {
        Context::new(serde_json::json!({"min": 2, "label": "big"}), [("API_KEY".into(), "k-123".into())].into())
    }

    /// N10, in process (`isolation: none`): errors of a loaded function come
    /// back with secret values redacted.
    #[test]
    fn a_loaded_function_redacts_secrets_from_its_errors() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "tenant": "t", "namespace": "n", "name": "f", "serviceUrl": "pulsar://b:6650", "inputs": ["in"],
            "secrets": ["API_KEY"],
            "function": {"jq": {"program": "error(\"bad key \\($secrets.API_KEY)\") ", "isolation": "none"}},
        }))
        .unwrap();
        let mut f = load(&config, None, &context()).unwrap();
        let why = f.process(&rec("{}")).unwrap_err();
        assert!(!why.contains("k-123") && why.contains("<redacted:API_KEY>"), "{why}");
        let why = f.process_batch(&[rec("{}")]).pop().unwrap().unwrap_err();
        assert!(!why.contains("k-123"), "{why}");
    }

    #[test]
    fn jq_programs_read_config_and_secrets() {
        let mut f =
            Jq::compile_in("select(.n >= $config.min) | {label: $config.label, key: $secrets.API_KEY}", &context())
                .unwrap();
        let out = f.process(&rec(r#"{"n":2}"#)).unwrap();
        assert_eq!(String::from_utf8(out[0].payload.clone()).unwrap(), r#"{"label":"big","key":"k-123"}"#);
        assert!(f.process(&rec(r#"{"n":1}"#)).unwrap().is_empty());
        // Without a context the variables exist, empty.
        let mut bare = Jq::compile("[$config, $secrets]").unwrap();
        assert_eq!(bare.process(&rec("0")).unwrap()[0].payload, b"[null,{}]");
    }

    #[test]
    fn a_module_gets_config_and_secrets_once_through_fmc_init() {
        for engine in 0..engines().len() {
            let mut wasm = wasm_on(engine, CONTEXT_WAT, 1_000_000);
            wasm.initialise(&context()).unwrap();
            assert_eq!(wasm.process(&rec("x")).unwrap()[0].payload, context().init_block());
            let mut refused = wasm_on(engine, CONTEXT_WAT, 1_000_000);
            let err = refused.initialise(&Context::new(serde_json::json!(false), Default::default())).unwrap_err();
            assert!(err.contains("code 3"), "{err}");
            // A module without `fmc_init` (ABI v1, v2) is initialised as a no-op.
            wasm_on(engine, UPPER_BATCH_WAT, 1_000_000).initialise(&context()).unwrap();
        }
    }

    #[test]
    fn deeply_nested_json_is_a_user_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let jq = Jq::compile(".").unwrap();
        let err = jq.results(deep.as_bytes()).unwrap_err();
        assert!(err.contains("deeper than 128"), "{err}");
        let mut route = Route::new(Jq::compile("\"a\"").unwrap(), [("a".into(), "t".into())].into());
        assert!(route.process(&rec(&"{\"a\":".repeat(30_000))).is_err());
        // Brackets inside strings do not count; 128 levels are fine.
        let ok = format!("{}\"[[[[\\\"{{{{\"{}", "[".repeat(128), "]".repeat(128));
        assert!(!json_too_deep(ok.as_bytes(), MAX_JSON_DEPTH));
        assert!(jq.results(ok.as_bytes()).is_ok());
    }

    #[test]
    fn a_route_sends_each_message_unchanged_to_the_topics_its_program_names() {
        let topics = [("de", "persistent://t/n/orders-de"), ("rest", "persistent://t/n/orders-rest")];
        let mut f = Route::new(
            Jq::compile(r#"if .country == "DE" then "de" elif .country == "XX" then "nowhere" elif .country == null then null else "rest" end"#).unwrap(),
            topics.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        );
        let de = rec(r#"{"country":"DE"}"#);
        let out = f.process(&de).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].topic.as_deref(), &out[0].payload, &out[0].key), (Some(topics[0].1), &de.payload, &de.key));
        assert_eq!(f.process(&rec(r#"{"country":"FR"}"#)).unwrap()[0].topic.as_deref(), Some(topics[1].1));
        assert!(f.process(&rec("{}")).unwrap().is_empty(), "null drops the message");
        assert!(f.process(&rec(r#"{"country":"XX"}"#)).unwrap_err().contains("no route `nowhere`"));
        let mut both = Route::new(Jq::compile(r#""de", "rest""#).unwrap(), f.topics.clone());
        assert_eq!(both.process(&de).unwrap().len(), 2, "a fan-out");
    }

    #[test]
    fn a_malformed_batch_result_fails_the_batch_not_the_runner() {
        let inputs = [rec("a")];
        let topics = [("alerts".to_string(), "persistent://t/n/alerts".to_string())].into();
        assert!(wasm::decode_results(&[1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0], &inputs, &topics).is_err(), "input 5 of 1");
        assert!(
            wasm::decode_results(&[1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0], &inputs, &topics).is_err(),
            "unknown entry"
        );
        assert!(wasm::decode_results(&[2, 0, 0, 0], &inputs, &topics).is_err(), "truncated");
        let empty = wasm::decode_results(&[0, 0, 0, 0], &inputs, &topics).unwrap();
        assert_eq!((empty.results, empty.acknowledged), (vec![Ok(vec![])], vec![false]));
        let acked = wasm::decode_results(&[1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0], &inputs, &topics).unwrap();
        assert_eq!(acked.acknowledged, vec![true]);
        // A named output (entry 3) goes to the topic the name maps to; an unknown name fails the input.
        let named = |name: &[u8]| {
            let mut b = vec![1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, name.len() as u8, 0, 0, 0];
            b.extend_from_slice(name);
            b.extend_from_slice(&[
                1, 0, 0, 0, b'x', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
            ]);
            b
        };
        let routed = wasm::decode_results(&named(b"alerts"), &inputs, &topics).unwrap();
        let out = &routed.results[0].as_ref().unwrap()[0];
        assert_eq!((out.topic.as_deref(), out.payload.as_slice()), (Some("persistent://t/n/alerts"), &b"x"[..]));
        let unknown = wasm::decode_results(&named(b"nope"), &inputs, &topics).unwrap();
        assert!(unknown.results[0].as_ref().unwrap_err().contains("`nope`"), "{:?}", unknown.results);
        let encoded = wasm::encode_batch(&inputs);
        assert_eq!(&encoded[..8], &[1, 0, 0, 0, 1, 0, 0, 0]);
    }
}
