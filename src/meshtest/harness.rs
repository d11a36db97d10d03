//! The mesh under test: every component as a stage that turns a message into
//! messages, over the compiled stream graph.
//!
//! Native functions run with the runner's own function module
//! ([`fmc_engine::function::load`]) from the very configuration `fmc build`
//! renders for their pods, so a test runs the jq program, route or WebAssembly
//! module (with its fuel and memory limits, its `$config` and `$secrets`) that
//! will run in the cluster. Every jq program (a function's, a stand-in's) is
//! evaluated in a bounded child, as the runner's `isolation: process` does
//! ([`super::bounded`]): a program from a pull request cannot hang or abort
//! the run. Python functions on fmc's runner run in the runner binary, one
//! child per function (`fmc_engine::function::served`): `fmc` links no
//! Python. Components fmc does not run — Java and Go functions, Python ones
//! on the operator's runner, connectors — take the test's stand-in.

use super::file::{StandIn, TestSpec};
use crate::check::graph::{Node, StreamGraph};
use crate::files::{ReadError, read_confined_bytes};
use crate::resolve::Component;
use fmc_engine::config::Config;
use fmc_engine::function::served::Served;
use fmc_engine::function::{Context, Evaluation, Record, UserFunction};
use fmc_engine::validate::PayloadSchema;
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a component does with one message in a test.
pub enum Behaviour {
    Native {
        function: Box<dyn UserFunction>,
        config: Box<Config>,
    },
    PassThrough,
    Drop,
    Jq(Evaluation),
    /// Each with whether it is a value (to encode with the topic's schema).
    Outputs(Vec<(Record, bool)>),
    /// A component without outputs that fmc does not run (a sink): it consumes.
    Consume,
    /// It would need a stand-in; why, when a message reaches it.
    Unrunnable(String),
}

/// The compiled mesh and where its files are, shared by every test case.
pub struct Mesh<'a> {
    pub graph: &'a StreamGraph,
    pub components: &'a [Component],
    /// The test file's folder: the root every file it names stays in.
    pub root: PathBuf,
    /// The mesh file's folder (a module `file` relative to it).
    pub mesh_folder: PathBuf,
    /// Module bytes by component index, read once.
    modules: BTreeMap<usize, Result<Vec<u8>, String>>,
    /// Each topic node's schema, and each edge's (its name and the schema),
    /// worked out once: every delivery needs them.
    topic_schemas: BTreeMap<NodeIndex, Option<PayloadSchema>>,
    end_schemas: BTreeMap<petgraph::graph::EdgeIndex, Option<(String, PayloadSchema)>>,
    /// Where Python functions' code is copied for their children.
    code: Option<tempfile::TempDir>,
}

impl<'a> Mesh<'a> {
    pub fn new(graph: &'a StreamGraph, components: &'a [Component], root: PathBuf, mesh_folder: PathBuf) -> Self {
        let g = &graph.graph;
        let topic_schemas = graph.topics.values().map(|n| (*n, declared_schema(graph, *n))).collect();
        let end_schemas = g
            .edge_indices()
            .map(|e| {
                let port = &g[e];
                let schema = payload_schema(crate::lower::payload_schemas::payload_schema(&port.schema));
                (e, schema.map(|s| (port.schema.label(), s)))
            })
            .collect();
        Mesh { graph, components, root, mesh_folder, modules: BTreeMap::new(), topic_schemas, end_schemas, code: None }
    }

    /// The graph node of the component at `index`.
    pub fn component_node(&self, index: usize) -> Option<NodeIndex> {
        self.graph.graph.node_indices().find(|n| matches!(self.graph.graph[*n], Node::Component(i) if i == index))
    }

    /// The component with this key (its name in the mesh).
    pub fn component(&self, key: &str) -> Option<usize> {
        self.components.iter().position(|c| c.meta.name == key)
    }

    /// The topic nodes a test's name for a topic means: its address, its name
    /// in the mesh, or the address's last segment; `NAME@CLUSTER` picks one
    /// cluster's.
    pub fn topics_named(&self, name: &str) -> Vec<NodeIndex> {
        let (name, cluster) = match name.rsplit_once('@') {
            Some((n, c)) if !n.contains("://") || !c.contains('/') => (n, Some(c)),
            _ => (name, None),
        };
        let matches = |address: &str, logical: Option<&str>| {
            address == name || logical == Some(name) || address.rsplit('/').next() == Some(name)
        };
        self.graph
            .topics
            .values()
            .copied()
            .filter(|n| match &self.graph.graph[*n] {
                Node::Topic { address, placement, facts } => {
                    matches(address, facts.as_ref().map(|f| f.logical.as_str()))
                        && cluster.is_none_or(|c| placement.name() == c)
                }
                Node::Component(_) => false,
            })
            .collect()
    }

    pub fn topic_address(&self, node: NodeIndex) -> &str {
        match &self.graph.graph[node] {
            Node::Topic { address, .. } => address,
            Node::Component(_) => "",
        }
    }

    /// How a test names a topic node: its name in the mesh, else its address.
    pub fn topic_label(&self, node: NodeIndex) -> String {
        match &self.graph.graph[node] {
            Node::Topic { facts: Some(f), .. } => f.logical.clone(),
            Node::Topic { address, .. } => address.clone(),
            Node::Component(_) => String::new(),
        }
    }

    /// The schema a topic declares, else the one its writers or readers name.
    pub fn topic_schema(&self, node: NodeIndex) -> Option<&PayloadSchema> {
        self.topic_schemas.get(&node)?.as_ref()
    }

    /// The schema a component names at its end of a topic (reading or
    /// writing), with the schema's name.
    pub fn end_schema(&self, from: NodeIndex, to: NodeIndex) -> Option<(&str, &PayloadSchema)> {
        let edge = self.graph.graph.find_edge(from, to)?;
        self.end_schemas.get(&edge)?.as_ref().map(|(name, schema)| (name.as_str(), schema))
    }

    /// The components that read a topic, with their nodes.
    pub fn readers(&self, topic: NodeIndex) -> Vec<(usize, NodeIndex)> {
        let mut out: Vec<(usize, NodeIndex)> = self
            .graph
            .graph
            .edges_directed(topic, Direction::Outgoing)
            .filter_map(|e| match self.graph.graph[e.target()] {
                Node::Component(i) => Some((i, e.target())),
                Node::Topic { .. } => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The topic node a component writes `address` to.
    pub fn written_topic(&self, component: NodeIndex, address: &str) -> Option<NodeIndex> {
        self.graph
            .graph
            .edges_directed(component, Direction::Outgoing)
            .map(|e| e.target())
            .find(|t| self.topic_address(*t) == address)
    }

    /// The topic a non-native component writes its output to.
    pub fn output_of(&self, index: usize) -> Option<String> {
        let comp = &self.components[index];
        match &comp.io {
            Some(io) => {
                io.outputs.iter().find(|p| p.role == crate::model::streams::PortRole::Output).map(|p| p.topic.clone())
            }
            // Operator resources: the spec's output topic.
            None => comp.spec.output.as_ref().and_then(|o| o.topic.clone()),
        }
    }

    /// A fresh behaviour for each component (a test case starts from clean state).
    pub fn behaviours(&mut self, spec: &TestSpec, case_stand_ins: &BTreeMap<String, StandIn>) -> Vec<Behaviour> {
        (0..self.components.len()).map(|i| self.behaviour(i, spec, case_stand_ins)).collect()
    }

    fn behaviour(&mut self, index: usize, spec: &TestSpec, case: &BTreeMap<String, StandIn>) -> Behaviour {
        let comp = &self.components[index];
        let key = comp.meta.name.clone();
        if let Some(stand_in) = case.get(&key).or_else(|| spec.stand_ins.get(&key)) {
            return stand_in_behaviour(stand_in);
        }
        let Some(native) = &comp.native else {
            if self.output_of(index).is_none() {
                return Behaviour::Consume;
            }
            return Behaviour::Unrunnable(format!(
                "`{key}` is a {} {}, which fmc test does not run: give it a stand-in (`standIns.{key}`: passThrough, drop, jq or outputs)",
                runtime_name(comp),
                comp.kind.component()
            ));
        };
        match self.native(index, &native.config, spec) {
            Ok(b) => b,
            Err(why) => Behaviour::Unrunnable(format!("`{key}` cannot run: {why}")),
        }
    }

    fn native(&mut self, index: usize, rendered: &serde_json::Value, spec: &TestSpec) -> Result<Behaviour, String> {
        let mut rendered = rendered.clone();
        super::bounded::isolate(&mut rendered);
        // A Python function's child gets the configuration as rendered (a copy
        // only for it: the engines here take the typed one).
        let for_child = rendered.pointer("/function/python").is_some().then(|| rendered.clone());
        let config: Config =
            serde_json::from_value(rendered).map_err(|e| format!("invariant: the rendered configuration: {e}"))?;
        let mut secrets = BTreeMap::new();
        for name in &config.secrets {
            let value = spec.secrets.get(name).ok_or_else(|| {
                format!("it reads the secret `{name}`; give the test a value for it (`secrets.{name}`)")
            })?;
            secrets.insert(name.clone(), value.clone());
        }
        if let (fmc_engine::config::FunctionConfig::Python(python), Some(rendered)) = (&config.function, &for_child) {
            let served = self.python(index, rendered, python, &config, spec, &secrets)?;
            return Ok(Behaviour::Native { function: Box::new(served), config: Box::new(config) });
        }
        let context = Context::new(config.user_config.clone(), secrets);
        let module = match &config.function {
            fmc_engine::config::FunctionConfig::Wasm { path, sha256, .. } => {
                let key = self.components[index].meta.name.clone();
                let bytes = self.modules.entry(index).or_insert_with(|| {
                    module_bytes(&key, path.as_deref(), spec, &self.root, &self.mesh_folder)
                        .and_then(|b| pinned(b, sha256.as_deref()))
                });
                Some(bytes.clone()?)
            }
            _ => None,
        };
        let function = fmc_engine::function::load(&config, module.as_deref(), &context)?;
        Ok(Behaviour::Native { function, config: Box::new(config) })
    }
}

impl Mesh<'_> {
    /// A Python function in a `fmc-runner --serve-function` child: the code
    /// is the test's `modules.KEY`, else the mesh's file when relative to it,
    /// copied to a folder of the run's own (the child reads exactly the bytes
    /// read here, inside the root), under the rendered configuration.
    fn python(
        &mut self,
        index: usize,
        rendered: &serde_json::Value,
        python: &fmc_engine::config::PythonConfig,
        config: &Config,
        spec: &TestSpec,
        secrets: &BTreeMap<String, String>,
    ) -> Result<Served, String> {
        let comp = &self.components[index];
        let key = comp.meta.name.clone();
        let file = comp.spec.python.as_ref().map(|p| p.py.clone()).unwrap_or_default();
        let bytes = module_bytes(&key, Some(&file), spec, &self.root, &self.mesh_folder)
            .and_then(|b| pinned(b, python.sha256.as_deref()))?;
        let name = Path::new(&file).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = self.code_dir()?.join(index.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(&name);
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let mut rendered = rendered.clone();
        // The child connects to no broker; the configuration still needs one.
        rendered["serviceUrl"] = "pulsar://fmc-test.invalid:6650".into();
        if let Some(p) = rendered.pointer_mut("/function/python").and_then(|p| p.as_object_mut()) {
            p.remove("url");
            p.remove("sha256");
            p.insert("path".into(), path.display().to_string().into());
        }
        let runner = crate::files::find_program("fmc-runner", own_folder().as_deref()).map_err(|e| {
            format!("it is a Python function, which fmc test runs in fmc-runner built with the `python` feature: {e}")
        })?;
        let per_message =
            Duration::from_millis(if config.max_processing_ms > 0 { config.max_processing_ms } else { 10_000 });
        let bounds = fmc_engine::function::served::Bounds { max_memory: PYTHON_MEMORY, per_message };
        Served::start(runner, &rendered, secrets, bounds)
    }

    /// The run's folder for Python code, made once.
    fn code_dir(&mut self) -> Result<PathBuf, String> {
        if self.code.is_none() {
            self.code = Some(tempfile::tempdir().map_err(|e| format!("cannot make a folder for Python code: {e}"))?);
        }
        Ok(self.code.as_ref().expect("invariant: made above").path().to_path_buf())
    }
}

/// The address space of a Python function's child under `fmc test`.
const PYTHON_MEMORY: usize = 1 << 30;

/// The folder of the running `fmc`, where `fmc-runner` is installed beside it.
fn own_folder() -> Option<PathBuf> {
    std::env::current_exe().ok()?.parent().map(Path::to_path_buf)
}

fn declared_schema(graph: &StreamGraph, node: NodeIndex) -> Option<PayloadSchema> {
    if let Node::Topic { facts: Some(f), .. } = &graph.graph[node]
        && let Some((_, schema)) = &f.schema
    {
        return payload_schema(crate::lower::payload_schemas::of_schema(schema));
    }
    let g = &graph.graph;
    let mut ends = g.edges_directed(node, Direction::Incoming).chain(g.edges_directed(node, Direction::Outgoing));
    ends.find_map(|e| payload_schema(crate::lower::payload_schemas::payload_schema(&e.weight().schema)))
}

fn payload_schema(json: Option<serde_json::Value>) -> Option<PayloadSchema> {
    serde_json::from_value(json?).ok()
}

fn runtime_name(comp: &Component) -> &'static str {
    let spec = &comp.spec;
    if spec.java.is_some() {
        "Java"
    } else if spec.python.is_some() {
        "Python"
    } else if spec.golang.is_some() {
        "Go"
    } else {
        "connector"
    }
}

fn stand_in_behaviour(s: &StandIn) -> Behaviour {
    if s.pass_through {
        return Behaviour::PassThrough;
    }
    if let Some(program) = &s.jq {
        return match super::bounded::jq(program, &Context::default()) {
            Ok(jq) => Behaviour::Jq(jq),
            Err(e) => Behaviour::Unrunnable(format!("the stand-in's {e}")),
        };
    }
    if let Some(outputs) = &s.outputs {
        let records = outputs.iter().map(|m| Ok((super::messages::raw_record(m, None)?, m.value.is_some())));
        return match records.collect::<Result<Vec<_>, String>>() {
            Ok(records) => Behaviour::Outputs(records),
            Err(e) => Behaviour::Unrunnable(format!("a stand-in output: {e}")),
        };
    }
    Behaviour::Drop
}

/// The module a native function runs: the test's `modules.KEY`, else the
/// mesh's `file` when it is relative to the mesh (an absolute path is inside
/// the component's image, which a test does not have).
fn module_bytes(
    key: &str,
    path: Option<&str>,
    spec: &TestSpec,
    root: &Path,
    mesh_folder: &Path,
) -> Result<Vec<u8>, String> {
    let read = |base: &Path, rel: &str| {
        read_confined_bytes(Some(root), base, rel).map_err(|e| match e {
            ReadError::Refused(why) | ReadError::Failed(why) => why,
            ReadError::Missing(m) => format!("no module file {}", m.in_root),
        })
    };
    if let Some(rel) = spec.modules.get(key) {
        return read(root, rel);
    }
    match path {
        Some(p) if Path::new(p).is_relative() => read(mesh_folder, p),
        Some(p) => Err(format!("its module {p} is inside its image; give the test the file (`modules.{key}: PATH`)")),
        None => Err(format!("its module is downloaded at start; give the test the file (`modules.{key}: PATH`)")),
    }
}

/// The module, if it has the SHA-256 the mesh pins (the runner refuses another).
fn pinned(bytes: Vec<u8>, sha256: Option<&str>) -> Result<Vec<u8>, String> {
    use sha2::Digest;
    let Some(want) = sha256 else { return Ok(bytes) };
    let have: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    if have.eq_ignore_ascii_case(want) {
        Ok(bytes)
    } else {
        Err(format!("its module's SHA-256 is {have}, the mesh pins {want}"))
    }
}
