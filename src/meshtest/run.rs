//! One test case: its messages sent, followed through the graph in order,
//! checked at every edge, then compared with what the case expects.

use super::file::{TestCase, TestSpec};
use super::harness::{Behaviour, Mesh};
use super::messages::{describe, mismatches, raw_record, value_of};
use fmc_engine::config::Guarantee;
use fmc_engine::function::{Record, UserFunction};
use fmc_engine::validate::PayloadSchema;
use petgraph::graph::NodeIndex;
use std::collections::{BTreeMap, VecDeque};

/// More deliveries than this per message sent is a loop, not a test.
pub const MAX_DELIVERIES_PER_MESSAGE: usize = 10_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The topic the failure is about, as the test names it.
    pub topic: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    pub name: String,
    /// Index of the case in the file's `tests`.
    pub index: usize,
    pub failures: Vec<Failure>,
    /// Messages delivered to topics (sent and produced).
    pub deliveries: usize,
}

/// A message on its way: where it is, and how a failure names it.
struct InFlight {
    topic: NodeIndex,
    record: Record,
    origin: String,
    /// Sent as raw bytes by the test: not checked on the way in, so that a
    /// reader's schema check (and dead-lettering) can be tested.
    raw: bool,
    /// Why it is a dead letter, when it is one: shown if the case fails.
    why: Option<String>,
}

pub fn run_case(mesh: &mut Mesh, spec: &TestSpec, index: usize, case: &TestCase) -> CaseResult {
    let mut behaviours = mesh.behaviours(spec, &case.stand_ins);
    let mesh: &Mesh = mesh;
    let mut run =
        Run { mesh, failures: Vec::new(), arrived: BTreeMap::new(), why_dead: BTreeMap::new(), deliveries: 0 };
    let mut queue = VecDeque::new();
    // A source has no input: its stand-in's `outputs` come out once, first.
    for (index, behaviour) in behaviours.iter().enumerate() {
        let is_source = run.mesh.components[index].kind == crate::model::ComponentKind::Source;
        if let (true, Behaviour::Outputs(records)) = (is_source, behaviour)
            && let Some(node) = run.mesh.component_node(index)
        {
            let outputs = records.iter().map(|(record, value)| Output { record: record.clone(), value: *value });
            run.write(index, node, behaviour, outputs.collect(), &mut queue);
        }
    }
    for (n, m) in case.send.iter().enumerate() {
        let name = m.topic.as_deref().unwrap_or_default();
        let Some(&topic) = run.mesh.topics_named(name).first() else { continue };
        match raw_record(m, run.mesh.topic_schema(topic)) {
            Ok(record) => {
                let origin = format!("message {} sent to `{name}`", n + 1);
                queue.push_back(InFlight { topic, record, origin, raw: m.value.is_none(), why: None });
            }
            Err(e) => run.fail(Some(name), format!("message {} sent to `{name}`: {e}", n + 1)),
        }
    }
    let most = MAX_DELIVERIES_PER_MESSAGE * case.send.len().max(1);
    while let Some(msg) = queue.pop_front() {
        if run.deliveries >= most {
            let per = MAX_DELIVERIES_PER_MESSAGE;
            run.fail(None, format!("more than {most} messages ({per} per message sent): does the mesh loop?"));
            break;
        }
        run.deliver(msg, &mut behaviours, &mut queue);
    }
    run.check_expectations(case);
    CaseResult { name: case.name.clone(), index, failures: run.failures, deliveries: run.deliveries }
}

struct Run<'m, 'a> {
    mesh: &'m Mesh<'a>,
    failures: Vec<Failure>,
    arrived: BTreeMap<NodeIndex, Vec<Record>>,
    /// Why each dead letter that arrived is one, by topic and position.
    why_dead: BTreeMap<(NodeIndex, usize), String>,
    deliveries: usize,
}

impl Run<'_, '_> {
    fn fail(&mut self, topic: Option<&str>, message: String) {
        self.failures.push(Failure { topic: topic.map(str::to_string), message });
    }

    fn deliver(&mut self, msg: InFlight, behaviours: &mut [Behaviour], queue: &mut VecDeque<InFlight>) {
        self.deliveries += 1;
        let arrived = self.arrived.entry(msg.topic).or_default();
        if let Some(why) = &msg.why {
            self.why_dead.insert((msg.topic, arrived.len()), why.clone());
        }
        arrived.push(msg.record.clone());
        let label = self.mesh.topic_label(msg.topic);
        for (index, node) in self.mesh.readers(msg.topic) {
            let key = self.mesh.components[index].meta.name.clone();
            if let Some((schema_name, schema)) = self.mesh.end_schema(msg.topic, node)
                && !resolves_by_writer(schema, self.mesh.topic_schema(msg.topic))
                && let Err(why) = schema.check(&msg.record.payload)
            {
                if msg.raw && self.dead_letter(index, node, &behaviours[index], &msg, &why, queue) {
                    continue;
                }
                let message = format!("{} does not fit `{schema_name}`, which `{key}` reads: {why}", msg.origin);
                self.fail(Some(&label), message);
                continue;
            }
            let outputs = match &mut behaviours[index] {
                Behaviour::Native { function, config } => {
                    let attempts = 1 + config.max_retries.unwrap_or(0);
                    let mut result = Err(String::new());
                    // The runner decodes an input by the topic it came from.
                    let from = Some(self.mesh.topic_address(msg.topic).to_string());
                    let input = Record { from, ..msg.record.clone() };
                    for _ in 0..attempts {
                        result = call(function.as_mut(), &input);
                        if result.is_ok() {
                            break;
                        }
                    }
                    match result {
                        Ok(out) => out.into_iter().map(|r| Output::bytes(Record { from: None, ..r })).collect(),
                        Err(_) if config.processing_guarantee == Guarantee::AtmostOnce => Vec::new(),
                        Err(e) => {
                            if !self.dead_letter(index, node, &behaviours[index], &msg, &e, queue) {
                                self.fail(Some(&label), format!("`{key}` failed on {}: {e}", msg.origin));
                            }
                            continue;
                        }
                    }
                }
                Behaviour::PassThrough => vec![Output::bytes(Record { topic: None, ..msg.record.clone() })],
                Behaviour::Drop | Behaviour::Consume => Vec::new(),
                Behaviour::Jq(jq) => {
                    // A stand-in works on values: the input decoded with its schema.
                    let value = value_of(&msg.record, self.mesh.topic_schema(msg.topic));
                    let input = Record { payload: value.to_string().into_bytes(), ..msg.record.clone() };
                    match jq.process(&input) {
                        Ok(out) => out.into_iter().map(Output::value).collect(),
                        Err(e) => {
                            self.fail(Some(&label), format!("the stand-in of `{key}` failed on {}: {e}", msg.origin));
                            continue;
                        }
                    }
                }
                Behaviour::Outputs(records) => {
                    records.iter().map(|(r, value)| Output { record: r.clone(), value: *value }).collect()
                }
                Behaviour::Unrunnable(why) => {
                    let why = why.clone();
                    self.fail(Some(&label), format!("{} reached {why}", msg.origin));
                    continue;
                }
            };
            self.write(index, node, &behaviours[index], outputs, queue);
        }
    }

    /// Sends a component's outputs on: each to the topic it names (a route)
    /// or the component's output, checked against the schema its end declares.
    fn write(
        &mut self,
        index: usize,
        node: NodeIndex,
        behaviour: &Behaviour,
        outputs: Vec<Output>,
        queue: &mut VecDeque<InFlight>,
    ) {
        let key = self.mesh.components[index].meta.name.clone();
        let default_output = match behaviour {
            Behaviour::Native { config, .. } => config.output.clone(),
            _ => self.mesh.output_of(index),
        };
        for (n, Output { record, value }) in outputs.into_iter().enumerate() {
            let Some(address) = record.topic.clone().or_else(|| default_output.clone()) else {
                // The runner drops a function's outputs when it has no output
                // topic (it only consumes); a stand-in's are the test's mistake.
                if !matches!(behaviour, Behaviour::Native { .. }) {
                    self.fail(None, format!("the stand-in of `{key}` gave an output, but `{key}` has no output topic"));
                }
                continue;
            };
            let Some(topic) = self.mesh.written_topic(node, &address) else {
                self.fail(None, format!("`{key}` wrote to {address}, which the mesh does not say it writes"));
                continue;
            };
            let origin = format!("output {} of `{key}` to `{}`", n + 1, self.mesh.topic_label(topic));
            let record = match self.encoded(record, value, topic) {
                Ok(r) => r,
                Err(e) => {
                    let label = self.mesh.topic_label(topic);
                    self.fail(Some(&label), format!("{origin}: {e}"));
                    continue;
                }
            };
            if let Some((schema_name, schema)) = self.mesh.end_schema(node, topic)
                && let Err(why) = schema.check(&record.payload)
            {
                let shown = describe(&record, None);
                let label = self.mesh.topic_label(topic);
                self.fail(Some(&label), format!("{origin} does not fit its schema `{schema_name}`: {why}: {shown}"));
                continue;
            }
            queue.push_back(InFlight {
                topic,
                record: Record { topic: None, ..record },
                origin,
                raw: false,
                why: None,
            });
        }
    }

    /// A stand-in's output is a value: encoded here with the schema of the
    /// topic it goes to (JSON text stays as it is where there is none).
    fn encoded(&self, mut record: Record, value: bool, topic: NodeIndex) -> Result<Record, String> {
        if value && let Some(schema) = self.mesh.topic_schema(topic) {
            let value: serde_json::Value =
                serde_json::from_slice(&record.payload).map_err(|e| format!("not a value: {e}"))?;
            let (payload, key) = schema.encode_message(&value)?;
            record.payload = payload;
            if let Some(key) = key {
                record.set_key_bytes(&key);
            }
        }
        Ok(record)
    }

    /// Sends a message a native function gives up on to its dead-letter
    /// topic, as the runner does; false when it has none.
    fn dead_letter(
        &mut self,
        index: usize,
        node: NodeIndex,
        behaviour: &Behaviour,
        msg: &InFlight,
        why: &str,
        queue: &mut VecDeque<InFlight>,
    ) -> bool {
        let Behaviour::Native { config, .. } = behaviour else { return false };
        let Some(address) = config.dead_letter() else { return false };
        let Some(topic) = self.mesh.written_topic(node, &address) else { return false };
        let mut record = Record { topic: None, ..msg.record.clone() };
        let real_topic = self.mesh.topic_address(msg.topic).to_string();
        record.properties.push(("REAL_TOPIC".into(), real_topic));
        let key = &self.mesh.components[index].meta.name;
        let origin = format!("the dead letter of `{key}` for {}", msg.origin);
        queue.push_back(InFlight { topic, record, origin, raw: false, why: Some(why.to_string()) });
        true
    }

    fn check_expectations(&mut self, case: &TestCase) {
        for (name, wanted) in &case.expect {
            let Some(&topic) = self.mesh.topics_named(name).first() else { continue };
            let schema = self.mesh.topic_schema(topic);
            let got = self.arrived.get(&topic).cloned().unwrap_or_default();
            if got.len() != wanted.len() {
                let why =
                    |n| self.why_dead.get(&(topic, n)).map(|w| format!(" (dead-lettered: {w})")).unwrap_or_default();
                let shown: Vec<String> =
                    got.iter().enumerate().map(|(n, r)| format!("\n    + {}{}", describe(r, schema), why(n))).collect();
                let message = format!(
                    "`{name}`: expected {} message{}, {} arrived{}",
                    wanted.len(),
                    if wanted.len() == 1 { "" } else { "s" },
                    got.len(),
                    shown.concat()
                );
                self.fail(Some(name), message);
                continue;
            }
            for (n, (record, want)) in got.iter().zip(wanted).enumerate() {
                let problems = mismatches(record, want, schema);
                if !problems.is_empty() {
                    let lines: Vec<String> = problems.iter().map(|p| format!("\n    {p}")).collect();
                    self.fail(Some(name), format!("`{name}`, message {}:{}", n + 1, lines.concat()));
                }
            }
        }
    }
}

/// What a component wrote: bytes (a function's, or passed through), or a
/// stand-in's value (JSON text), to be encoded with its topic's schema.
struct Output {
    record: Record,
    value: bool,
}

impl Output {
    fn bytes(record: Record) -> Output {
        Output { record, value: false }
    }

    fn value(record: Record) -> Output {
        Output { record, value: true }
    }
}

/// Avro binary is read with the schema it was written with, resolved to the
/// reader's (the type checker proved the two compatible): a reader's own Avro
/// schema cannot check the bytes of another.
fn resolves_by_writer(reader: &PayloadSchema, topic: Option<&PayloadSchema>) -> bool {
    matches!(reader, PayloadSchema::Avro(_)) && topic.is_some_and(|t| t != reader)
}

fn call(function: &mut dyn UserFunction, record: &Record) -> Result<Vec<Record>, String> {
    function.process_batch(std::slice::from_ref(record)).pop().unwrap_or_else(|| Ok(Vec::new()))
}
