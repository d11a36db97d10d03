//! C009 input and output topics, log and dead-letter topics, C013 crypto configs.

use super::Ctx;
use crate::diagnostics::Diagnostic;
use crate::model::ComponentKind;
use crate::model::common::{CryptoConfig, InputConf};
use crate::names::topic_problem;

fn bad_topic(ctx: &Ctx, path: &[&str], topic: &str, problem: &str) -> Diagnostic {
    Diagnostic::error("C009", ctx.span(path), format!("invalid topic name `{topic}`: {problem}"))
        .label("not a Pulsar topic")
        .help("write topics as persistent://tenant/namespace/topic")
}

/// Every input topic a spec names, with the path (relative to the spec) where
/// it is named: `input.topics`, then the keys of `customSerdeSources`,
/// `customSchemaSources` and `sourceSpecs`. A topic may appear more than once.
pub fn input_topics(input: &InputConf) -> Vec<(Vec<String>, String)> {
    let mut inputs: Vec<(Vec<String>, String)> = Vec::new();
    for (i, t) in input.topics.iter().flatten().enumerate() {
        inputs.push((vec!["input".into(), "topics".into(), i.to_string()], t.clone()));
    }
    for map_name in ["customSerdeSources", "customSchemaSources", "sourceSpecs"] {
        let keys: Vec<String> = match map_name {
            "customSerdeSources" => input.custom_serde_sources.iter().flatten().map(|(k, _)| k.clone()).collect(),
            "customSchemaSources" => input.custom_schema_sources.iter().flatten().map(|(k, _)| k.clone()).collect(),
            _ => input.source_specs.iter().flatten().map(|(k, _)| k.clone()).collect(),
        };
        for k in keys {
            inputs.push((vec!["input".into(), map_name.into(), k.clone()], k));
        }
    }
    inputs
}

pub fn check(ctx: &Ctx) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let s = &ctx.comp.spec;
    let kind = ctx.comp.kind;
    let input = s.input.clone().unwrap_or_default();
    let inputs = input_topics(&input);
    let has_pattern = input.topic_pattern.as_deref().is_some_and(|p| !p.is_empty());
    let consumes = kind != ComponentKind::Source;
    let connector_input = kind == ComponentKind::Function && s.source_config.is_some();
    if consumes && inputs.is_empty() && !has_pattern && !connector_input {
        out.push(
            Diagnostic::error(
                "C009",
                // At `input`, or at the `spec` key when there is none (not over the whole body).
                if ctx.comp.io.is_none() && !ctx.comp.origin.written(ctx.docs, &["input"]) {
                    ctx.key(&[])
                } else {
                    ctx.key(&["input"])
                },
                format!("the {} has no input topic", kind.kind().to_lowercase()),
            )
            .label("nothing to consume")
            .help("set `input.topics` or `input.topicPattern`"),
        );
    }
    for (path, topic) in &inputs {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        if let Some(problem) = topic_problem(topic) {
            out.push(bad_topic(ctx, &p, topic, &problem));
        }
    }
    if let Some(out_topic) = s.output.as_ref().and_then(|o| o.topic.as_deref()).filter(|t| !t.is_empty()) {
        if let Some(problem) = topic_problem(out_topic) {
            out.push(bad_topic(ctx, &["output", "topic"], out_topic, &problem));
        } else if kind == ComponentKind::Function && inputs.iter().any(|(_, t)| t == out_topic) {
            out.push(
                Diagnostic::error(
                    "C009",
                    ctx.span(&["output", "topic"]),
                    format!("the function writes to its own input topic `{out_topic}`"),
                )
                .label("output topic is also an input")
                .help("use a different output topic; a function reading its own output loops forever"),
            );
        }
    }
    for field in ["logTopic", "deadLetterTopic"] {
        let value = if field == "logTopic" { &s.log_topic } else { &s.dead_letter_topic };
        if let Some(t) = value.as_deref().filter(|t| !t.is_empty())
            && let Some(problem) = topic_problem(t)
        {
            out.push(bad_topic(ctx, &[field], t, &problem));
        }
    }
    crypto(ctx, &mut out);
    out
}

fn crypto(ctx: &Ctx, out: &mut Vec<Diagnostic>) {
    let s = &ctx.comp.spec;
    let producer = s.output.as_ref().and_then(|o| o.producer_conf.as_ref()).and_then(|p| p.crypto_config.as_ref());
    if let Some(c) = producer {
        let path = ["output", "producerConf", "cryptoConfig"];
        crypto_reader(ctx, c, &path, out);
        if c.encryption_keys.as_ref().is_none_or(|k| k.is_empty()) {
            out.push(
                Diagnostic::error(
                    "C013",
                    ctx.key(&path),
                    "producer encryption needs at least one key in `encryptionKeys`",
                )
                .label("no encryption key")
                .help("list the key names in `encryptionKeys`"),
            );
        }
    }
    for (topic, spec) in s.input.as_ref().and_then(|i| i.source_specs.as_ref()).into_iter().flatten() {
        if let Some(c) = &spec.crypto_config {
            crypto_reader(ctx, c, &["input", "sourceSpecs", topic, "cryptoConfig"], out);
        }
    }
}

fn crypto_reader(ctx: &Ctx, c: &CryptoConfig, path: &[&str], out: &mut Vec<Diagnostic>) {
    if c.crypto_key_reader_class_name.as_deref().is_none_or(str::is_empty) {
        out.push(
            Diagnostic::error("C013", ctx.key(path), "crypto configuration without `cryptoKeyReaderClassName`")
                .label("no key reader")
                .help("set `cryptoKeyReaderClassName`, e.g. org.apache.pulsar.functions.utils.crypto.RawFileKeyReader"),
        );
    }
}
