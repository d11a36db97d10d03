//! End-to-end: the runner binary against a broker, configured as `fmc build`
//! configures it. Most tests run twice (`on_both_brokers!`): on a pulsar-lite
//! of their own (through the checksum relay) and on the Apache Pulsar
//! standalone (`scripts/pulsar-standalone.sh`), where each names its topics
//! with a suffix of its own.

mod support;

use pulsar::{Pulsar, TokioExecutor};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use support::*;

fn config(name: &str, inputs: &[&str], output: Option<&str>, function: Value) -> Value {
    json!({
        "tenant": "public", "namespace": "default", "name": name,
        "serviceUrl": "", "inputs": inputs, "output": output,
        "subscriptionPosition": "earliest", "function": function,
    })
}

fn ids(payloads: &[Vec<u8>], field: &str) -> BTreeSet<u64> {
    payloads.iter().filter_map(|p| id(p, field)).collect()
}

fn id(payload: &[u8], field: &str) -> Option<u64> {
    serde_json::from_slice::<Value>(payload).ok()?.get(field)?.as_u64()
}

/// A `collect` condition: true once `n` distinct ids have been seen.
fn distinct(n: u64, field: &'static str) -> impl FnMut(&[u8]) -> bool {
    let mut seen = BTreeSet::new();
    move |p| {
        if let Some(i) = id(p, field) {
            seen.insert(i);
        }
        seen.len() as u64 >= n
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wasm_then_jq_chain_processes_100_000_messages() {
    let Some(bin) = pulsar_lite() else { return };
    let cluster = Cluster::start(&bin).await;
    let (input, mid, output) = (topic("chain-in"), topic("chain-mid"), topic("chain-out"));
    let upper = Runner::start(
        &cluster.url(),
        config("upper", &[input.as_str()], Some(&mid), json!({"wasm": {"path": upper_wat()}})),
    );
    let jq = json!({"jq": {"program": "{id: .ID, v: .V, n: (.V | length)}"}});
    let enrich = Runner::start(&cluster.url(), config("enrich", &[mid.as_str()], Some(&output), jq));
    upper.wait_ready(Duration::from_secs(20));
    enrich.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    const N: u64 = 100_000;
    let started = Instant::now();
    produce(&client, &input, (0..N).map(|i| format!(r#"{{"id":{i},"v":"msg-{i}"}}"#).into_bytes())).await;
    let got = collect(&mut out, Duration::from_secs(300), distinct(N, "id")).await;
    let unique = ids(&got, "id");
    assert_eq!(unique.len() as u64, N, "lost {} messages", N - unique.len() as u64);
    for p in &got {
        let v: Value = serde_json::from_slice(p).expect("JSON output");
        let id = v["id"].as_u64().expect("id");
        assert_eq!(v["v"], format!("MSG-{id}"), "{v}");
        assert_eq!(v["n"], format!("MSG-{id}").len(), "{v}");
    }
    eprintln!("chain: {N} messages end to end in {:.1} s", started.elapsed().as_secs_f64());
    assert!(upper.metric("processed_successfully_total") >= N);
    assert!(cluster.relay.checksummed.load(std::sync::atomic::Ordering::Relaxed) > 0, "the relay restored checksums");
}

on_both_brokers!(poison_messages_reach_the_dead_letter_topic_while_the_rest_flows);
async fn poison_messages_reach_the_dead_letter_topic_while_the_rest_flows(cluster: Bed) {
    let (input, output, dlq) = (cluster.topic("p-in"), cluster.topic("p-out"), cluster.topic("p-dlq"));
    let mut c = config("parse", &[input.as_str()], Some(&output), json!({"jq": {"program": "{id: .id}"}}));
    c["maxRetries"] = 2.into();
    c["deadLetterTopic"] = dlq.clone().into();
    c["retryBackoffMs"] = 50.into();
    let runner = Runner::start(&cluster.url(), c);
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    let mut dead = subscribe(&client, &dlq, "check").await;
    let payloads: Vec<Vec<u8>> = (0..500u64)
        .map(
            |i| if i % 100 == 7 { format!("poison {i}").into_bytes() } else { format!(r#"{{"id":{i}}}"#).into_bytes() },
        )
        .collect();
    produce(&client, &input, payloads).await;
    let good = collect(&mut out, Duration::from_secs(60), distinct(495, "id")).await;
    assert_eq!(ids(&good, "id").len(), 495);
    let mut distinct_poison = BTreeSet::new();
    let poison = collect(&mut dead, Duration::from_secs(60), |p| {
        distinct_poison.insert(p.to_vec());
        distinct_poison.len() >= 5
    })
    .await;
    let poison: BTreeSet<String> = poison.iter().map(|p| String::from_utf8_lossy(p).to_string()).collect();
    assert_eq!(poison, (0..5).map(|k| format!("poison {}", k * 100 + 7)).collect::<BTreeSet<_>>());
    assert!(runner.metric("user_exceptions_total") >= 15, "each poison message failed 1 + maxRetries times");
}

on_both_brokers!(a_batch_with_one_poison_message_is_not_acknowledged_by_its_good_messages);
async fn a_batch_with_one_poison_message_is_not_acknowledged_by_its_good_messages(cluster: Bed) {
    let (input, output, dlq) = (cluster.topic("b-in"), cluster.topic("b-out"), cluster.topic("b-dlq"));
    let mut c = config("batched", &[input.as_str()], Some(&output), json!({"jq": {"program": "{id: .id}"}}));
    c["maxRetries"] = 1.into();
    c["deadLetterTopic"] = dlq.clone().into();
    c["retryBackoffMs"] = 20.into();
    let runner = Runner::start(&cluster.url(), c);
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    let mut dead = subscribe(&client, &dlq, "check").await;
    // Batches of 10, one poison message in every tenth batch: the good
    // messages of a batch succeed first and must not acknowledge the entry.
    let payloads = (0..1000u64).map(|i| {
        if i % 100 == 7 { format!("poison {i}").into_bytes() } else { format!(r#"{{"id":{i}}}"#).into_bytes() }
    });
    produce_batched(&client, &input, 10, payloads).await;
    let good = collect(&mut out, Duration::from_secs(60), distinct(990, "id")).await;
    assert_eq!(ids(&good, "id").len(), 990, "{}", runner.log());
    let mut letters = BTreeSet::new();
    collect(&mut dead, Duration::from_secs(60), |p| {
        letters.insert(String::from_utf8_lossy(p).to_string());
        letters.len() >= 10
    })
    .await;
    let want: BTreeSet<String> = (0..10).map(|k| format!("poison {}", k * 100 + 7)).collect();
    assert_eq!(letters, want, "only the poison messages are dead-lettered\n{}", runner.log());
    assert!(runner.metric("received_total") > 1000, "poisoned batches were delivered again");
}

on_both_brokers!(a_route_function_sends_each_message_to_the_topic_its_program_names);
async fn a_route_function_sends_each_message_to_the_topic_its_program_names(cluster: Bed) {
    let (input, de, rest) = (cluster.topic("rt-in"), cluster.topic("rt-de"), cluster.topic("rt-rest"));
    let route = json!({"route": {
        "program": r#"if .country == "DE" then "de" elif .country == "??" then null else "rest" end"#,
        "topics": {"de": de, "rest": rest},
    }});
    let runner = Runner::start(&cluster.url(), config("router", &[input.as_str()], None, route));
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut to_de = subscribe(&client, &de, "check").await;
    let mut to_rest = subscribe(&client, &rest, "check").await;
    let country = |i: u64| ["DE", "FR", "??"][(i % 3) as usize];
    produce(&client, &input, (0..300u64).map(|i| format!(r#"{{"id":{i},"country":"{}"}}"#, country(i)).into_bytes()))
        .await;
    let got_de = ids(&collect(&mut to_de, Duration::from_secs(30), distinct(100, "id")).await, "id");
    let got_rest = ids(&collect(&mut to_rest, Duration::from_secs(30), distinct(100, "id")).await, "id");
    assert_eq!(got_de, (0..300).filter(|i| i % 3 == 0).collect::<BTreeSet<_>>());
    assert_eq!(got_rest, (0..300).filter(|i| i % 3 == 1).collect::<BTreeSet<_>>());
    // Receipts may be counted a moment after the consumer saw the outputs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while runner.metric("processed_successfully_total") < 300 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(runner.metric("processed_successfully_total"), 300, "dropped messages count as processed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_zero_and_readiness_follows_the_connection() {
    let Some(bin) = pulsar_lite() else { return };
    // No broker behind the URL yet: alive, not ready.
    let dead_end = format!("pulsar://127.0.0.1:{}", free_port());
    let lonely = Runner::start(&dead_end, config("lonely", &[topic("x").as_str()], None, json!({"identity": {}})));
    let start = Instant::now();
    while lonely.get("/healthz").is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "{}", lonely.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(lonely.get("/healthz").map(|r| r.0), Some(200));
    assert_eq!(lonely.get("/readyz").map(|r| r.0), Some(503));
    drop(lonely);

    let cluster = Cluster::start(&bin).await;
    let (input, output) = (topic("t-in"), topic("t-out"));
    let mut runner =
        Runner::start(&cluster.url(), config("term", &[input.as_str()], Some(&output), json!({"identity": {}})));
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    produce(&client, &input, (0..1000u32).map(|i| i.to_string().into_bytes())).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while runner.metric("processed_successfully_total") < 1000 {
        assert!(Instant::now() < deadline, "{}", runner.log());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    runner.signal("TERM");
    let status = loop {
        if let Some(s) = runner.child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline + Duration::from_secs(10), "no exit after SIGTERM");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status.code(), Some(0), "{}", runner.log());
    assert!(runner.log().contains("\"msg\":\"stopped\""), "{}", runner.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_restart_mid_stream_loses_nothing_and_the_runner_recovers() {
    let Some(bin) = pulsar_lite() else { return };
    let mut cluster = Cluster::start(&bin).await;
    let url = cluster.url();
    broker_crash_mid_stream_loses_nothing(&url, "r", || {
        cluster.broker.crash_and_restart(Duration::from_secs(1));
        cluster.relay.cut_all();
    })
    .await;
}

/// Apache Pulsar killed with `kill -9` (broker, bookie and metadata store:
/// one process) mid-stream and started again on its data: the runner
/// reconnects and every message comes out, at least once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apache_pulsar_killed_mid_stream_loses_nothing_and_the_runner_recovers() {
    let Some(pulsar) = OwnPulsar::start() else { return };
    broker_crash_mid_stream_loses_nothing(&pulsar.url, "crash", || pulsar.crash_and_restart()).await;
}

/// One runner drains a backlog of 20,000 messages from the broker at `url`;
/// a quarter of the way in, `crash` kills the broker and starts it again.
/// Every message comes out, and the same runner process is ready again.
async fn broker_crash_mid_stream_loses_nothing(url: &str, prefix: &str, crash: impl FnOnce()) {
    let (input, output) = (topic(&format!("{prefix}-in")), topic(&format!("{prefix}-out")));
    let client = Pulsar::builder(url, TokioExecutor).build().await.expect("client connects");
    const N: u64 = 20_000;
    produce(&client, &input, (0..N).map(|i| format!(r#"{{"id":{i}}}"#).into_bytes())).await;
    drop(client);
    let runner = Runner::start(url, config("survivor", &[input.as_str()], Some(&output), json!({"identity": {}})));
    runner.wait_ready(Duration::from_secs(20));
    let deadline = Instant::now() + Duration::from_secs(60);
    while runner.metric("processed_successfully_total") < N / 4 {
        assert!(Instant::now() < deadline, "{}", runner.log());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    crash();
    let client = Pulsar::builder(url, TokioExecutor).build().await.expect("client connects");
    let mut out = subscribe(&client, &output, "check").await;
    let got = collect(&mut out, Duration::from_secs(120), distinct(N, "id")).await;
    assert_eq!(ids(&got, "id").len() as u64, N, "messages lost across the broker's crash\n{}", runner.log());
    assert!(runner.child.id() > 0);
    assert!(runner.get("/readyz").map(|r| r.0) == Some(200), "the same process recovered\n{}", runner.log());
}

on_both_brokers!(a_runner_killed_mid_stream_and_restarted_loses_nothing);
async fn a_runner_killed_mid_stream_and_restarted_loses_nothing(mut cluster: Bed) {
    let (input, output) = (cluster.topic("k-in"), cluster.topic("k-out"));
    const N: u64 = 20_000;
    let client = cluster.client().await;
    produce(&client, &input, (0..N).map(|i| format!(r#"{{"id":{i}}}"#).into_bytes())).await;
    let conf = config("phoenix", &[input.as_str()], Some(&output), json!({"identity": {}}));
    let first = Runner::start(&cluster.url(), conf.clone());
    first.wait_ready(Duration::from_secs(20));
    let deadline = Instant::now() + Duration::from_secs(60);
    while first.metric("processed_successfully_total") < N / 4 {
        assert!(Instant::now() < deadline, "{}", first.log());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.signal("KILL");
    drop(first);
    let second = Runner::start(&cluster.url(), conf);
    second.wait_ready(Duration::from_secs(20));
    let mut out = subscribe(&client, &output, "check").await;
    let mut seen = BTreeSet::new();
    for p in collect(&mut out, Duration::from_secs(30), distinct(N, "id")).await {
        seen.extend(id(&p, "id"));
    }
    if let Some(lite) = cluster.lite.as_mut().filter(|_| (seen.len() as u64) < N) {
        // pulsar-lite keeps a killed consumer's unacknowledged messages until it
        // restarts (runner-spike.md §3; Apache Pulsar redelivers them when the
        // connection drops, and gets no second chance here). Restart the
        // broker, as an operator would, and go on.
        drop(out);
        drop(client);
        lite.broker.crash_and_restart(Duration::from_millis(500));
        lite.relay.cut_all();
        let client = cluster.client().await;
        let mut out = subscribe(&client, &output, "check2").await;
        for p in collect(&mut out, Duration::from_secs(60), distinct(N, "id")).await {
            seen.extend(id(&p, "id"));
        }
    }
    assert_eq!(seen.len() as u64, N, "messages lost after kill -9\n{}", second.log());
}

on_both_brokers!(under_manual_only_what_the_module_acknowledges_is_acknowledged);
async fn under_manual_only_what_the_module_acknowledges_is_acknowledged(cluster: Bed) {
    let (input, output) = (cluster.topic("m-in"), cluster.topic("m-out"));
    let mut c = config("manual", &[input.as_str()], Some(&output), json!({"wasm": {"path": upper_wat()}}));
    c["processingGuarantee"] = "manual".into();
    c["ackTimeoutMs"] = 1000.into();
    let runner = Runner::start(&cluster.url(), c);
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    // The module acknowledges every input except those starting with `~`.
    produce(
        &client,
        &input,
        (0..20u32).map(|i| if i % 4 == 0 { format!("~hold-{i}") } else { format!("go-{i}") }.into_bytes()),
    )
    .await;
    let mut seen = BTreeSet::new();
    collect(&mut out, Duration::from_secs(30), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 20
    })
    .await;
    assert_eq!(seen.len(), 20, "every input produced its output");
    // The held inputs were never acknowledged: the ack timeout brings them back.
    let deadline = Instant::now() + Duration::from_secs(20);
    while runner.metric("received_total") < 25 {
        assert!(Instant::now() < deadline, "held inputs were not redelivered\n{}", runner.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runner.metric("user_exceptions_total"), 0);

    // A one-message (v1) module cannot acknowledge: MANUAL refuses to start.
    let mut v1 = config(
        "manual-v1",
        &[input.as_str()],
        Some(&output),
        json!({"wasm": {"path": project_root().join("engine/tests/fixtures/upper.wat")}}),
    );
    v1["processingGuarantee"] = "manual".into();
    let mut refused = Runner::start(&cluster.url(), v1);
    let status = loop {
        if let Some(s) = refused.child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline + Duration::from_secs(10), "MANUAL with a v1 module started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(status.code(), Some(2), "{}", refused.log());
}

on_both_brokers!(a_message_that_loops_or_exhausts_memory_is_retried_then_dead_lettered_in_place);
/// The default: jq in an evaluator child. A message that loops or allocates
/// without bound is a user error in place — retried, then dead-lettered — and
/// the runner never stops.
async fn a_message_that_loops_or_exhausts_memory_is_retried_then_dead_lettered_in_place(cluster: Bed) {
    let (input, output, dlq) = (cluster.topic("bound-in"), cluster.topic("bound-out"), cluster.topic("bound-dlq"));
    let program =
        "if .loop then (reduce range(1e15) as $i (0; . + 1)) elif .alloc then ([range(3e8)] | length) else . end";
    // 64 MiB: a debug runner with the wasmtime and python features maps more
    // than 32 MiB before its evaluator child is ready.
    let mut conf =
        config("bounded", &[input.as_str()], Some(&output), json!({"jq": {"program": program, "maxMemory": 64 << 20}}));
    conf["deadLetterTopic"] = dlq.clone().into();
    conf["maxRetries"] = 2.into();
    conf["retryBackoffMs"] = 20.into();
    // Long enough that the allocating message always meets maxMemory first,
    // even in a debug build on a loaded machine (at 300 ms it sometimes timed out).
    conf["maxProcessingMs"] = 2000.into();
    let mut runner = Runner::start(&cluster.url(), conf);
    runner.wait_ready(Duration::from_secs(20));
    const N: u64 = 60;
    let payload = |i: u64| match i {
        7 => format!(r#"{{"id":{i},"loop":true}}"#),
        31 => format!(r#"{{"id":{i},"alloc":true}}"#),
        _ => format!(r#"{{"id":{i}}}"#),
    };
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    let mut dead = subscribe(&client, &dlq, "check").await;
    produce(&client, &input, (0..N).map(|i| payload(i).into_bytes())).await;
    let seen = ids(&collect(&mut out, Duration::from_secs(60), distinct(N - 2, "id")).await, "id");
    let want: BTreeSet<u64> = (0..N).filter(|i| *i != 7 && *i != 31).collect();
    assert_eq!(seen, want, "every good message is processed\n{}", runner.log());
    let dead = ids(&collect(&mut dead, Duration::from_secs(60), distinct(2, "id")).await, "id");
    assert_eq!(dead, BTreeSet::from([7, 31]), "{}", runner.log());
    let log = runner.log();
    // 1 + maxRetries attempts each. The looping message always runs past the
    // deadline; the allocating one meets maxMemory, except that once set aside
    // (at the lowest CPU priority) on a machine busy elsewhere it may reach the
    // deadline first: either bound fails it in place.
    let (late, large) = (
        log.matches("ran past maxProcessingMs (2000 ms)").count(),
        log.matches("more than maxMemory (64 MiB)").count(),
    );
    assert_eq!(late + large, 6, "1 + maxRetries attempts each\n{log}");
    assert!(late >= 3 && large >= 1, "both bounds stopped a message\n{log}");
    assert!(runner.metric("user_exceptions_total") >= 6);
    // The counter `fmc dev` shows moves once the broker has confirmed each letter.
    let deadline = Instant::now() + Duration::from_secs(20);
    while runner.counter("fmc_runner_dead_lettered_total") < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(runner.counter("fmc_runner_dead_lettered_total"), 2, "{log}");
    assert!(runner.child.try_wait().expect("status").is_none(), "the runner never stopped\n{log}");
}

on_both_brokers!(spinning_messages_do_not_hold_good_ones_and_secrets_never_reach_a_log);
/// N10 and N11 against the broker. Messages that spin until `maxProcessingMs`
/// are set aside in their own evaluator children, so every good message sent
/// after them is processed *before* any of them is dead-lettered (with the
/// old design each spinning message held its batch for the whole bound). And
/// errors a program makes of a secret — `error`, arithmetic, interpolation,
/// `tostring` of an object — never show the value: not in the log, the
/// metrics or a dead-letter message.
async fn spinning_messages_do_not_hold_good_ones_and_secrets_never_reach_a_log(cluster: Bed) {
    let (input, output, dlq) = (cluster.topic("spin-in"), cluster.topic("spin-out"), cluster.topic("spin-dlq"));
    const SECRET: &str = "s1gn-\"k3y\\value";
    let program = r#"if .spin then last(range(1e12))
        elif .k == "error" then error($secrets.SIGNING_KEY)
        elif .k == "arith" then $secrets.SIGNING_KEY + .n
        elif .k == "interp" then error("key \($secrets.SIGNING_KEY)")
        elif .k == "object" then ({held: $secrets.SIGNING_KEY} | tostring | error)
        else . end"#;
    let mut conf = config("spin", &[input.as_str()], Some(&output), json!({"jq": {"program": program}}));
    conf["deadLetterTopic"] = dlq.clone().into();
    conf["maxRetries"] = 0.into();
    conf["retryBackoffMs"] = 20.into();
    conf["maxProcessingMs"] = 8000.into();
    conf["secrets"] = json!(["SIGNING_KEY"]);
    let mut runner = Runner::start_with_env(&cluster.url(), conf, &[("SIGNING_KEY", SECRET)]);
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    let mut dead = subscribe(&client, &dlq, "check").await;
    // 300 good messages with a spinning one among every 100, and four that
    // fail on the secret.
    let payload = |i: u64| match i {
        50 | 150 | 250 => format!(r#"{{"id":{i},"spin":true}}"#),
        300 => format!(r#"{{"id":{i},"k":"error"}}"#),
        301 => format!(r#"{{"id":{i},"k":"arith","n":1}}"#),
        302 => format!(r#"{{"id":{i},"k":"interp"}}"#),
        303 => format!(r#"{{"id":{i},"k":"object"}}"#),
        _ => format!(r#"{{"id":{i}}}"#),
    };
    produce(&client, &input, (0..304).map(|i| payload(i).into_bytes())).await;
    let good: BTreeSet<u64> = (0..300).filter(|i| ![50, 150, 250].contains(i)).collect();
    let seen = ids(&collect(&mut out, Duration::from_secs(60), distinct(good.len() as u64, "id")).await, "id");
    assert_eq!(seen, good, "{}", runner.log());
    let dead_so_far = runner.counter("fmc_runner_dead_lettered_total");
    let spun = runner.log().matches("ran past maxProcessingMs").count();
    assert_eq!(spun, 0, "every good message came before any spinning one reached its bound\n{}", runner.log());
    assert!(dead_so_far <= 4, "only the secret failures can be dead-lettered yet: {dead_so_far}");
    let letters = collect(&mut dead, Duration::from_secs(60), distinct(7, "id")).await;
    assert_eq!(ids(&letters, "id"), BTreeSet::from([50, 150, 250, 300, 301, 302, 303]), "{}", runner.log());
    let log = runner.log();
    assert_eq!(log.matches("ran past maxProcessingMs (8000 ms)").count(), 3, "{log}");
    assert!(log.contains("<redacted:SIGNING_KEY>"), "{log}");
    let metrics = runner.get("/metrics").map(|(_, body)| body).unwrap_or_default();
    for text in [&log, &metrics] {
        assert!(!text.contains("s1gn") && !text.contains("k3y"), "a secret value leaked:\n{text}");
    }
    assert!(runner.child.try_wait().expect("status").is_none(), "the runner never stopped\n{log}");
}

on_both_brokers!(a_message_that_stops_the_runner_is_dead_lettered_after_the_restart_and_nothing_good_is);
async fn a_message_that_stops_the_runner_is_dead_lettered_after_the_restart_and_nothing_good_is(cluster: Bed) {
    // Message 7 makes the program loop: the watchdog ends the process.
    let program = "if .poison then (reduce range(1e15) as $i (0; . + 1)) else . end";
    let exited = |runner: &Runner, status: std::process::ExitStatus| {
        assert_eq!(status.code(), Some(70), "{}", runner.log());
        assert!(runner.log().contains("maxProcessingMs"), "{}", runner.log());
    };
    crash_until_recognised(cluster, "phoenix-loop", json!({"function": jq_inline(program)}), None, exited).await;
}

on_both_brokers!(a_runner_killed_for_memory_is_restarted_and_only_the_message_that_did_it_is_dead_lettered);
/// The kubelet's out-of-memory kill, played by the test: SIGKILL once the
/// runner's resident memory passes 300 MiB, as a pod memory limit would.
async fn a_runner_killed_for_memory_is_restarted_and_only_the_message_that_did_it_is_dead_lettered(cluster: Bed) {
    let program = "if .poison then ([range(3e8)] | length) else . end";
    let exited = |runner: &Runner, status: std::process::ExitStatus| {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by the stand-in OOM killer\n{}", runner.log());
    };
    crash_until_recognised(cluster, "phoenix-oom", json!({"function": jq_inline(program)}), Some(300 << 20), exited)
        .await;
}

on_both_brokers!(jq_and_route_programs_work_on_avro_values_and_write_avro);
/// A jq program on an AVRO topic: each message decoded with the writers'
/// schema, resolved to the function's own (a renamed field, a default), the
/// result encoded with the output's AVRO schema; a route on the same topic
/// forwards the Avro bytes unchanged. Before typed payloads every one of these
/// messages was "not JSON" and went to the dead-letter topic.
async fn jq_and_route_programs_work_on_avro_values_and_write_avro(cluster: Bed) {
    use fmc_runner::validate::PayloadSchema;
    let (input, output, routed, dlq) =
        (cluster.topic("av-in"), cluster.topic("av-out"), cluster.topic("av-big"), cluster.topic("av-dlq"));
    let writer = json!({"format": "avro", "root": {"record": [
        {"name": "id", "type": "long"}, {"name": "cents", "type": "long"}]}});
    let reader = json!({"format": "avro", "root": {"record": [
        {"name": "id", "type": "long"},
        {"name": "amount", "type": "long", "aliases": ["cents"]},
        {"name": "currency", "type": "string", "optional": true, "default": "EUR"}]}});
    let written = json!({"format": "avro", "root": {"record": [
        {"name": "id", "type": "long"}, {"name": "label", "type": "string"}]}});
    let program = r#"{id, label: "\(.amount) \(.currency)"}"#;
    let mut jq = config("label", &[input.as_str()], Some(&output), json!({"jq": {"program": program}}));
    jq["inputSchemas"] = json!({&input: writer});
    jq["readerSchemas"] = json!({&input: reader});
    jq["outputSchemas"] = json!({&output: written});
    jq["deadLetterTopic"] = dlq.clone().into();
    let route = json!({"route": {"program": r#"if .cents > 100 then "big" else null end"#, "topics": {"big": routed}}});
    let mut router = config("big", &[input.as_str()], None, route);
    router["inputSchemas"] = json!({&input: writer});
    let runners = [Runner::start(&cluster.url(), jq), Runner::start(&cluster.url(), router)];
    runners.iter().for_each(|r| r.wait_ready(Duration::from_secs(20)));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    let mut big = subscribe(&client, &routed, "check").await;
    let w: PayloadSchema = serde_json::from_value(writer).unwrap();
    let sent: Vec<Vec<u8>> = (0..200i64).map(|i| w.encode(&json!({"id": i, "cents": i * 2})).unwrap()).collect();
    produce(&client, &input, sent.clone()).await;
    let o: PayloadSchema = serde_json::from_value(written).unwrap();
    let mut seen = BTreeSet::new();
    let got = collect(&mut out, Duration::from_secs(30), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 200
    })
    .await;
    let values: BTreeSet<String> = got.iter().map(|p| o.decode(p).unwrap().to_string()).collect();
    let want: BTreeSet<String> =
        (0..200i64).map(|i| json!({"id": i, "label": format!("{} EUR", i * 2)}).to_string()).collect();
    assert_eq!(values, want);
    let mut seen = BTreeSet::new();
    let forwarded = collect(&mut big, Duration::from_secs(30), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 149
    })
    .await;
    let forwarded: BTreeSet<Vec<u8>> = forwarded.into_iter().collect();
    assert_eq!(forwarded, sent[51..].iter().cloned().collect(), "the route forwards the Avro bytes as written");
    assert_eq!(runners[0].metric("user_exceptions_total"), 0, "{}", runners[0].log());
}

/// A jq program in the runner's own process (no evaluator child): what stops
/// it stops the runner.
fn jq_inline(program: &str) -> Value {
    json!({"jq": {"program": program, "isolation": "none"}})
}

const ORDER: &str =
    r#"{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"cents","type":"long"}]}"#;
const LABEL: &str =
    r#"{"type":"record","name":"Label","fields":[{"name":"id","type":"long"},{"name":"label","type":"string"}]}"#;

/// An AVRO schema as the admin API takes it and as `declaredSchemas` carries it.
fn avro_info(definition: &str) -> Value {
    json!({"type": "AVRO", "schema": definition, "properties": {}})
}

/// The same schema as a client declares it on the wire.
fn avro_wire(definition: &str) -> pulsar::message::proto::Schema {
    pulsar::message::proto::Schema {
        name: "test".into(),
        schema_data: definition.as_bytes().to_vec(),
        r#type: pulsar::message::proto::schema::Type::Avro as i32,
        properties: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
/// A namespace that enforces schemas (`schemaValidationEnforced`), its topics
/// with AVRO schemas: Apache Pulsar refuses a runner that declares none (as
/// the runner did before `declaredSchemas`), and accepts the one whose
/// configuration declares the topics' schemas as `fmc build` renders them;
/// the output is what its schema says, and the runner's declarations add no
/// schema version. pulsar-lite has no schema registry: Apache Pulsar only.
async fn apache_pulsar_enforcing_schemas_refuses_an_undeclared_runner_and_accepts_a_declared_one() {
    use fmc_runner::validate::PayloadSchema;
    let Some(bed) = Bed::apache().await else { return };
    let admin = bed.admin.clone().expect("Apache Pulsar has an admin API");
    let ns = bed.unique("enforced");
    admin_ok(&admin, "PUT", &format!("/admin/v2/namespaces/public/{ns}"), None);
    admin_ok(&admin, "POST", &format!("/admin/v2/namespaces/public/{ns}/schemaValidationEnforced"), Some("true"));
    let (input, output) = (format!("persistent://public/{ns}/orders"), format!("persistent://public/{ns}/labels"));
    for (topic, definition) in [("orders", ORDER), ("labels", LABEL)] {
        let path = format!("/admin/v2/schemas/public/{ns}/{topic}/schema");
        admin_ok(&admin, "POST", &path, Some(&avro_info(definition).to_string()));
    }
    let writer = json!({"format": "avro", "root": {"record": [
        {"name": "id", "type": "long"}, {"name": "cents", "type": "long"}]}});
    let written = json!({"format": "avro", "root": {"record": [
        {"name": "id", "type": "long"}, {"name": "label", "type": "string"}]}});
    let mut undeclared = config(
        "labeller",
        &[input.as_str()],
        Some(&output),
        json!({"jq": {"program": r#"{id, label: "\(.cents)c"}"#}}),
    );
    undeclared["inputSchemas"] = json!({&input: writer});
    undeclared["outputSchemas"] = json!({&output: written});
    let mut refused = Runner::start(&bed.url(), undeclared.clone());
    let status = refused.wait_exit(Duration::from_secs(60));
    assert_ne!(status, Some(0), "the broker refuses a producer without a schema:\n{}", refused.log());
    let log = refused.log();
    assert!(log.contains("cannot produce to") && log.contains("IncompatibleSchema"), "{log}");

    let mut declared = undeclared;
    declared["declaredSchemas"] = json!({&input: avro_info(ORDER), &output: avro_info(LABEL)});
    let runner = Runner::start(&bed.url(), declared);
    runner.wait_ready(Duration::from_secs(30));
    let client = bed.client().await;
    let mut out = subscribe_as(&client, &output, "check", Some(avro_wire(LABEL))).await;
    let w: PayloadSchema = serde_json::from_value(writer).unwrap();
    let sent = (0..50i64).map(|i| w.encode(&json!({"id": i, "cents": i * 3})).unwrap());
    produce_as(&client, &input, Some(avro_wire(ORDER)), sent).await;
    let o: PayloadSchema = serde_json::from_value(written).unwrap();
    let mut seen = BTreeSet::new();
    let got = collect(&mut out, Duration::from_secs(30), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 50
    })
    .await;
    let values: BTreeSet<String> = got.iter().map(|p| o.decode(p).unwrap().to_string()).collect();
    let want: BTreeSet<String> =
        (0..50i64).map(|i| json!({"id": i, "label": format!("{}c", i * 3)}).to_string()).collect();
    assert_eq!(values, want, "{}", runner.log());
    for topic in ["orders", "labels"] {
        let latest = admin_ok(&admin, "GET", &format!("/admin/v2/schemas/public/{ns}/{topic}/schema"), None);
        let latest: Value = serde_json::from_str(&latest).expect("JSON");
        assert_eq!(latest["version"], 0, "{topic}: the runner declared the schema already there: {latest}");
    }
}
