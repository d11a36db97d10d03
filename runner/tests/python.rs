//! Python functions in the runner (feature `python`) against a broker — each
//! test on pulsar-lite and on Apache Pulsar: the functions of the engine's own
//! tests (python/tests/functions/), unchanged, under the runner's loop —
//! outputs, publishes, the log topic, retries and the dead-letter topic.
#![cfg(feature = "python")]

mod support;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;
use support::*;

fn python(name: &str, class_name: &str, file: &str, inputs: &[&str], output: Option<&str>) -> Value {
    let path = project_root().join("python/tests/functions").join(file);
    json!({
        "tenant": "public", "namespace": "default", "name": name,
        "serviceUrl": "", "inputs": inputs, "output": output,
        "subscriptionPosition": "earliest",
        "function": {"python": {"className": class_name, "path": path.display().to_string()}},
    })
}

fn texts(payloads: &[Vec<u8>]) -> BTreeSet<String> {
    payloads.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect()
}

on_both_brokers!(the_exclamation_function_runs_unchanged_and_every_message_flows);
async fn the_exclamation_function_runs_unchanged_and_every_message_flows(cluster: Bed) {
    let (input, output) = (cluster.topic("py-in"), cluster.topic("py-out"));
    let config = python("exclaim", "exclamation.ExclamationFunction", "exclamation.py", &[&input], Some(&output));
    let runner = Runner::start(&cluster.url(), config);
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    produce(&client, &input, (0..1000).map(|i| format!("m{i}").into_bytes())).await;
    let mut seen = BTreeSet::new();
    let got = collect(&mut out, Duration::from_secs(60), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 1000
    })
    .await;
    assert_eq!(texts(&got), (0..1000).map(|i| format!("m{i}!")).collect::<BTreeSet<_>>(), "{}", runner.log());
    assert_eq!(runner.metric("user_exceptions_total"), 0, "{}", runner.log());
}

on_both_brokers!(batched_writes_arrive_whole_with_each_message_s_properties);
/// `outputBatching`: the output and `publish` topics get entries of several
/// messages, every message arrives once, and what the function gave each one
/// (its properties) survives the batch.
async fn batched_writes_arrive_whole_with_each_message_s_properties(cluster: Bed) {
    use futures::StreamExt;
    let topics: Vec<String> = ["pyb-in", "pyb-out", "pyb-audit"].iter().map(|t| cluster.topic(t)).collect();
    let batching = json!({"maxMessages": 50, "maxDelayMs": 20});
    let mut exclaim =
        python("exclaim", "exclamation.ExclamationFunction", "exclamation.py", &[&topics[0]], Some(&topics[1]));
    exclaim["outputBatching"] = batching.clone();
    let mut auditor = python("audit", "logging_publish.Audit", "logging_publish.py", &[&topics[0]], None);
    auditor["userConfig"] = json!({"audit": topics[2]});
    auditor["outputBatching"] = batching;
    let runners = [Runner::start(&cluster.url(), exclaim), Runner::start(&cluster.url(), auditor)];
    runners.iter().for_each(|r| r.wait_ready(Duration::from_secs(20)));
    let client = cluster.client().await;
    let mut outs = [subscribe(&client, &topics[1], "check").await, subscribe(&client, &topics[2], "check").await];
    produce(&client, &topics[0], (0..500).map(|i| format!("m{i}").into_bytes())).await;
    let mut batched = 0;
    for (out, (prefix, suffix)) in outs.iter_mut().zip([("", "!"), ("seen ", "")]) {
        let mut seen = BTreeSet::new();
        while seen.len() < 500 {
            let msg = tokio::time::timeout(Duration::from_secs(60), out.next()).await;
            let msg = msg.expect("every output in time").expect("a message").expect("no error");
            let _ = out.ack(&msg).await;
            batched += usize::from(msg.message_id.id.batch_index.is_some_and(|i| i > 0));
            if prefix == "seen " {
                let by = msg.payload.metadata.properties.iter().find(|kv| kv.key == "by").map(|kv| kv.value.as_str());
                assert_eq!(by, Some("audit"), "the property given to publish, on every message of a batch");
            }
            seen.insert(String::from_utf8(msg.payload.data).expect("text"));
        }
        let want: BTreeSet<String> = (0..500).map(|i| format!("{prefix}m{i}{suffix}")).collect();
        assert_eq!(seen, want, "{}\n{}", runners[0].log(), runners[1].log());
    }
    assert!(batched > 0, "some outputs shared an entry with an earlier one");
}

on_both_brokers!(config_secrets_a_custom_serde_and_typed_avro_records_run_unchanged);
/// The rest of the API areas, each function unchanged under the runner: user
/// config and a secret (from the environment, as `secretKeyRef` gives it;
/// never in a log line), a custom SerDe on both ends, and an Avro input read
/// as a `Record` with a JSON output written from one.
async fn config_secrets_a_custom_serde_and_typed_avro_records_run_unchanged(cluster: Bed) {
    let topics: Vec<String> = ["cfg-in", "cfg-out", "serde-in", "serde-out", "typed-in", "typed-out"]
        .iter()
        .map(|t| cluster.topic(t))
        .collect();
    let mut append =
        python("append", "config_append.ConfigAppend", "config_append.py", &[&topics[0]], Some(&topics[1]));
    append["userConfig"] = json!({"suffix": "!!"});
    append["secrets"] = json!(["API_TOKEN"]);
    let mut mirror = python("mirror", "custom_serde.Mirror", "custom_serde.py", &[&topics[2]], Some(&topics[3]));
    mirror["function"]["python"]["inputSerde"] = json!({&topics[2]: "custom_serde.PointSerDe"});
    mirror["function"]["python"]["outputSerde"] = "custom_serde.PointSerDe".into();
    let mut price = python("price", "typed.Price", "typed.py", &[&topics[4]], Some(&topics[5]));
    price["function"]["python"]["inputSchemaTypes"] = json!({&topics[4]: "AVRO"});
    price["function"]["python"]["inputTypeClasses"] = json!({&topics[4]: "typed.Payment"});
    price["function"]["python"]["outputSchemaType"] = "JSON".into();
    price["function"]["python"]["outputTypeClass"] = "typed.Priced".into();
    let runners = [
        Runner::start_with_env(&cluster.url(), append, &[("API_TOKEN", "s3cr3t-value")]),
        Runner::start(&cluster.url(), mirror),
        Runner::start(&cluster.url(), price),
    ];
    runners.iter().for_each(|r| r.wait_ready(Duration::from_secs(20)));
    let client = cluster.client().await;
    let mut outs = Vec::new();
    for t in [&topics[1], &topics[3], &topics[5]] {
        outs.push(subscribe(&client, t, "check").await);
    }
    produce(&client, &topics[0], [b"hi".to_vec(), b"log".to_vec()]).await;
    produce(&client, &topics[2], [b"1,2".to_vec()]).await;
    // Avro binary of {id: "p1", cents: 250}: string "p1", long 250.
    produce(&client, &topics[4], [[vec![4, b'p', b'1'], vec![0xf4, 0x03]].concat()]).await;
    let mut seen = BTreeSet::new();
    let appended = collect(&mut outs[0], Duration::from_secs(30), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 2
    })
    .await;
    assert_eq!(texts(&appended), BTreeSet::from(["hi!! (12)".to_string(), "log!! (12)".to_string()]));
    assert!(runners[0].log().contains("using token <redacted:API_TOKEN>"), "{}", runners[0].log());
    assert!(!runners[0].log().contains("s3cr3t-value"), "{}", runners[0].log());
    let mirrored = collect(&mut outs[1], Duration::from_secs(30), |_| true).await;
    assert_eq!(texts(&mirrored), BTreeSet::from(["2,1".to_string()]), "{}", runners[1].log());
    let priced = collect(&mut outs[2], Duration::from_secs(30), |_| true).await;
    assert_eq!(texts(&priced), BTreeSet::from([r#"{"id":"p1","euros":2.5}"#.to_string()]), "{}", runners[2].log());
}

on_both_brokers!(a_user_exception_is_retried_then_dead_lettered_and_publishes_and_logs_reach_their_topics);
async fn a_user_exception_is_retried_then_dead_lettered_and_publishes_and_logs_reach_their_topics(cluster: Bed) {
    let (input, output, dlq) = (cluster.topic("pyf-in"), cluster.topic("pyf-out"), cluster.topic("pyf-dlq"));
    let mut fails = python("fails", "fails.Fails", "fails.py", &[&input], Some(&output));
    fails["maxRetries"] = 2.into();
    fails["deadLetterTopic"] = dlq.clone().into();
    fails["retryBackoffMs"] = 20.into();
    let (audit, logs) = (cluster.topic("pyf-audit"), cluster.topic("pyf-logs"));
    let mut auditor = python("audit", "logging_publish.Audit", "logging_publish.py", &[&input], None);
    auditor["function"]["python"]["logTopic"] = logs.clone().into();
    auditor["userConfig"] = json!({"audit": audit});
    let runners = [Runner::start(&cluster.url(), fails), Runner::start(&cluster.url(), auditor)];
    runners.iter().for_each(|r| r.wait_ready(Duration::from_secs(20)));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    let mut dead = subscribe(&client, &dlq, "check").await;
    let mut published = subscribe(&client, &audit, "check").await;
    let mut logged = subscribe(&client, &logs, "check").await;
    let sent: Vec<String> = (0..50).map(|i| if i % 10 == 3 { "bad".to_string() } else { format!("ok{i}") }).collect();
    produce(&client, &input, sent.iter().map(|s| s.clone().into_bytes())).await;
    let good = collect(&mut out, Duration::from_secs(60), |_| true).await;
    let mut all_good = texts(&good);
    while all_good.len() < 45 {
        all_good.extend(texts(&collect(&mut out, Duration::from_secs(30), |_| true).await));
    }
    assert_eq!(all_good, sent.iter().filter(|s| *s != "bad").cloned().collect::<BTreeSet<_>>());
    let mut letters = 0;
    let _ = collect(&mut dead, Duration::from_secs(60), |p| {
        assert_eq!(p, b"bad");
        letters += 1;
        letters >= 5
    })
    .await;
    assert_eq!(letters, 5, "{}", runners[0].log());
    assert!(runners[0].metric("user_exceptions_total") >= 15, "1 + maxRetries attempts each");
    assert!(runners[0].log().contains("ValueError: cannot take bad"), "{}", runners[0].log());
    let mut seen = BTreeSet::new();
    let got = collect(&mut published, Duration::from_secs(60), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 45
    })
    .await;
    assert!(texts(&got).contains("seen ok0"), "publish reaches its topic");
    let mut seen = BTreeSet::new();
    let lines = collect(&mut logged, Duration::from_secs(60), |p| {
        seen.insert(p.to_vec());
        seen.len() >= 45
    })
    .await;
    assert!(texts(&lines).iter().any(|l| l.starts_with("audit ok0 from ")), "log lines reach the log topic");
    // context.record_metric, under Pulsar's name and label.
    let (_, metrics) = runners[1].get("/metrics").unwrap();
    let count = metrics
        .lines()
        .find(|l| l.starts_with("pulsar_function_user_metric__count{") && l.contains("metric=\"input_length\""));
    let count: u64 = count.and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0);
    assert!(count >= 50, "every message recorded its metric:\n{metrics}");
}

on_both_brokers!(publish_callbacks_hear_the_ids_the_broker_stored_the_messages_under);
/// `context.publish(..., callback=...)`: the callback runs once the broker has
/// stored the message, with the id the broker gave it.
async fn publish_callbacks_hear_the_ids_the_broker_stored_the_messages_under(cluster: Bed) {
    publish_callbacks_hear_stored_ids(cluster, None).await
}

on_both_brokers!(batched_publish_callbacks_hear_the_ids_of_the_messages_in_their_batches);
/// The same with `outputBatching`, as `fmc build` renders Python functions:
/// each callback hears its own message's id, batch index included.
async fn batched_publish_callbacks_hear_the_ids_of_the_messages_in_their_batches(cluster: Bed) {
    publish_callbacks_hear_stored_ids(cluster, Some(json!({"maxMessages": 5, "maxDelayMs": 20}))).await
}

async fn publish_callbacks_hear_stored_ids(cluster: Bed, batching: Option<Value>) {
    use futures::StreamExt;
    let (input, output, audit) = (cluster.topic("pycb-in"), cluster.topic("pycb-out"), cluster.topic("pycb-audit"));
    let mut config = python("confirmed", "publish_callback.Confirmed", "publish_callback.py", &[&input], Some(&output));
    config["userConfig"] = json!({"audit": audit});
    config["outputBatching"] = json!(batching);
    let runner = Runner::start(&cluster.url(), config);
    runner.wait_ready(Duration::from_secs(20));
    let client = cluster.client().await;
    let mut out = subscribe(&client, &output, "check").await;
    let mut published = subscribe(&client, &audit, "check").await;
    produce(&client, &input, (0..20).map(|i| format!("m{i}").into_bytes())).await;
    let mut stored = BTreeSet::new();
    while stored.len() < 20 {
        let msg = tokio::time::timeout(Duration::from_secs(30), published.next()).await;
        let msg = msg.expect("published in time").expect("a message").expect("no error");
        stored.insert(stored_id(&msg));
    }
    // Outputs are read once per message id: a broker may deliver one again
    // (at-least-once: pulsar-lite, under load, delivers some several times),
    // and reading a copy per probe would leave the reader behind for good.
    let mut read = BTreeSet::new();
    let mut heard = BTreeSet::new();
    while read.len() < 20 {
        let output = next_unread(&mut out, &mut read, Duration::from_secs(30)).await;
        heard.extend(callbacks_heard(&output.expect("20 outputs in time")));
    }
    // A later call sees every earlier callback answered. The broker may hand
    // the published messages to a consumer before the runner has their
    // receipts (pulsar-lite does), so probe until the answers are in.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !heard.is_superset(&stored) && std::time::Instant::now() < deadline {
        produce(&client, &input, [b"probe".to_vec()]).await;
        if let Some(output) = next_unread(&mut out, &mut read, Duration::from_secs(30)).await {
            heard.extend(callbacks_heard(&output));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(heard.is_superset(&stored), "every callback heard its id: {heard:?} {stored:?}\n{}", runner.log());
    // The probes published too: every id heard is one the broker stored on the audit topic.
    while let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(2), published.next()).await {
        stored.insert(stored_id(&msg));
    }
    assert!(heard.is_subset(&stored), "no callback heard an id the broker did not store: {heard:?} {stored:?}");
}

/// The next message whose id `read` does not hold yet (acknowledged, its id
/// added), or `None` after `timeout`.
async fn next_unread(
    consumer: &mut pulsar::Consumer<Vec<u8>, pulsar::TokioExecutor>,
    read: &mut BTreeSet<String>,
    timeout: Duration,
) -> Option<Vec<u8>> {
    use futures::StreamExt;
    let deadline = tokio::time::Instant::now() + timeout;
    while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(deadline, consumer.next()).await {
        let _ = consumer.ack(&msg).await;
        if read.insert(stored_id(&msg)) {
            return Some(msg.payload.data);
        }
    }
    None
}

/// `ledger:entry:partition` (`:batch index` in a batch), as the callbacks hear a message id.
fn stored_id(msg: &pulsar::consumer::Message<Vec<u8>>) -> String {
    let id = &msg.message_id.id;
    let entry = format!("{}:{}:{}", id.ledger_id, id.entry_id, id.partition.unwrap_or(-1));
    match id.batch_index {
        Some(i) => format!("{entry}:{i}"),
        None => entry,
    }
}

/// The ids a `publish_callback.Confirmed` output says its callbacks heard.
fn callbacks_heard(output: &[u8]) -> BTreeSet<String> {
    let text = String::from_utf8(output.to_vec()).expect("text");
    let answers = text.split(',').filter(|h| !h.is_empty());
    answers.map(|h| h.strip_prefix("Ok ").unwrap_or_else(|| panic!("not Ok: {h}")).to_string()).collect()
}

/// A function of poison.py with what `fmc build` gives a Python function
/// besides (its output batched), so that a crash meets the rendered shape.
fn poison(class: &str) -> Value {
    let path = project_root().join("python/tests/functions/poison.py");
    json!({
        "function": {"python": {"className": format!("poison.{class}"), "path": path.display().to_string()}},
        "outputBatching": {"maxMessages": 1000, "maxBytes": 131072, "maxDelayMs": 10},
    })
}

on_both_brokers!(a_python_message_that_loops_is_dead_lettered_after_the_restart_and_nothing_good_is);
/// A Python message that loops forever: the watchdog ends the runner after
/// `maxProcessingMs`; after the restart the crash journal dead-letters it and
/// every other message is processed.
async fn a_python_message_that_loops_is_dead_lettered_after_the_restart_and_nothing_good_is(bed: Bed) {
    let exited = |runner: &Runner, status: std::process::ExitStatus| {
        assert_eq!(status.code(), Some(70), "{}", runner.log());
        assert!(runner.log().contains("maxProcessingMs"), "{}", runner.log());
    };
    crash_until_recognised(bed, "py-loop", poison("Loops"), None, exited).await;
}

on_both_brokers!(a_python_message_that_segfaults_the_interpreter_is_dead_lettered_after_the_restart);
/// A Python message that crashes the interpreter (a segmentation fault in C).
async fn a_python_message_that_segfaults_the_interpreter_is_dead_lettered_after_the_restart(bed: Bed) {
    use std::os::unix::process::ExitStatusExt;
    let exited = |runner: &Runner, status: std::process::ExitStatus| {
        assert_eq!(status.signal(), Some(libc::SIGSEGV), "{}", runner.log());
    };
    crash_until_recognised(bed, "py-segv", poison("Crashes"), None, exited).await;
}

on_both_brokers!(a_python_message_that_exhausts_memory_is_dead_lettered_after_the_restart);
/// A Python message that exhausts memory: killed as the kubelet would, then
/// recognised.
async fn a_python_message_that_exhausts_memory_is_dead_lettered_after_the_restart(bed: Bed) {
    use std::os::unix::process::ExitStatusExt;
    let exited = |runner: &Runner, status: std::process::ExitStatus| {
        assert_eq!(status.signal(), Some(libc::SIGKILL), "{}", runner.log());
    };
    crash_until_recognised(bed, "py-oom", poison("Allocates"), Some(300 << 20), exited).await;
}
