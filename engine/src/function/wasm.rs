//! WebAssembly user functions: the ABI, and the engines that run it.
//!
//! A module exports `memory` and `fmc_alloc(len: i32) -> i32`, plus one of:
//!
//! **ABI v2, batches** — `fmc_process_batch(ptr: i32, len: i32) -> i64`. The
//! runner hands over every message it has at hand (up to `maxBatchSize`) in
//! one call; a module pays the call overhead once per batch and may keep
//! state across the messages of a batch. Little-endian layout:
//!
//! ```text
//! batch  = count:u32 record*count
//! record = payload_len:u32 payload key_len:u32 key event_time:u64 props:u32 (k_len:u32 k v_len:u32 v)*props
//! result = count:u32 entry*count
//! entry  = input:u32 0:u32 record          an output of input #input
//!        | input:u32 1:u32 len:u32 message  input #input failed
//!        | input:u32 2:u32                  the module acknowledges input #input
//!        | input:u32 3:u32 name_len:u32 name record
//!                                           an output to the named topic (ABI 3)
//! ```
//!
//! A named output goes to the topic the mesh maps the name to (the
//! component's `topics`); a name it does not map fails that input.
//!
//! Ack entries matter only under the MANUAL guarantee: then an input is
//! acknowledged (once its outputs are confirmed) only if the module said so,
//! and one it leaves unacknowledged comes back after `ackTimeoutMs` or a
//! reconnection, as in Pulsar Functions.
//!
//! In a record `key_len = 0xFFFF_FFFF` means no key, `event_time = 0` none.
//! In an output record the same two values, and `props = 0xFFFF_FFFF`, mean
//! "as the input": keys, properties and event time carry over unless the
//! module says otherwise. An input with no entry is filtered out; an input
//! with an error entry is a user exception (its outputs are dropped), retried
//! and dead-lettered like any other; a trap or a negative result fails the
//! whole batch.
//!
//! **ABI 3, configuration** — an optional export `fmc_init(ptr: i32, len: i32)
//! -> i32`, called once per instance before any message, with the function's
//! [`Context`](super::Context):
//!
//! ```text
//! init = config_len:u32 config_json secrets:u32 (k_len:u32 k v_len:u32 v)*secrets
//! ```
//!
//! `config_json` is the mesh's `config` as JSON (`null` when none); secrets
//! are name and value. A non-zero result refuses the start (a configuration
//! error: the runner exits 2 with the code). Modules without `fmc_init` (ABI
//! v1 and v2) run as before.
//!
//! **ABI v1, one message** — `fmc_process(ptr: i32, len: i32) -> i64`: the
//! payload in, `(out_ptr << 32) | out_len` out (the output payload, with the
//! input's key, properties and event time); negative is an error, `0` filters.
//!
//! Each call gets a fuel budget (per message, times the batch size) and the
//! instance a memory limit; running out of either is a user error, never a
//! crash of the runner. wasmi (an interpreter, small and quick to build) is
//! the default engine; the `wasmtime` cargo feature adds a compiling engine
//! (`engine: wasmtime` in the configuration).

use super::{Record, UserFunction};

/// Fuel for a module's start function (AssemblyScript and others run their
/// top-level code there, at instantiation, before any per-message budget).
pub const START_FUEL: u64 = 100_000_000;

/// What the ABI needs from an engine: an instantiated module.
pub trait Instance: Send {
    fn set_fuel(&mut self, fuel: u64) -> Result<(), String>;
    fn alloc(&mut self, len: i32) -> Result<i32, String>;
    fn write(&mut self, ptr: i32, bytes: &[u8]) -> Result<(), String>;
    fn read(&mut self, ptr: usize, len: usize) -> Result<Vec<u8>, String>;
    /// Calls `fmc_process_batch` (v2) or `fmc_process` (v1).
    fn call(&mut self, ptr: i32, len: i32) -> Result<i64, String>;
    fn batch_abi(&self) -> bool;
    /// Calls `fmc_init` (ABI 3); `None` when the module does not export it.
    fn init(&mut self, ptr: i32, len: i32) -> Option<Result<i32, String>>;
}

/// A user function in a WebAssembly module.
pub struct Wasm {
    instance: Box<dyn Instance>,
    fuel: u64,
    /// Named outputs: name → fully qualified topic.
    topics: std::collections::BTreeMap<String, String>,
    /// Per input of the last batch: whether the module acknowledged it.
    acknowledged: Vec<bool>,
}

impl Wasm {
    pub fn new(instance: Box<dyn Instance>, fuel: u64) -> Wasm {
        Wasm { instance, fuel, topics: Default::default(), acknowledged: Vec::new() }
    }

    /// The topics the module may write to by name (ABI 3 entry 3).
    pub fn with_topics(mut self, topics: std::collections::BTreeMap<String, String>) -> Wasm {
        self.topics = topics;
        self
    }

    /// Hands the module its configuration and secrets once, before any
    /// message, when it exports `fmc_init` (ABI 3), with one message's fuel.
    pub fn initialise(&mut self, context: &super::Context) -> Result<(), String> {
        let block = context.init_block();
        let len = i32::try_from(block.len()).map_err(|_| "the function's config is over 2 GiB".to_string())?;
        self.instance.set_fuel(self.fuel)?;
        let ptr = self.instance.alloc(len)?;
        self.instance.write(ptr, &block)?;
        match self.instance.init(ptr, len) {
            None | Some(Ok(0)) => Ok(()),
            Some(Ok(code)) => Err(format!("the module's fmc_init refused its configuration (code {code})")),
            Some(Err(e)) => Err(format!("the module's fmc_init failed: {e}")),
        }
    }

    /// Whether the module can acknowledge inputs itself (the batch ABI).
    pub fn batch_abi(&self) -> bool {
        self.instance.batch_abi()
    }

    /// Writes `bytes` into the guest and calls the exported function on them.
    fn call(&mut self, bytes: &[u8], fuel: u64) -> Result<Vec<u8>, String> {
        self.instance.set_fuel(fuel)?;
        let len = i32::try_from(bytes.len()).map_err(|_| "input over 2 GiB".to_string())?;
        let ptr = self.instance.alloc(len)?;
        self.instance.write(ptr, bytes)?;
        let packed = self.instance.call(ptr, len)?;
        if packed < 0 {
            return Err(format!("the function reported error {packed}"));
        }
        let (out_ptr, out_len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        if out_ptr == 0 && out_len == 0 {
            return Ok(Vec::new());
        }
        self.instance.read(out_ptr, out_len)
    }
}

impl UserFunction for Wasm {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        self.process_batch(std::slice::from_ref(input)).pop().unwrap_or_else(|| Ok(Vec::new()))
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        if !self.instance.batch_abi() {
            return inputs.iter().map(|input| self.process_one(input)).collect();
        }
        let fuel = self.fuel.saturating_mul(inputs.len() as u64);
        match self.call(&encode_batch(inputs), fuel).and_then(|out| decode_results(&out, inputs, &self.topics)) {
            Ok(Decoded { results, acknowledged }) => {
                self.acknowledged = acknowledged;
                results
            }
            Err(e) => {
                self.acknowledged = vec![false; inputs.len()];
                inputs.iter().map(|_| Err(e.clone())).collect()
            }
        }
    }

    fn acknowledged(&self) -> Option<&[bool]> {
        self.instance.batch_abi().then_some(self.acknowledged.as_slice())
    }
}

impl Wasm {
    fn process_one(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        let payload = self.call(&input.payload, self.fuel)?;
        if payload.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![Record { payload, ..input.clone() }])
    }
}

const NONE: u32 = u32::MAX;

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

pub fn encode_batch(inputs: &[Record]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + inputs.iter().map(|r| r.payload.len() + 32).sum::<usize>());
    out.extend_from_slice(&(inputs.len() as u32).to_le_bytes());
    for r in inputs {
        put_bytes(&mut out, &r.payload);
        match &r.key {
            Some(k) => put_bytes(&mut out, k.as_bytes()),
            None => out.extend_from_slice(&NONE.to_le_bytes()),
        }
        out.extend_from_slice(&r.event_time.unwrap_or(0).to_le_bytes());
        out.extend_from_slice(&(r.properties.len() as u32).to_le_bytes());
        for (k, v) in &r.properties {
            put_bytes(&mut out, k.as_bytes());
            put_bytes(&mut out, v.as_bytes());
        }
    }
    out
}

/// Reads what a module returned; any malformation fails the whole batch.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or("the batch result ends early")?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    fn string(&mut self, len: u32) -> Result<String, String> {
        String::from_utf8(self.take(len as usize)?.to_vec()).map_err(|_| "a key or property is not UTF-8".to_string())
    }

    fn record(&mut self, input: &Record) -> Result<Record, String> {
        let len = self.u32()?;
        let payload = self.take(len as usize)?.to_vec();
        let key = match self.u32()? {
            NONE => input.key.clone(),
            n => Some(self.string(n)?),
        };
        let event_time = match self.u64()? {
            0 => input.event_time,
            t => Some(t),
        };
        let properties = match self.u32()? {
            NONE => input.properties.clone(),
            n => (0..n)
                .map(|_| {
                    let k = self.u32().and_then(|l| self.string(l))?;
                    let v = self.u32().and_then(|l| self.string(l))?;
                    Ok((k, v))
                })
                .collect::<Result<_, String>>()?,
        };
        Ok(Record { payload, key, properties, event_time, ..Record::default() })
    }
}

/// What a batch call returned: per input, its outputs or error, and whether
/// the module acknowledged it.
#[derive(Debug, PartialEq)]
pub struct Decoded {
    pub results: Vec<Result<Vec<Record>, String>>,
    pub acknowledged: Vec<bool>,
}

pub fn decode_results(
    bytes: &[u8],
    inputs: &[Record],
    topics: &std::collections::BTreeMap<String, String>,
) -> Result<Decoded, String> {
    let mut results: Vec<Result<Vec<Record>, String>> = inputs.iter().map(|_| Ok(Vec::new())).collect();
    let mut acknowledged = vec![false; inputs.len()];
    let mut r = Reader { bytes, at: 0 };
    for _ in 0..r.u32()? {
        let index = r.u32()? as usize;
        let input = inputs.get(index).ok_or(format!("the batch result names input {index} of {}", inputs.len()))?;
        match r.u32()? {
            0 => {
                let record = r.record(input)?;
                if let Ok(outputs) = &mut results[index] {
                    outputs.push(record);
                }
            }
            1 => {
                let len = r.u32()?;
                let message = String::from_utf8_lossy(r.take(len as usize)?).to_string();
                results[index] = Err(format!("the function failed: {message}"));
            }
            2 => acknowledged[index] = true,
            3 => {
                let name = r.u32().and_then(|l| r.string(l))?;
                let mut record = r.record(input)?;
                match topics.get(&name) {
                    Some(topic) => {
                        record.topic = Some(topic.clone());
                        if let Ok(outputs) = &mut results[index] {
                            outputs.push(record);
                        }
                    }
                    None => {
                        let known = topics.keys().cloned().collect::<Vec<_>>().join(", ");
                        results[index] =
                            Err(format!("the module wrote to `{name}`, which is not one of its topics ({known})"));
                    }
                }
            }
            tag => return Err(format!("unknown batch result entry {tag}")),
        }
    }
    Ok(Decoded { results, acknowledged })
}

/// The module's entry point: the batch ABI when exported, else one message
/// per call; true for the batch ABI.
fn entry_point<F, E: std::fmt::Display>(
    batch: Result<F, E>,
    single: impl FnOnce() -> Result<F, E>,
) -> Result<(F, bool), String> {
    match batch {
        Ok(f) => Ok((f, true)),
        Err(_) => single()
            .map(|f| (f, false))
            .map_err(|e| format!("neither `fmc_process_batch` nor `fmc_process(i32, i32) -> i64` exported: {e}")),
    }
}

/// The wasmi engine (default).
pub mod wasmi_engine {
    use super::Instance;

    struct Host {
        limits: wasmi::StoreLimits,
    }

    pub struct WasmiInstance {
        store: wasmi::Store<Host>,
        memory: wasmi::Memory,
        alloc: wasmi::TypedFunc<i32, i32>,
        process: wasmi::TypedFunc<(i32, i32), i64>,
        init: Option<wasmi::TypedFunc<(i32, i32), i32>>,
        batch: bool,
    }

    /// Compiles a module (binary, or text for tests) and instantiates it once.
    pub fn instantiate(module: &[u8], max_memory: usize) -> Result<WasmiInstance, String> {
        let mut config = wasmi::Config::default();
        config.consume_fuel(true);
        let engine = wasmi::Engine::new(&config);
        let module = wasmi::Module::new(&engine, module).map_err(|e| format!("invalid WebAssembly module: {e}"))?;
        let limits = wasmi::StoreLimitsBuilder::new().memory_size(max_memory).build();
        let mut store = wasmi::Store::new(&engine, Host { limits });
        store.limiter(|h| &mut h.limits);
        store.set_fuel(super::START_FUEL).map_err(|e| e.to_string())?;
        let linker = wasmi::Linker::<Host>::new(&engine);
        let instance =
            linker.instantiate_and_start(&mut store, &module).map_err(|e| format!("cannot instantiate: {e}"))?;
        let memory = instance.get_memory(&store, "memory").ok_or("the module exports no `memory`")?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&store, "fmc_alloc")
            .map_err(|e| format!("`fmc_alloc(i32) -> i32` missing: {e}"))?;
        let (process, batch) =
            super::entry_point(instance.get_typed_func::<(i32, i32), i64>(&store, "fmc_process_batch"), || {
                instance.get_typed_func::<(i32, i32), i64>(&store, "fmc_process")
            })?;
        let init = instance.get_typed_func::<(i32, i32), i32>(&store, "fmc_init").ok();
        Ok(WasmiInstance { store, memory, alloc, process, init, batch })
    }

    impl Instance for WasmiInstance {
        fn set_fuel(&mut self, fuel: u64) -> Result<(), String> {
            self.store.set_fuel(fuel).map_err(|e| e.to_string())
        }
        fn alloc(&mut self, len: i32) -> Result<i32, String> {
            self.alloc.call(&mut self.store, len).map_err(|e| format!("fmc_alloc: {e}"))
        }
        fn write(&mut self, ptr: i32, bytes: &[u8]) -> Result<(), String> {
            self.memory.write(&mut self.store, ptr as u32 as usize, bytes).map_err(|e| format!("write: {e}"))
        }
        fn read(&mut self, ptr: usize, len: usize) -> Result<Vec<u8>, String> {
            let mut out = vec![0u8; len];
            self.memory.read(&self.store, ptr, &mut out).map_err(|e| format!("read: {e}"))?;
            Ok(out)
        }
        fn call(&mut self, ptr: i32, len: i32) -> Result<i64, String> {
            self.process.call(&mut self.store, (ptr, len)).map_err(|e| format!("the function trapped: {e}"))
        }
        fn batch_abi(&self) -> bool {
            self.batch
        }
        fn init(&mut self, ptr: i32, len: i32) -> Option<Result<i32, String>> {
            let init = self.init.as_ref()?;
            Some(init.call(&mut self.store, (ptr, len)).map_err(|e| format!("trapped: {e}")))
        }
    }
}

/// The wasmtime engine (cargo feature `wasmtime`): compiles the module with
/// Cranelift at start, then runs native code.
#[cfg(feature = "wasmtime")]
pub mod wasmtime_engine {
    use super::Instance;

    struct Host {
        limits: wasmtime::StoreLimits,
    }

    pub struct WasmtimeInstance {
        store: wasmtime::Store<Host>,
        memory: wasmtime::Memory,
        alloc: wasmtime::TypedFunc<i32, i32>,
        process: wasmtime::TypedFunc<(i32, i32), i64>,
        init: Option<wasmtime::TypedFunc<(i32, i32), i32>>,
        batch: bool,
    }

    pub fn instantiate(module: &[u8], max_memory: usize) -> Result<WasmtimeInstance, String> {
        let mut config = wasmtime::Config::new();
        config.consume_fuel(true);
        let engine = wasmtime::Engine::new(&config).map_err(|e| format!("wasmtime: {e}"))?;
        let module = wasmtime::Module::new(&engine, module).map_err(|e| format!("invalid WebAssembly module: {e}"))?;
        let limits = wasmtime::StoreLimitsBuilder::new().memory_size(max_memory).build();
        let mut store = wasmtime::Store::new(&engine, Host { limits });
        store.limiter(|h| &mut h.limits);
        store.set_fuel(super::START_FUEL).map_err(|e| e.to_string())?;
        let linker = wasmtime::Linker::<Host>::new(&engine);
        let instance = linker.instantiate(&mut store, &module).map_err(|e| format!("cannot instantiate: {e}"))?;
        let memory = instance.get_memory(&mut store, "memory").ok_or("the module exports no `memory`")?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&mut store, "fmc_alloc")
            .map_err(|e| format!("`fmc_alloc(i32) -> i32` missing: {e}"))?;
        let batch_entry = instance.get_typed_func::<(i32, i32), i64>(&mut store, "fmc_process_batch");
        let (process, batch) =
            super::entry_point(batch_entry, || instance.get_typed_func::<(i32, i32), i64>(&mut store, "fmc_process"))?;
        let init = instance.get_typed_func::<(i32, i32), i32>(&mut store, "fmc_init").ok();
        Ok(WasmtimeInstance { store, memory, alloc, process, init, batch })
    }

    impl Instance for WasmtimeInstance {
        fn set_fuel(&mut self, fuel: u64) -> Result<(), String> {
            self.store.set_fuel(fuel).map_err(|e| e.to_string())
        }
        fn alloc(&mut self, len: i32) -> Result<i32, String> {
            self.alloc.call(&mut self.store, len).map_err(|e| format!("fmc_alloc: {e}"))
        }
        fn write(&mut self, ptr: i32, bytes: &[u8]) -> Result<(), String> {
            self.memory.write(&mut self.store, ptr as u32 as usize, bytes).map_err(|e| format!("write: {e}"))
        }
        fn read(&mut self, ptr: usize, len: usize) -> Result<Vec<u8>, String> {
            let mut out = vec![0u8; len];
            self.memory.read(&self.store, ptr, &mut out).map_err(|e| format!("read: {e}"))?;
            Ok(out)
        }
        fn call(&mut self, ptr: i32, len: i32) -> Result<i64, String> {
            self.process.call(&mut self.store, (ptr, len)).map_err(|e| format!("the function trapped: {e}"))
        }
        fn batch_abi(&self) -> bool {
            self.batch
        }
        fn init(&mut self, ptr: i32, len: i32) -> Option<Result<i32, String>> {
            let init = self.init.as_ref()?;
            Some(init.call(&mut self.store, (ptr, len)).map_err(|e| format!("trapped: {e}")))
        }
    }
}
