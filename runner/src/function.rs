//! User functions: identity, jq programs (jaq) and WebAssembly modules (wasmi).
//!
//! A function turns one input record into zero or more output records; an
//! error is a user exception (the runner counts it and lets Pulsar redeliver
//! the message, up to the dead-letter topic).
//!
//! WebAssembly ABI (version 1), core wasm, no imports needed:
//! - exports `memory`, `fmc_alloc(len: i32) -> i32` and
//!   `fmc_process(ptr: i32, len: i32) -> i64`;
//! - the runner writes the payload at `fmc_alloc(len)` and calls `fmc_process`;
//! - the result packs `(out_ptr << 32) | out_len`: the output payload; a
//!   negative result is a user error, `out_len == 0` with `out_ptr == 0`
//!   filters the message out;
//! - each call gets a fuel budget and the store a memory limit; running out of
//!   either is a user error, never a crash of the runner.

use crate::config::FunctionConfig;
use sha2::Digest;

/// One message, as the function sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub payload: Vec<u8>,
    pub key: Option<String>,
    pub properties: Vec<(String, String)>,
    pub event_time: Option<u64>,
}

pub trait UserFunction: Send {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String>;
}

/// Builds the function the configuration names.
pub fn load(config: &FunctionConfig) -> Result<Box<dyn UserFunction>, String> {
    match config {
        FunctionConfig::Identity {} => Ok(Box::new(Identity)),
        FunctionConfig::Jq { program } => Ok(Box::new(Jq::compile(program)?)),
        FunctionConfig::Wasm { path, sha256, fuel, max_memory } => {
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read WebAssembly module {path}: {e}"))?;
            if let Some(want) = sha256 {
                let have = hex(&sha2::Sha256::digest(&bytes));
                if !have.eq_ignore_ascii_case(want) {
                    return Err(format!("{path} has sha256 {have}, the configuration pins {want}: refusing to start"));
                }
            }
            Ok(Box::new(Wasm::new(&bytes, *fuel, *max_memory)?))
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct Identity;

impl UserFunction for Identity {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        Ok(vec![input.clone()])
    }
}

type JqFilter = jaq_core::Filter<jaq_core::data::JustLut<jaq_json::Val>>;

/// A jq program over JSON payloads; key, properties and event time carry over.
pub struct Jq {
    filter: JqFilter,
}

impl Jq {
    pub fn compile(program: &str) -> Result<Jq, String> {
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
            .compile(modules)
            .map_err(|errs| format!("jq program does not compile ({} errors): {program}", errs.len()))?;
        Ok(Jq { filter })
    }
}

impl UserFunction for Jq {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        use jaq_core::{Ctx, Vars, data, unwrap_valr};
        let value = jaq_json::read::parse_single(&input.payload).map_err(|e| format!("payload is not JSON: {e}"))?;
        let ctx = Ctx::<data::JustLut<jaq_json::Val>>::new(&self.filter.lut, Vars::new([]));
        let mut out = Vec::new();
        for result in self.filter.id.run((ctx, value)).map(unwrap_valr) {
            let value = result.map_err(|e| format!("jq: {e}"))?;
            out.push(Record { payload: value.to_string().into_bytes(), ..input.clone() });
        }
        Ok(out)
    }
}

/// Store data: the memory limits.
struct Host {
    limits: wasmi::StoreLimits,
}

pub struct Wasm {
    store: wasmi::Store<Host>,
    memory: wasmi::Memory,
    alloc: wasmi::TypedFunc<i32, i32>,
    process: wasmi::TypedFunc<(i32, i32), i64>,
    fuel: u64,
}

impl Wasm {
    /// Compiles a module (binary, or text for tests) and instantiates it once.
    pub fn new(module: &[u8], fuel: u64, max_memory: usize) -> Result<Wasm, String> {
        let mut config = wasmi::Config::default();
        config.consume_fuel(true);
        let engine = wasmi::Engine::new(&config);
        let module = wasmi::Module::new(&engine, module).map_err(|e| format!("invalid WebAssembly module: {e}"))?;
        let limits = wasmi::StoreLimitsBuilder::new().memory_size(max_memory).build();
        let mut store = wasmi::Store::new(&engine, Host { limits });
        store.limiter(|h| &mut h.limits);
        store.set_fuel(fuel).map_err(|e| e.to_string())?;
        let linker = wasmi::Linker::<Host>::new(&engine);
        let instance =
            linker.instantiate_and_start(&mut store, &module).map_err(|e| format!("cannot instantiate: {e}"))?;
        let memory = instance.get_memory(&store, "memory").ok_or("the module exports no `memory`")?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&store, "fmc_alloc")
            .map_err(|e| format!("`fmc_alloc(i32) -> i32` missing: {e}"))?;
        let process = instance
            .get_typed_func::<(i32, i32), i64>(&store, "fmc_process")
            .map_err(|e| format!("`fmc_process(i32, i32) -> i64` missing: {e}"))?;
        Ok(Wasm { store, memory, alloc, process, fuel })
    }
}

impl UserFunction for Wasm {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        self.store.set_fuel(self.fuel).map_err(|e| e.to_string())?;
        let len = i32::try_from(input.payload.len()).map_err(|_| "payload over 2 GiB".to_string())?;
        let ptr = self.alloc.call(&mut self.store, len).map_err(|e| format!("fmc_alloc: {e}"))?;
        self.memory.write(&mut self.store, ptr as u32 as usize, &input.payload).map_err(|e| format!("write: {e}"))?;
        let packed = self.process.call(&mut self.store, (ptr, len)).map_err(|e| format!("fmc_process: {e}"))?;
        if packed < 0 {
            return Err(format!("the function reported error {packed}"));
        }
        let (out_ptr, out_len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        if out_ptr == 0 && out_len == 0 {
            return Ok(Vec::new());
        }
        let mut payload = vec![0u8; out_len];
        self.memory.read(&self.store, out_ptr, &mut payload).map_err(|e| format!("read: {e}"))?;
        Ok(vec![Record { payload, ..input.clone() }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uppercases ASCII in place; payloads starting with `!` are errors, `-` filtered.
    pub const UPPER_WAT: &str = include_str!("../tests/fixtures/upper.wat");

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
        let mut f = Wasm::new(UPPER_WAT.as_bytes(), 1_000_000, 1 << 20).unwrap();
        assert_eq!(f.process(&rec("hello")).unwrap()[0].payload, b"HELLO");
        assert!(f.process(&rec("-skip")).unwrap().is_empty());
        assert!(f.process(&rec("!boom")).is_err());
        // Out of fuel is an error, not a hang.
        let mut starved = Wasm::new(UPPER_WAT.as_bytes(), 50, 1 << 20).unwrap();
        assert!(starved.process(&rec(&"x".repeat(10_000))).is_err());
    }

    #[test]
    fn a_pinned_module_with_another_hash_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.wat");
        std::fs::write(&path, UPPER_WAT).unwrap();
        let config = FunctionConfig::Wasm {
            path: path.display().to_string(),
            sha256: Some("00".repeat(32)),
            fuel: 1000,
            max_memory: 1 << 20,
        };
        let err = load(&config).err().expect("refused");
        assert!(err.contains("refusing to start"), "{err}");
    }
}
