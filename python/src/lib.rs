//! fmc-python: the runner's Python engine. Pulsar Python functions — a
//! `pulsar.Function` subclass, a class with `process`, or a module's
//! `process(input)` — run unchanged in CPython embedded with PyO3, behind the
//! engine's [`UserFunction`], so the runner's loop, retries, dead letters,
//! crash journal and metrics apply to them as to native functions.
//!
//! Why a crate of its own: it links libpython. fmc-runner takes it only with
//! its `python` feature (the native runner image stays static), and the
//! compiler never does.
//!
//! The Python side (`_fmc_instance.py`, and the `pulsar` package user code
//! imports) is carried in the binary and served by an import hook ahead of
//! `sys.path`: one call per message crosses into Python (payload and message
//! fields in; output, published messages, log lines, metrics and acks out),
//! under the GIL once.

use fmc_engine::config::{Config, PythonConfig};
use fmc_engine::function::{Context, Record, UserFunction};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use std::collections::BTreeMap;
use std::ffi::CString;

/// The modules the runner serves to Python: name, source, whether a package.
const MODULES: [(&str, &str, bool); 10] = [
    ("pulsar", include_str!("../pulsar/__init__.py"), true),
    ("pulsar.functions", include_str!("../pulsar/functions/__init__.py"), true),
    ("pulsar.functions.function", include_str!("../pulsar/functions/function.py"), false),
    ("pulsar.functions.context", include_str!("../pulsar/functions/context.py"), false),
    ("pulsar.functions.serde", include_str!("../pulsar/functions/serde.py"), false),
    ("pulsar.schema", include_str!("../pulsar/schema/__init__.py"), true),
    ("pulsar.schema.definition", include_str!("../pulsar/schema/definition.py"), false),
    ("pulsar.schema.schema", include_str!("../pulsar/schema/schema.py"), false),
    ("pulsar.schema._avro", include_str!("../pulsar/schema/_avro.py"), false),
    ("_fmc_instance", include_str!("../_fmc_instance.py"), false),
];

const BOOTSTRAP: &str = include_str!("../bootstrap.py");

/// One Python function, loaded once.
pub struct PythonFunction {
    instance: Py<PyAny>,
    name: String,
    log_topic: Option<String>,
    /// Under MANUAL the function acknowledges with `context.ack`.
    manual: bool,
    acked: Vec<bool>,
    /// What `context.record_metric` recorded since the runner last asked.
    metrics: Vec<(String, f64)>,
    /// The function's secrets, kept out of its log lines as out of its errors.
    redactor: fmc_engine::function::context::Redactor,
}

/// What one call gave back.
struct Called {
    output: Option<Vec<u8>>,
    published: Vec<Record>,
    logs: Vec<(String, String)>,
    metrics: Vec<(String, f64)>,
    acked: Vec<String>,
    error: Option<String>,
}

/// Loads the function `python` names, with the context's config and secrets
/// (errors redacted against them, as for every engine).
pub fn load(config: &Config, python: &PythonConfig, context: &Context) -> Result<Box<dyn UserFunction>, String> {
    let Some(path) = python.path.as_deref() else {
        return Err("invariant: the runner fetches a Python function's `url` to a `path` first".into());
    };
    let spec = spec(config, python, path, context);
    Python::initialize();
    let instance = Python::attach(|py| -> PyResult<Py<PyAny>> {
        install(py)?;
        let module = py.import("_fmc_instance")?;
        Ok(module.call_method1("start", (spec.to_string(),))?.unbind())
    })
    .map_err(|e| format!("cannot load the Python function {}: {}", python.class_name, described(e)))?;
    let function = PythonFunction {
        instance,
        name: config.name.clone(),
        log_topic: python.log_topic.clone(),
        manual: config.processing_guarantee == fmc_engine::config::Guarantee::Manual,
        acked: Vec::new(),
        metrics: Vec::new(),
        redactor: context.redactor(),
    };
    Ok(fmc_engine::function::redacted(Box::new(function), context))
}

/// The instance's specification (`_fmc_instance.Instance`).
fn spec(config: &Config, python: &PythonConfig, path: &str, context: &Context) -> serde_json::Value {
    let path = std::path::Path::new(path);
    let on_path = match path.extension().and_then(|e| e.to_str()) {
        Some("zip" | "whl") => path.to_path_buf(),
        _ => path.parent().map(std::path::Path::to_path_buf).unwrap_or_default(),
    };
    serde_json::json!({
        "tenant": config.tenant,
        "namespace": config.namespace,
        "name": config.name,
        "functionId": config.fqfn(),
        "functionVersion": "0",
        "instanceId": config.instance_id,
        "inputs": config.inputs,
        "output": config.output,
        "userConfig": context.config,
        "secrets": context.secrets(),
        "className": python.class_name,
        "paths": [on_path.display().to_string()],
        "inputSerde": python.input_serde,
        "inputSchemaTypes": python.input_schema_types,
        "inputTypeClasses": python.input_type_classes,
        "outputSerde": python.output_serde,
        "outputSchemaType": python.output_schema_type,
        "outputTypeClass": python.output_type_class,
    })
}

/// Puts the runner's modules ahead of `sys.path`, once per process. (A
/// `std::sync::Once` here deadlocks: the bootstrap's Python code lets other
/// threads take the GIL, and one of them would wait on the Once holding it.)
fn install(py: Python<'_>) -> PyResult<()> {
    static INSTALLED: pyo3::sync::PyOnceLock<()> = pyo3::sync::PyOnceLock::new();
    INSTALLED.get_or_try_init(py, || {
        let code = CString::new(BOOTSTRAP).expect("invariant: no NUL in bootstrap.py");
        let bootstrap = PyModule::from_code(py, &code, c"fmc-runner/bootstrap.py", c"_fmc_bootstrap")?;
        let sources = PyDict::new(py);
        for (name, source, package) in MODULES {
            sources.set_item(name, (source, package))?;
        }
        bootstrap.call_method1("install", (sources,))?;
        Ok::<(), PyErr>(())
    })?;
    Ok(())
}

/// A Python exception as one line: its type, message and innermost frame.
fn described(e: PyErr) -> String {
    Python::attach(|py| {
        let trace = e.traceback(py).and_then(|t| t.format().ok()).unwrap_or_default();
        let last = trace.lines().rev().find(|l| l.trim_start().starts_with("File ")).map(str::trim);
        match last {
            Some(frame) => format!("{e} ({frame})"),
            None => e.to_string(),
        }
    })
}

impl PythonFunction {
    fn call(&self, input: &Record) -> Result<Called, String> {
        Python::attach(|py| -> PyResult<Called> {
            let message = PyDict::new(py);
            message.set_item("topic", input.from.as_deref())?;
            message.set_item("key", input.key.as_deref())?;
            message.set_item("eventTime", input.event_time)?;
            message.set_item("messageId", input.message_id.as_deref())?;
            let properties: BTreeMap<&str, &str> =
                input.properties.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            message.set_item("properties", properties)?;
            let result = self.instance.call_method1(py, "process", (PyBytes::new(py, &input.payload), message))?;
            let result = result.bind(py);
            let output: Option<Bound<PyBytes>> = result.get_item(0)?.extract()?;
            let mut published = Vec::new();
            for item in result.get_item(1)?.try_iter()? {
                let item = item?;
                let topic: String = item.get_item(0)?.extract()?;
                let payload: Bound<PyBytes> = item.get_item(1)?.extract()?;
                let properties: BTreeMap<String, String> = item.get_item(2)?.extract()?;
                published.push(Record {
                    payload: payload.as_bytes().to_vec(),
                    key: item.get_item(3)?.extract()?,
                    properties: properties.into_iter().collect(),
                    event_time: item.get_item(4)?.extract()?,
                    topic: Some(topic),
                    receipt: item.get_item(5)?.extract()?,
                    ..Record::default()
                });
            }
            Ok(Called {
                output: output.map(|b| b.as_bytes().to_vec()),
                published,
                logs: result.get_item(2)?.extract()?,
                metrics: result.get_item(3)?.extract()?,
                acked: result.get_item(4)?.extract()?,
                error: result.get_item(5)?.extract()?,
            })
        })
        .map_err(|e| format!("the Python engine failed: {}", described(e)))
    }

    /// The records a call makes: the output (with the input's key and event
    /// time), what it published, and its log lines for the log topic.
    fn records(&self, input: &Record, called: Called) -> Vec<Record> {
        let mut out = Vec::new();
        if let Some(payload) = called.output {
            out.push(Record {
                payload,
                key: input.key.clone(),
                key_base64: input.key_base64,
                event_time: input.event_time,
                ..Record::default()
            });
        }
        out.extend(called.published);
        if let Some(topic) = &self.log_topic {
            for (_, line) in &called.logs {
                out.push(Record {
                    payload: line.clone().into_bytes(),
                    topic: Some(topic.clone()),
                    ..Record::default()
                });
            }
        }
        out
    }
}

/// What `publish` callbacks did: (level, line) logged, exceptions described.
type CallbacksRan = (Vec<(String, String)>, Vec<String>);

impl UserFunction for PythonFunction {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        let mut called = self.call(input)?;
        // A line that prints a secret reaches neither the log nor the log topic.
        for (_, line) in &mut called.logs {
            *line = self.redactor.redact(line);
        }
        for (level, line) in &called.logs {
            fmc_engine::log::log(level, line, &[("function", self.name.clone())]);
        }
        self.metrics.extend(called.metrics.iter().cloned());
        let acked = input.message_id.as_ref().is_some_and(|id| called.acked.contains(id));
        self.acked.push(acked);
        if let Some(error) = called.error {
            return Err(error);
        }
        Ok(self.records(input, called))
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        self.acked.clear();
        inputs.iter().map(|input| self.process(input)).collect()
    }

    fn acknowledged(&self) -> Option<&[bool]> {
        self.manual.then_some(self.acked.as_slice())
    }

    fn user_metrics(&mut self) -> Vec<(String, f64)> {
        std::mem::take(&mut self.metrics)
    }

    fn receipts(&mut self, receipts: Vec<(u64, Result<String, String>)>) {
        let answers: Vec<(u64, bool, String)> = receipts
            .into_iter()
            .map(|(ticket, answer)| match answer {
                Ok(id) => (ticket, true, id),
                Err(why) => (ticket, false, why),
            })
            .collect();
        let called = Python::attach(|py| -> PyResult<CallbacksRan> {
            self.instance.call_method1(py, "receipts", (answers,))?.extract(py)
        });
        let (logs, errors) = match called {
            Ok(called) => called,
            Err(e) => (Vec::new(), vec![format!("the Python engine failed: {}", described(e))]),
        };
        let function = [("function", self.name.clone())];
        for (level, line) in logs {
            fmc_engine::log::log(&level, &self.redactor.redact(&line), &function);
        }
        for error in errors {
            fmc_engine::log::log(
                "warn",
                "a publish callback failed",
                &[("function", self.name.clone()), ("error", self.redactor.redact(&error))],
            );
        }
    }
}
