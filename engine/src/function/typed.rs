//! Typed payloads: a jq or route program works on the value a message
//! carries, whatever its topic's schema.
//!
//! Why: jq reads JSON. On an AVRO, primitive or KEY_VALUE topic the payload
//! is not JSON text, so before this every such message failed with "payload
//! is not JSON" and went to the dead-letter topic, which no check foresaw.
//! Here each input is decoded with the schema its topic's writers write with
//! (`inputSchemas`), resolved to the function's own schema where its end reads
//! another Avro schema (`readerSchemas`, Avro's resolution rules), and given
//! to the program as JSON text; a jq function's results are encoded with the
//! schema of the topic they go to (`outputSchemas`). A route forwards each
//! message unchanged, so its outputs keep the input's bytes.
//!
//! The same wrapper serves the runner, `fmc test` and `fmc dev`: all three
//! load functions through [`super::load`]. What cannot work this way
//! (protobuf payloads, which need their descriptors) is refused by `fmc check`
//! (C029) before anything runs.

use super::{Outcome, Record, UserFunction};
use crate::config::{Config, by_topic};
use crate::validate::PayloadSchema;
use std::collections::BTreeMap;

/// What becomes of a program's outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outputs {
    /// Values, encoded with their topic's schema (jq).
    Encoded,
    /// The input message itself, sent on unchanged (route).
    Unchanged,
}

pub struct Typed {
    function: Box<dyn UserFunction>,
    writers: BTreeMap<String, PayloadSchema>,
    readers: BTreeMap<String, PayloadSchema>,
    outputs: BTreeMap<String, PayloadSchema>,
    default_output: Option<String>,
    mode: Outputs,
    /// The inputs of messages set aside, by ticket.
    waiting: BTreeMap<u64, Record>,
}

impl Typed {
    /// `function` working on values, when the configuration names a schema
    /// for any of its topics; `function` itself otherwise.
    pub fn around(function: Box<dyn UserFunction>, config: &Config, mode: Outputs) -> Box<dyn UserFunction> {
        let outputs = if mode == Outputs::Encoded { config.output_schemas.clone() } else { BTreeMap::new() };
        if config.input_schemas.is_empty() && outputs.is_empty() {
            return function;
        }
        Box::new(Typed {
            function,
            writers: config.input_schemas.clone(),
            readers: config.reader_schemas.clone(),
            outputs,
            default_output: config.output.clone(),
            mode,
            waiting: BTreeMap::new(),
        })
    }

    /// The input as the program sees it: its value as JSON text.
    fn view(&self, input: &Record) -> Result<Record, String> {
        let topic = input.from.as_deref().unwrap_or_default();
        let Some(writer) = by_topic(&self.writers, topic) else { return Ok(input.clone()) };
        let value = writer.decode_message(&input.payload, input.key_bytes().as_deref())?;
        let value = match by_topic(&self.readers, topic) {
            Some(reader) => reader.resolve(value).map_err(|e| format!("the function's schema cannot read it: {e}"))?,
            None => value,
        };
        Ok(Record { payload: value.to_string().into_bytes(), ..input.clone() })
    }

    /// A program's outputs for `input`, as messages.
    fn messages(&self, input: &Record, outputs: Vec<Record>) -> Result<Vec<Record>, String> {
        outputs.into_iter().map(|out| self.message(input, out)).collect()
    }

    fn message(&self, input: &Record, out: Record) -> Result<Record, String> {
        if self.mode == Outputs::Unchanged {
            return Ok(Record { payload: input.payload.clone(), key: input.key.clone(), ..out });
        }
        let topic = out.topic.as_ref().or(self.default_output.as_ref());
        let Some(schema) = topic.and_then(|t| by_topic(&self.outputs, t)) else { return Ok(out) };
        let misfit = |e: String| format!("the result does not fit the output's schema: {e}");
        if let PayloadSchema::Json(_) = schema {
            // jq's text is JSON already: checked, and kept as written.
            schema.check(&out.payload).map_err(misfit)?;
            return Ok(out);
        }
        let value: serde_json::Value =
            serde_json::from_slice(&out.payload).map_err(|e| format!("invariant: jq gives JSON: {e}"))?;
        let (payload, key) = schema.encode_message(&value).map_err(misfit)?;
        let mut message = Record { payload, ..out };
        if let Some(key) = key {
            message.set_key_bytes(&key);
        }
        Ok(message)
    }

    /// Each input's view; the program is given only those that decoded.
    fn views(&self, inputs: &[Record]) -> (Vec<Result<(), String>>, Vec<Record>) {
        let mut decoded = Vec::with_capacity(inputs.len());
        let views = inputs.iter().map(|i| self.view(i).map(|v| decoded.push(v))).collect();
        (views, decoded)
    }
}

impl UserFunction for Typed {
    fn process(&mut self, input: &Record) -> Result<Vec<Record>, String> {
        self.process_batch(std::slice::from_ref(input)).pop().expect("invariant: one result per input")
    }

    fn process_batch(&mut self, inputs: &[Record]) -> Vec<Result<Vec<Record>, String>> {
        let (views, decoded) = self.views(inputs);
        let mut results = self.function.process_batch(&decoded).into_iter();
        let pairs = inputs.iter().zip(views);
        pairs
            .map(|(input, view)| {
                view?;
                let result = results.next().expect("invariant: one result per input");
                self.messages(input, result?)
            })
            .collect()
    }

    fn acknowledged(&self) -> Option<&[bool]> {
        self.function.acknowledged()
    }

    fn bounds_each_message(&self) -> bool {
        self.function.bounds_each_message()
    }

    fn process_batch_setting_aside(&mut self, inputs: &[Record]) -> Vec<Outcome> {
        let (views, decoded) = self.views(inputs);
        let mut outcomes = self.function.process_batch_setting_aside(&decoded).into_iter();
        let mut out = Vec::with_capacity(inputs.len());
        for (input, view) in inputs.iter().zip(views) {
            if let Err(e) = view {
                out.push(Outcome::Now(Err(e)));
                continue;
            }
            match outcomes.next().expect("invariant: one outcome per input") {
                Outcome::Now(result) => out.push(Outcome::Now(result.and_then(|r| self.messages(input, r)))),
                Outcome::Later(ticket) => {
                    self.waiting.insert(ticket, input.clone());
                    out.push(Outcome::Later(ticket));
                }
            }
        }
        out
    }

    fn finished(&mut self) -> Vec<(u64, Result<Vec<Record>, String>)> {
        let finished = self.function.finished();
        let mut out = Vec::with_capacity(finished.len());
        for (ticket, result) in finished {
            let Some(input) = self.waiting.remove(&ticket) else { continue };
            out.push((ticket, result.and_then(|r| self.messages(&input, r))));
        }
        out
    }

    fn set_aside(&self) -> usize {
        self.function.set_aside()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function::{Jq, Route};
    use serde_json::json;

    const ORDERS: &str = "persistent://public/default/orders";
    const BIG: &str = "persistent://public/default/big";

    fn config(extra: serde_json::Value) -> Config {
        let mut base = json!({
            "tenant": "public", "namespace": "default", "name": "f",
            "inputs": [ORDERS], "output": BIG, "function": {"jq": {"program": "."}},
        });
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    fn avro(fields: serde_json::Value) -> serde_json::Value {
        json!({"format": "avro", "root": {"record": fields}})
    }

    fn writer() -> serde_json::Value {
        avro(json!([{"name": "id", "type": "long"}, {"name": "cents", "type": "long"}]))
    }

    fn input(schema: &PayloadSchema, value: serde_json::Value) -> Record {
        let payload = schema.encode(&value).unwrap();
        Record { payload, from: Some(format!("{ORDERS}-partition-1")), ..Record::default() }
    }

    #[test]
    fn a_jq_program_reads_avro_values_and_writes_its_results_as_avro() {
        let out_schema = avro(json!([{"name": "id", "type": "long"}, {"name": "big", "type": "boolean"}]));
        let config = config(json!({"inputSchemas": {ORDERS: writer()}, "outputSchemas": {BIG: out_schema.clone()}}));
        let jq = Jq::compile("select(.cents > 100) | {id, big: true}").unwrap();
        let mut f = Typed::around(Box::new(jq), &config, Outputs::Encoded);
        let w: PayloadSchema = serde_json::from_value(writer()).unwrap();
        let results =
            f.process_batch(&[input(&w, json!({"id": 1, "cents": 500})), input(&w, json!({"id": 2, "cents": 5}))]);
        let out: PayloadSchema = serde_json::from_value(out_schema).unwrap();
        let first = results[0].as_ref().unwrap();
        assert_eq!(out.decode(&first[0].payload).unwrap(), json!({"id": 1, "big": true}));
        assert_eq!(results[1], Ok(vec![]), "filtered out");
    }

    #[test]
    fn a_reader_resolves_the_writers_value_to_its_own_schema() {
        // The reader renamed `cents` (alias), added `currency` with a default
        // and does not read `id`.
        let reader = avro(json!([
            {"name": "amount", "type": "long", "aliases": ["cents"]},
            {"name": "currency", "type": "string", "optional": true, "default": "EUR"},
        ]));
        let config = config(json!({"inputSchemas": {ORDERS: writer()}, "readerSchemas": {ORDERS: reader}}));
        let mut f = Typed::around(Box::new(Jq::compile(".").unwrap()), &config, Outputs::Encoded);
        let w: PayloadSchema = serde_json::from_value(writer()).unwrap();
        let out = f.process(&input(&w, json!({"id": 7, "cents": 250}))).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out[0].payload).unwrap();
        assert_eq!(value, json!({"amount": 250, "currency": "EUR"}), "no output schema: JSON text");
    }

    #[test]
    fn a_route_decides_on_the_value_and_forwards_the_bytes_unchanged() {
        let config = config(json!({"inputSchemas": {ORDERS: writer()}}));
        let topics = [("big".to_string(), BIG.to_string())].into();
        let route = Route::new(Jq::compile(r#"if .cents > 100 then "big" else null end"#).unwrap(), topics);
        let mut f = Typed::around(Box::new(route), &config, Outputs::Unchanged);
        let w: PayloadSchema = serde_json::from_value(writer()).unwrap();
        let message = input(&w, json!({"id": 1, "cents": 500}));
        let out = f.process(&message).unwrap();
        assert_eq!((out[0].payload.clone(), out[0].topic.as_deref()), (message.payload, Some(BIG)));
    }

    #[test]
    fn a_payload_that_does_not_decode_fails_alone_and_a_bad_result_is_an_error() {
        let int32 = json!({"format": "primitive", "kind": "INT32"});
        let config = config(json!({"inputSchemas": {ORDERS: writer()}, "outputSchemas": {BIG: int32}}));
        let mut f = Typed::around(Box::new(Jq::compile(".cents").unwrap()), &config, Outputs::Encoded);
        let w: PayloadSchema = serde_json::from_value(writer()).unwrap();
        let bad = Record { payload: vec![1], from: Some(ORDERS.into()), ..Record::default() };
        let too_big = input(&w, json!({"id": 1, "cents": 1i64 << 40}));
        let results = f.process_batch(&[bad, input(&w, json!({"id": 1, "cents": 9})), too_big]);
        assert!(results[0].as_ref().unwrap_err().contains("ends too early"), "{:?}", results[0]);
        assert_eq!(results[1].as_ref().unwrap()[0].payload, [0, 0, 0, 9]);
        assert!(results[2].as_ref().unwrap_err().contains("does not fit the output's schema"), "{:?}", results[2]);
    }

    #[test]
    fn key_value_messages_are_key_and_value() {
        let kv = json!({"format": "keyValue", "separated": true,
            "key": {"format": "primitive", "kind": "STRING"}, "value": writer()});
        let config = config(json!({"inputSchemas": {ORDERS: kv.clone()}, "outputSchemas": {BIG: kv.clone()}}));
        let jq = Jq::compile(r#"{key: (.key + "!"), value: (.value | .cents += 1)}"#).unwrap();
        let mut f = Typed::around(Box::new(jq), &config, Outputs::Encoded);
        let schema: PayloadSchema = serde_json::from_value(kv).unwrap();
        let (payload, key) = schema.encode_message(&json!({"key": "k", "value": {"id": 1, "cents": 2}})).unwrap();
        let mut message = Record { payload, from: Some(ORDERS.into()), ..Record::default() };
        message.set_key_bytes(&key.unwrap());
        assert_eq!((message.key.as_deref(), message.key_text().as_deref()), (Some("aw=="), Some("k")));
        let out = f.process(&message).unwrap();
        assert!(out[0].key_base64, "a SEPARATED key travels as base64, flagged");
        let back = schema.decode_message(&out[0].payload, out[0].key_bytes().as_deref()).unwrap();
        assert_eq!(back, json!({"key": "k!", "value": {"id": 1, "cents": 3}}));
        let wrong = f.process(&Record { payload: vec![], from: Some(ORDERS.into()), ..Record::default() });
        assert!(wrong.is_err(), "an empty payload is no Session");
    }

    #[test]
    fn without_schemas_the_function_is_not_wrapped() {
        let config = config(json!({}));
        let mut f = Typed::around(Box::new(Jq::compile(".n").unwrap()), &config, Outputs::Encoded);
        let out = f.process(&Record { payload: br#"{"n":1}"#.to_vec(), ..Record::default() }).unwrap();
        assert_eq!(out[0].payload, b"1");
    }
}
