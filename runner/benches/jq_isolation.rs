//! What the bounded evaluator child (`function::isolated`) costs per message
//! against evaluating the same jq program in the runner's own process: a
//! batch of 100 JSON messages of about 100 bytes, as the runner hands them
//! over (`maxBatchSize` 100), through the program the end-to-end chain uses.
//! And what `$config` costs: the same filter reading its threshold from the
//! function's config against one with the threshold written in the program.
//! `cargo bench -p fmc-runner --bench jq_isolation`; figures in BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fmc_runner::function::isolated::{Bounds, Evaluator};
use fmc_runner::function::{Context, Evaluation, Jq, Record, UserFunction};
use std::time::Duration;

const PROGRAM: &str = "{id: .id, v: .v, n: (.v | length)}";
const BATCH: usize = 100;

fn batch() -> Vec<Record> {
    (0..BATCH)
        .map(|i| Record {
            payload: format!(r#"{{"id":{i},"v":"msg-{i}-{}"}}"#, "x".repeat(70)).into_bytes(),
            ..Record::default()
        })
        .collect()
}

fn jq_isolation(c: &mut Criterion) {
    let inputs = batch();
    let mut group = c.benchmark_group("jq-batch-100");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut inline = Jq::compile(PROGRAM).expect("compiles");
    group.bench_function("inline (isolation: none)", |b| b.iter(|| inline.process_batch(&inputs)));
    let bounds = Bounds { max_memory: 256 << 20, per_message: Some(Duration::from_secs(10)) };
    let executable = env!("CARGO_BIN_EXE_fmc-runner").into();
    let mut child = Evaluation::isolated(
        Evaluator::start(executable, PROGRAM, &Default::default(), bounds).expect("the evaluator starts"),
    );
    group
        .bench_function("child process (isolation: process, the default)", |b| b.iter(|| child.process_batch(&inputs)));
    group.finish();
}

/// A small config, as a team's would be: a threshold, a label, a list.
fn context() -> Context {
    let config = serde_json::json!({"min": 10, "label": "big", "regions": ["eu", "us"], "limits": {"max": 1000}});
    Context::new(config, [("API_KEY".to_string(), "k".repeat(32))].into())
}

fn jq_config(c: &mut Criterion) {
    let inputs = batch();
    let mut group = c.benchmark_group("jq-config-batch-100");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut literal = Jq::compile("select(.id >= 10) | {id, label: \"big\"}").expect("compiles");
    group.bench_function("threshold in the program", |b| b.iter(|| literal.process_batch(&inputs)));
    // The plumbing alone: the same program, with a config and secrets it does not read.
    let mut unused = Jq::compile_in("select(.id >= 10) | {id, label: \"big\"}", &context()).expect("compiles");
    group.bench_function("threshold in the program, config given", |b| b.iter(|| unused.process_batch(&inputs)));
    let mut configured =
        Jq::compile_in("select(.id >= $config.min) | {id, label: $config.label}", &context()).expect("compiles");
    group.bench_function("threshold from $config", |b| b.iter(|| configured.process_batch(&inputs)));
    group.finish();
}

criterion_group!(benches, jq_isolation, jq_config);
criterion_main!(benches);
