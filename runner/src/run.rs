//! The processing loop: consume, run the user function, produce, acknowledge.
//!
//! Guarantees: ATLEAST_ONCE acknowledges an input only after every output it
//! produced is confirmed by the broker; a failed send or a function error
//! negatively acknowledges it after `retryBackoffMs`, so Pulsar redelivers it (and, past `maxRetries`, the
//! consumer's dead-letter policy moves it to the dead-letter topic).
//! ATMOST_ONCE acknowledges on receipt and sends without waiting.
//!
//! Batched input is settled per broker entry and poison messages are
//! dead-lettered by the runner (see [`crate::settle`] for why).
//!
//! The `pulsar` crate fails in-flight sends when the broker connection drops;
//! those inputs are then nacked and processed again (duplicates, never loss),
//! and the producer is rebuilt before the next send. SIGTERM stops receiving,
//! waits for in-flight messages (bounded by `drainTimeoutMs`), closes the
//! consumer so the broker redelivers at once, and returns.

use crate::config::{Config, Guarantee, Position, SubscriptionType};
use crate::function::{Outcome, Record, UserFunction};
use crate::journal::Treatment;
use crate::ops::{Stats, epoch_ms, log};
use crate::settle::{Attempts, BatchLedger, Verdict};
use futures::{FutureExt, StreamExt};
use pulsar::consumer::{DeadLetterPolicy, InitialPosition, Message};
use pulsar::message::proto::MessageIdData;
use pulsar::{Consumer, ConsumerOptions, Producer, ProducerOptions, Pulsar, SubType, TokioExecutor};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The outcome of one input, reported back to the loop that owns the consumer.
struct Done {
    topic: String,
    id: MessageIdData,
    ok: bool,
    /// MANUAL: processed, but the function did not acknowledge it: neither
    /// ack nor nack (it comes back after `ackTimeoutMs` or a reconnection).
    leave: bool,
    /// The consumer the message came from: outcomes of a consumer that was
    /// replaced are dropped (the broker redelivers its unacknowledged input).
    generation: u64,
}

pub async fn connect(config: &Config) -> Result<Pulsar<TokioExecutor>, String> {
    let mut builder = Pulsar::builder(config.service_url.clone(), TokioExecutor)
        .with_allow_insecure_connection(config.tls_allow_insecure_connection)
        .with_tls_hostname_verification_enabled(config.tls_hostname_verification);
    if let Some(file) = &config.tls_trust_certs_file {
        builder = builder.with_certificate_chain_file(file).map_err(|e| format!("cannot read CA file {file}: {e}"))?;
    }
    if let Some(file) = &config.token_file {
        let token = std::fs::read_to_string(file).map_err(|e| format!("cannot read token file {file}: {e}"))?;
        builder =
            builder.with_auth(pulsar::Authentication { name: "token".into(), data: token.trim().as_bytes().to_vec() });
    } else if let Some(oauth2) = &config.oauth2 {
        let tls = crate::http::tls_config(config.tls_trust_certs_file.as_deref())?;
        builder = builder.with_auth_provider(Box::new(crate::oauth2::OAuth2::new(oauth2.clone(), tls)));
    }
    builder.build().await.map_err(|e| format!("cannot connect to {}: {e}", config.service_url))
}

/// Connection attempts at start, and how long one may take.
pub const CONNECT_ATTEMPTS: u32 = 5;
pub const CONNECT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The first connection, tried [`CONNECT_ATTEMPTS`] times with a doubling pause
/// (0.25 s to 2 s): a pod often starts while the broker, or its network path,
/// is not ready yet. Each attempt is cut at [`CONNECT_ATTEMPT_TIMEOUT`] (the
/// crate would otherwise retry inside one attempt for minutes) and logged, so
/// the runner gives up after at most 5 × 10 s + 3.75 s ≈ 54 s, and says why;
/// the kubelet then restarts it with its own back-off.
async fn connect_with_retries(config: &Config) -> Result<Pulsar<TokioExecutor>, String> {
    let mut pause = Duration::from_millis(250);
    let mut last = String::new();
    for attempt in 1..=CONNECT_ATTEMPTS {
        let result = tokio::time::timeout(CONNECT_ATTEMPT_TIMEOUT, connect(config)).await.unwrap_or_else(|_| {
            Err(format!(
                "cannot connect to {}: no answer within {} s",
                config.service_url,
                CONNECT_ATTEMPT_TIMEOUT.as_secs()
            ))
        });
        match result {
            Ok(p) => return Ok(p),
            Err(e) => {
                let of = format!("{attempt}/{CONNECT_ATTEMPTS}");
                log("warn", "broker connection attempt failed", &[("attempt", of), ("error", e.clone())]);
                last = e;
            }
        }
        if attempt < CONNECT_ATTEMPTS {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    Err(format!("giving up after {CONNECT_ATTEMPTS} attempts: {last}"))
}

async fn consumer(pulsar: &Pulsar<TokioExecutor>, config: &Config) -> Result<Consumer<Vec<u8>, TokioExecutor>, String> {
    let sub_type = match config.subscription_type {
        SubscriptionType::Shared => SubType::Shared,
        SubscriptionType::Failover => SubType::Failover,
        SubscriptionType::KeyShared => SubType::KeyShared,
        SubscriptionType::Exclusive => SubType::Exclusive,
    };
    let initial_position = match config.subscription_position {
        Position::Latest => InitialPosition::Latest,
        Position::Earliest => InitialPosition::Earliest,
    };
    let schema = match config.inputs_declared_schema() {
        Ok(declared) => declared.map(|s| crate::declared::wire_schema(&config.inputs[0], s)).transpose()?,
        Err(why) => {
            // Said once: the consumer subscribes again after every broker restart.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| log("warn", "the input consumer declares no schema", &[("why", why)]));
            None
        }
    };
    let options = ConsumerOptions {
        receiver_queue_size: Some(config.receiver_queue_size),
        initial_position,
        schema,
        ..Default::default()
    };
    // A fresh consumer id per process: after a crash, a broker that still holds
    // the dead process's consumer must not refuse the new one as a duplicate.
    let consumer_id =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
            ^ (u64::from(std::process::id()) << 32);
    let mut builder = pulsar
        .consumer()
        .with_topics(&config.inputs)
        .with_consumer_id(consumer_id >> 1)
        .with_subscription(config.subscription_name())
        .with_subscription_type(sub_type)
        .with_consumer_name(format!("{}-{}", config.fqfn(), config.instance_id))
        .with_unacked_message_resend_delay(config.ack_timeout_ms.map(Duration::from_millis))
        .with_options(options);
    if let (Some(max), Some(topic)) = (config.max_retries, config.dead_letter()) {
        // The crate dead-letters a message delivered with redelivery count >= N
        // instead of handing it over, so N = retries + 1 gives the function
        // 1 + maxRetries attempts, as Pulsar Functions' maxMessageRetries does.
        let policy = DeadLetterPolicy { max_redeliver_count: max as usize + 1, dead_letter_topic: topic };
        builder = builder.with_dead_letter_policy(policy);
    }
    builder.build().await.map_err(|e| format!("cannot subscribe to {:?}: {e}", config.inputs))
}

/// What a producer is for: the function's own writes are batched when the
/// configuration says so; dead letters are written one by one.
#[derive(Clone, Copy)]
enum Writes {
    Function,
    DeadLetters,
}

async fn producer(
    pulsar: &Pulsar<TokioExecutor>,
    config: &Config,
    topic: &str,
    writes: Writes,
) -> Result<Producer<TokioExecutor>, String> {
    let schema = config.declared_schema(topic).map(|s| crate::declared::wire_schema(topic, s)).transpose()?;
    // Unbatched unless configured, with many sends in flight: the crate's
    // batching keeps one batch in flight at a time (runner-spike.md §2b). Yet
    // batches of up to 1,000 save the broker more than that costs where each
    // entry is a bookie write (Apache Pulsar; BENCHMARKS.md, issue 26).
    let mut options = ProducerOptions { block_queue_if_full: true, schema, ..Default::default() };
    if let (Writes::Function, Some(b)) = (writes, config.output_batching) {
        options.batch_size = Some(b.max_messages);
        options.batch_byte_size = Some(b.max_bytes);
        options.batch_timeout = Some(Duration::from_millis(b.max_delay_ms));
    }
    pulsar
        .producer()
        .with_topic(topic)
        .with_options(options)
        .build()
        .await
        .map_err(|e| format!("cannot produce to {topic}: {e}"))
}

fn record(msg: &Message<Vec<u8>>) -> Record {
    let meta = &msg.payload.metadata;
    Record {
        payload: msg.payload.data.clone(),
        key: meta.partition_key.clone(),
        key_base64: meta.partition_key_b64_encoded == Some(true),
        properties: meta.properties.iter().map(|kv| (kv.key.clone(), kv.value.clone())).collect(),
        event_time: meta.event_time,
        topic: None,
        from: Some(msg.topic.clone()),
        message_id: Some(origin_id(&msg.message_id.id)),
        receipt: None,
    }
}

/// Delay before a failed message is handed back for redelivery (the crate's
/// nack redelivers at once; the broker does not expose the redelivery count to
/// it, so the delay is fixed).
fn backoff(config: &Config) -> Duration {
    Duration::from_millis(config.retry_backoff_ms)
}

/// What one message's processing needs besides the message.
struct Worker<'a> {
    config: &'a Config,
    pulsar: &'a Pulsar<TokioExecutor>,
    function: Box<dyn UserFunction>,
    output: Option<Producer<TokioExecutor>>,
    output_broken: bool,
    /// Producers of a route function's topics, by topic.
    routes: std::collections::BTreeMap<String, Producer<TokioExecutor>>,
    dead_letter: Option<Producer<TokioExecutor>>,
    attempts: Attempts,
    stats: Arc<Stats>,
    done: mpsc::UnboundedSender<Done>,
    generation: u64,
    journal: crate::journal::Journal,
    watchdog: Option<Arc<std::sync::atomic::AtomicU64>>,
    /// Messages the function set aside, by ticket, with their consumer's generation.
    set_aside: std::collections::BTreeMap<u64, (String, MessageIdData, Record, u64)>,
    /// The broker's answers for outputs the function wants to hear about
    /// ([`Record::receipt`]), handed back to it by the loop.
    receipts: mpsc::UnboundedSender<(u64, Result<String, String>)>,
}

/// An output sent, with the ticket of a function waiting for its receipt.
type Sent = (Option<u64>, Receipt);

/// Runs until `stop` resolves (then drains) or the input ends.
pub async fn run(
    config: Config,
    function: Box<dyn UserFunction>,
    stats: Arc<Stats>,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let pulsar = connect_with_retries(&config).await?;
    crate::nodelay::keep_sweeping();
    // The producer first: subscribing ends with a FLOW command the broker does
    // not answer, and the crate's socket has Nagle on, so a request right after
    // it waits for the broker's delayed ACK (~40 ms on Linux) — start-up time.
    let output = match &config.output {
        Some(t) => Some(producer(&pulsar, &config, t, Writes::Function).await?),
        None => None,
    };
    let mut consumer = consumer(&pulsar, &config).await?;
    stats.ready.store(true, Ordering::Relaxed);
    log("info", "ready", &[("fqfn", config.fqfn()), ("inputs", config.inputs.join(","))]);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done>();
    let (receipts_tx, mut receipts_rx) = mpsc::unbounded_channel();
    let mut worker = Worker {
        config: &config,
        pulsar: &pulsar,
        function,
        output,
        output_broken: false,
        routes: Default::default(),
        dead_letter: None,
        attempts: Attempts::default(),
        stats: stats.clone(),
        done: done_tx,
        generation: 0,
        journal: crate::journal::Journal::open(config.journal_dir.as_deref().map(std::path::Path::new))?,
        watchdog: None,
        set_aside: Default::default(),
        receipts: receipts_tx,
    };
    // A function that bounds each message itself fails that message in place.
    if !worker.function.bounds_each_message() {
        worker.watchdog = watchdog(&config);
    }
    let mut ledger = BatchLedger::default();
    let mut in_flight = 0usize;
    let mut consumer_dead = false;
    let mut stopping: Option<Instant> = None;
    // One interval for the whole loop (a sleep made anew each turn would
    // never end while messages keep coming).
    let mut poll = tokio::time::interval(SET_ASIDE_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        if consumer_dead && stopping.is_none() {
            // The crate's consumer engine can end after a broker restart: subscribe
            // again (unacknowledged messages come back; duplicates, never loss).
            log("warn", "consumer lost; subscribing again", &[]);
            // Not ready while not subscribed (/readyz): the pod leaves the Service's endpoints.
            stats.ready.store(false, Ordering::Relaxed);
            tokio::time::sleep(backoff(&config)).await;
            match self::consumer(&pulsar, &config).await {
                Ok(c) => {
                    consumer = c;
                    consumer_dead = false;
                    stats.ready.store(true, Ordering::Relaxed);
                    worker.generation += 1;
                    ledger.clear();
                    in_flight = 0;
                }
                Err(e) => log("warn", "subscribe failed; retrying", &[("error", e)]),
            }
            continue;
        }
        let drain_deadline = stopping.map(|t| t + Duration::from_millis(config.drain_timeout_ms));
        tokio::select! {
            biased;
            Some(done) = done_rx.recv() => {
                if done.generation != worker.generation {
                    continue;
                }
                in_flight -= 1;
                let verdict = ledger.settle(&done.topic, &done.id, done.ok && !done.leave);
                consumer_dead |= !settle(&mut consumer, done, verdict, &stats).await;
                if stopping.is_some() && in_flight == 0 {
                    break;
                }
            }
            Some(receipt) = receipts_rx.recv() => {
                worker.function.receipts(vec![receipt]);
            }
            () = &mut stop, if stopping.is_none() => {
                log("info", "stopping: draining in-flight messages", &[("in_flight", in_flight.to_string())]);
                stats.ready.store(false, Ordering::Relaxed);
                stopping = Some(Instant::now());
                if in_flight == 0 {
                    break;
                }
            }
            _ = poll.tick(), if !worker.set_aside.is_empty() => {
                worker.collect_set_aside().await;
            }
            () = sleep_until(drain_deadline), if drain_deadline.is_some() => {
                log("warn", "drain timeout: unacknowledged messages will be redelivered", &[("in_flight", in_flight.to_string())]);
                break;
            }
            next = consumer.next(), if stopping.is_none() && in_flight < config.max_in_flight => {
                let msg = match next {
                    Some(Ok(msg)) => msg,
                    Some(Err(e)) => {
                        stats.system_exceptions.fetch_add(1, Ordering::Relaxed);
                        log("error", "consumer error", &[("error", e.to_string())]);
                        continue;
                    }
                    None => {
                        consumer_dead = true;
                        continue;
                    }
                };
                // Whatever else has already arrived joins this message's batch.
                let room = config.max_batch_size.min(config.max_in_flight - in_flight).max(1);
                let mut batch = vec![msg];
                while batch.len() < room {
                    match consumer.next().now_or_never() {
                        Some(Some(Ok(more))) => batch.push(more),
                        Some(None) => {
                            consumer_dead = true;
                            break;
                        }
                        Some(Some(Err(e))) => {
                            stats.system_exceptions.fetch_add(1, Ordering::Relaxed);
                            log("error", "consumer error", &[("error", e.to_string())]);
                            break;
                        }
                        None => break,
                    }
                }
                for m in &batch {
                    ledger.received(&m.topic, &m.message_id.id, m.payload.metadata.num_messages_in_batch);
                }
                in_flight += batch.len();
                worker.handle_batch(batch).await;
            }
        }
    }
    let _ = consumer.close().await;
    let routes = std::mem::take(&mut worker.routes).into_values().map(Some);
    for mut p in [worker.output.take(), worker.dead_letter.take()].into_iter().chain(routes).flatten() {
        let _ = p.close().await;
    }
    log("info", "stopped", &[("acked", stats.acked.load(Ordering::Relaxed).to_string())]);
    Ok(())
}

/// How often the outcomes of set-aside messages are looked for.
const SET_ASIDE_POLL: Duration = Duration::from_millis(10);

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}

/// Milliseconds on a monotonic clock (a wall-clock step must not look like a
/// function running past its deadline).
fn monotonic_ms() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The watchdog of `maxProcessingMs` (only with a crash journal: without one,
/// ending the process would only make the same message end the next one).
/// A thread checks the deadline the worker sets around each function call; a
/// call past it ends the process, and the journal convicts its message.
fn watchdog(config: &Config) -> Option<Arc<std::sync::atomic::AtomicU64>> {
    if config.journal_dir.is_none() || config.max_processing_ms == 0 {
        return None;
    }
    let deadline = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watched = deadline.clone();
    let limit = config.max_processing_ms;
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let d = watched.load(Ordering::Relaxed);
            if d != 0 && monotonic_ms() > d {
                log(
                    "error",
                    "the function ran past maxProcessingMs; exiting (the message will be dead-lettered)",
                    &[("maxProcessingMs", limit.to_string())],
                );
                std::process::exit(70);
            }
        }
    });
    Some(deadline)
}

/// Acks or nacks as the ledger decided; false when the consumer is gone (its engine ended).
async fn settle(consumer: &mut Consumer<Vec<u8>, TokioExecutor>, done: Done, verdict: Verdict, stats: &Stats) -> bool {
    let result = match verdict {
        Verdict::Wait => return true,
        // Left unacknowledged by a MANUAL function: no command at all.
        Verdict::Nack if done.leave => return true,
        Verdict::Ack => consumer.ack_with_id(&done.topic, done.id).await,
        Verdict::Nack => consumer.nack_with_id(&done.topic, done.id).await,
    };
    match result {
        Ok(()) => {
            if verdict == Verdict::Ack {
                stats.acked.fetch_add(1, Ordering::Relaxed);
            }
            true
        }
        Err(e) => {
            stats.system_exceptions.fetch_add(1, Ordering::Relaxed);
            let text = e.to_string();
            log("warn", "acknowledgement failed; the broker will redeliver", &[("error", text.clone())]);
            !text.contains("channel is closed")
        }
    }
}

impl Worker<'_> {
    fn report(&self, topic: String, id: MessageIdData, ok: bool) {
        let done = Done { topic, id, ok, leave: false, generation: self.generation };
        if ok {
            let _ = self.done.send(done);
            return;
        }
        let (tx, delay) = (self.done.clone(), backoff(self.config));
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(done);
        });
    }

    /// Processes the messages received together: the function sees them as
    /// one batch (see `function::wasm`), then each goes its own way.
    async fn handle_batch(&mut self, messages: Vec<Message<Vec<u8>>>) {
        let mut origins = Vec::with_capacity(messages.len());
        let mut inputs = Vec::with_capacity(messages.len());
        for msg in messages {
            self.stats.received.fetch_add(1, Ordering::Relaxed);
            let (topic, id) = (msg.topic.clone(), msg.message_id.id.clone());
            let input = record(&msg);
            if let Some(Err(why)) = self.config.schema_of(&topic).map(|s| s.check(&input.payload)) {
                self.stats.schema_rejected.fetch_add(1, Ordering::Relaxed);
                log("warn", "payload does not match the input's schema", &[("error", why), ("topic", topic.clone())]);
                let dlq_topic = self.config.dead_letter_or_default();
                self.dead_letter(dlq_topic, topic, id, input, "schema").await;
                continue;
            }
            origins.push((topic, id));
            inputs.push(input);
        }
        // What the crash journal remembers of the previous process (see `journal`).
        let mut batch = (Vec::new(), Vec::new(), Vec::new());
        let mut alone = Vec::new();
        for ((topic, id), input) in origins.into_iter().zip(inputs) {
            let key = crate::journal::key(&topic, id.ledger_id, id.entry_id, id.batch_index);
            match self.journal.treatment(&key) {
                Treatment::Batch => {
                    batch.0.push((topic, id));
                    batch.1.push(input);
                    batch.2.push(key);
                }
                Treatment::Alone => alone.push(((topic, id), input, key)),
                Treatment::DeadLetter => {
                    log(
                        "error",
                        "this message stopped the runner last time; dead-lettering it",
                        &[("topic", topic.clone())],
                    );
                    self.stats.user_exceptions.fetch_add(1, Ordering::Relaxed);
                    let dlq_topic = self.config.dead_letter_or_default();
                    self.dead_letter(dlq_topic, topic, id, input, "crash").await;
                    self.journal.settled(&key);
                }
            }
        }
        if !batch.1.is_empty() {
            self.process_group(batch.0, batch.1, batch.2).await;
        }
        for (origin, input, key) in alone {
            self.process_group(vec![origin], vec![input], vec![key.clone()]).await;
            self.journal.settled(&key);
        }
    }

    /// One call of the function, journaled and watched, then each input's outcome.
    async fn process_group(&mut self, origins: Vec<(String, MessageIdData)>, inputs: Vec<Record>, keys: Vec<String>) {
        self.journal.begin(&keys);
        let started = Instant::now();
        if let Some(w) = &self.watchdog {
            w.store(monotonic_ms() + self.config.max_processing_ms, Ordering::Relaxed);
        }
        let outcomes = self.function.process_batch_setting_aside(&inputs);
        if let Some(w) = &self.watchdog {
            w.store(0, Ordering::Relaxed);
        }
        self.journal.end();
        for (name, value) in self.function.user_metrics() {
            self.stats.record_user_metric(&name, value);
        }
        let per_message = started.elapsed().as_secs_f64() * 1000.0 / inputs.len() as f64;
        self.stats.last_invocation.store(epoch_ms(), Ordering::Relaxed);
        // Under MANUAL the function says which inputs it acknowledges.
        let manual = self.config.processing_guarantee == Guarantee::Manual;
        let acks: Vec<bool> = match self.function.acknowledged() {
            Some(acks) if manual => acks.to_vec(),
            _ => vec![true; inputs.len()],
        };
        for ((((topic, id), input), outcome), acknowledged) in origins.into_iter().zip(inputs).zip(outcomes).zip(acks) {
            self.stats.record_latency(per_message);
            match outcome {
                Outcome::Now(result) => self.finish(topic, id, input, result, acknowledged).await,
                // Set aside (slow): finished later by `collect_set_aside`, still in flight.
                Outcome::Later(ticket) => {
                    self.set_aside.insert(ticket, (topic, id, input, self.generation));
                }
            }
        }
    }

    /// Finishes the set-aside messages whose outcome is known now (see
    /// `function::isolated`: a slow message never holds the ones behind it).
    async fn collect_set_aside(&mut self) {
        for (ticket, result) in self.function.finished() {
            let Some((topic, id, input, generation)) = self.set_aside.remove(&ticket) else { continue };
            // A message of a consumer since replaced comes back from the broker anyway.
            if generation == self.generation {
                self.finish(topic, id, input, result, true).await;
            }
        }
    }

    /// Sends one input's outputs and reports its outcome when they are confirmed.
    async fn finish(
        &mut self,
        topic: String,
        id: MessageIdData,
        input: Record,
        result: Result<Vec<Record>, String>,
        acknowledged: bool,
    ) {
        let stats = self.stats.clone();
        let outputs = match result {
            Ok(outputs) => outputs,
            Err(e) => {
                stats.user_exceptions.fetch_add(1, Ordering::Relaxed);
                log("warn", "user function failed", &[("error", e), ("topic", topic.clone())]);
                return self.failed(topic, id, input).await;
            }
        };
        self.attempts.forget(&topic, &id);
        let mut receipts: Vec<Sent> = Vec::with_capacity(outputs.len());
        let mut outputs = outputs.into_iter();
        while let Some(o) = outputs.next() {
            let (destination, ticket) = (o.topic.clone(), o.receipt);
            let sent = match self.producer_for(destination.as_deref()).await {
                Ok(Some(producer)) => send(producer, o).await,
                // No output topic: the function only consumes.
                Ok(None) => continue,
                Err(e) => Err(e),
            };
            match sent {
                Ok(receipt) => receipts.push((ticket, receipt)),
                Err(e) => {
                    stats.sink_exceptions.fetch_add(1, Ordering::Relaxed);
                    let unsent = ticket.into_iter().chain(outputs.filter_map(|o| o.receipt)).collect();
                    self.answer_receipts(receipts, unsent, &e);
                    log("warn", "send failed; the input will be processed again", &[("error", e)]);
                    self.producer_broken(destination.as_deref());
                    return self.report(topic, id, false);
                }
            }
        }
        if receipts.is_empty() {
            stats.processed.fetch_add(1, Ordering::Relaxed);
            if !acknowledged {
                let _ = self.done.send(Done { topic, id, ok: true, leave: true, generation: self.generation });
                return;
            }
            return self.report(topic, id, true);
        }
        if self.config.processing_guarantee == Guarantee::AtmostOnce {
            stats.processed.fetch_add(1, Ordering::Relaxed);
            self.answer_receipts(receipts, Vec::new(), "");
            return self.report(topic, id, true);
        }
        let (tx, delay, generation) = (self.done.clone(), backoff(self.config), self.generation);
        let answers = self.receipts.clone();
        tokio::spawn(async move {
            let mut ok = true;
            for (ticket, r) in receipts {
                let answer = r.await;
                ok &= answer.is_ok();
                if let Some(ticket) = ticket {
                    let _ = answers.send((ticket, stored_id(answer)));
                }
            }
            if ok {
                stats.processed.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.sink_exceptions.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(delay).await;
            }
            let _ = tx.send(Done { topic, id, ok, leave: ok && !acknowledged, generation });
        });
    }

    /// Tells the function what became of its ticketed outputs: those sent
    /// once the broker answers, those never sent (`why`) at once.
    fn answer_receipts(&self, sent: Vec<Sent>, unsent: Vec<u64>, why: &str) {
        let answers = self.receipts.clone();
        for ticket in unsent {
            let _ = answers.send((ticket, Err(format!("not sent: {why}"))));
        }
        let sent: Vec<_> = sent.into_iter().filter_map(|(t, r)| Some((t?, r))).collect();
        if sent.is_empty() {
            return;
        }
        tokio::spawn(async move {
            for (ticket, r) in sent {
                let _ = answers.send((ticket, stored_id(r.await)));
            }
        });
    }

    /// A user exception: retry later, or past `maxRetries` dead-letter it.
    async fn failed(&mut self, topic: String, id: MessageIdData, input: Record) {
        if self.config.processing_guarantee == Guarantee::AtmostOnce {
            return self.report(topic, id, true);
        }
        let failures = self.attempts.fail(&topic, &id);
        let (Some(max), Some(dlq_topic)) = (self.config.max_retries, self.config.dead_letter()) else {
            return self.report(topic, id, false);
        };
        if failures <= max {
            return self.report(topic, id, false);
        }
        self.attempts.forget(&topic, &id);
        self.dead_letter(dlq_topic, topic, id, input, "retries exhausted").await;
    }

    /// Publishes `input` to `dlq_topic` with Pulsar's origin properties; the
    /// input counts as done once the broker confirms it.
    async fn dead_letter(&mut self, dlq_topic: String, topic: String, id: MessageIdData, input: Record, why: &str) {
        // One dead-letter topic per runner (`Config::dead_letter_or_default`).
        if self.dead_letter.is_none() {
            match producer(self.pulsar, self.config, &dlq_topic, Writes::DeadLetters).await {
                Ok(p) => self.dead_letter = Some(p),
                Err(e) => {
                    log("warn", "dead-letter producer not ready; retrying later", &[("error", e)]);
                    return self.report(topic, id, false);
                }
            }
        }
        let dlq = self.dead_letter.as_mut().expect("invariant: just created");
        let mut letter = input;
        letter.properties.push(("REAL_TOPIC".into(), topic.clone()));
        letter.properties.push(("ORIGIN_MESSAGE_ID".into(), origin_id(&id)));
        let receipt = send(dlq, letter).await;
        let (tx, delay, generation) = (self.done.clone(), backoff(self.config), self.generation);
        let (why, stats) = (why.to_string(), self.stats.clone());
        tokio::spawn(async move {
            let ok = match receipt {
                Ok(r) => r.await.is_ok(),
                Err(_) => false,
            };
            if ok {
                stats.dead_lettered.fetch_add(1, Ordering::Relaxed);
                log("warn", "message moved to the dead-letter topic", &[("topic", dlq_topic), ("why", why)]);
            } else {
                tokio::time::sleep(delay).await;
            }
            let _ = tx.send(Done { topic, id, ok, leave: false, generation });
        });
    }

    /// The producer for an output: the configured output topic, or a route's
    /// topic (created on first use); none when the function has no output.
    async fn producer_for(&mut self, route: Option<&str>) -> Result<Option<&mut Producer<TokioExecutor>>, String> {
        let Some(topic) = route else {
            if self.output_broken
                && let Some(topic) = &self.config.output
            {
                self.output = Some(producer(self.pulsar, self.config, topic, Writes::Function).await?);
                self.output_broken = false;
            }
            return Ok(self.output.as_mut());
        };
        if !self.routes.contains_key(topic) {
            let p = producer(self.pulsar, self.config, topic, Writes::Function).await?;
            self.routes.insert(topic.to_string(), p);
        }
        Ok(self.routes.get_mut(topic))
    }

    /// After a failed send: rebuild that producer before its next use.
    fn producer_broken(&mut self, route: Option<&str>) {
        match route {
            None => self.output_broken = true,
            Some(topic) => {
                self.routes.remove(topic);
            }
        }
    }
}

/// `ledger:entry:partition[:batch_index]`, as Pulsar's dead-letter messages name their origin.
fn origin_id(id: &MessageIdData) -> String {
    let base = format!("{}:{}:{}", id.ledger_id, id.entry_id, id.partition.unwrap_or(-1));
    match id.batch_index {
        Some(i) => format!("{base}:{i}"),
        None => base,
    }
}

type Receipt = pulsar::producer::SendFuture;

/// The id the broker stored a message under (as the runner names ids), or why it did not.
fn stored_id(answer: Result<pulsar::proto::CommandSendReceipt, pulsar::Error>) -> Result<String, String> {
    match answer {
        Ok(receipt) => Ok(receipt.message_id.as_ref().map(origin_id).unwrap_or_default()),
        Err(e) => Err(e.to_string()),
    }
}

async fn send(producer: &mut Producer<TokioExecutor>, o: Record) -> Result<Receipt, String> {
    let key = if o.key_base64 { o.key_bytes().map(Ok) } else { o.key.clone().map(Err) };
    let mut builder = producer.create_message().with_content(o.payload);
    match key {
        Some(Ok(bytes)) => builder = builder.with_key_bytes(bytes),
        Some(Err(text)) => builder = builder.with_key(text),
        None => {}
    }
    for (k, v) in o.properties {
        builder = builder.with_property(k, v);
    }
    if let Some(t) = o.event_time {
        builder = builder.event_time(t);
    }
    builder.send_non_blocking().await.map_err(|e| e.to_string())
}
