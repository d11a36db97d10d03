//! The baseline the runner's throughput is measured against (bench/runner.py):
//! the plainest at-least-once consume → produce loop over the `pulsar` crate,
//! with the runner's settings (Shared subscription, receiver queue 1,000, at
//! most 1,000 messages in flight, unbatched output, ack after the receipt) and
//! none of its work (no function, metrics, batch ledger or retries).
//!
//! usage: raw-pulsar-loop SERVICE_URL INPUT OUTPUT SUBSCRIPTION
//! Prints `ready` once subscribed; runs until killed.

use futures::StreamExt;
use pulsar::consumer::InitialPosition;
use pulsar::message::proto::MessageIdData;
use pulsar::{ConsumerOptions, ProducerOptions, Pulsar, SubType, TokioExecutor};
use tokio::sync::mpsc;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, input, output, subscription] = args.as_slice() else {
        return Err("usage: raw-pulsar-loop SERVICE_URL INPUT OUTPUT SUBSCRIPTION".into());
    };
    let pulsar = Pulsar::builder(url.clone(), TokioExecutor).build().await.map_err(|e| e.to_string())?;
    let options = ConsumerOptions {
        receiver_queue_size: Some(1000),
        initial_position: InitialPosition::Earliest,
        ..Default::default()
    };
    let mut consumer: pulsar::Consumer<Vec<u8>, TokioExecutor> = pulsar
        .consumer()
        .with_topic(input)
        .with_subscription(subscription)
        .with_subscription_type(SubType::Shared)
        .with_options(options)
        .build()
        .await
        .map_err(|e| e.to_string())?;
    let mut producer = pulsar
        .producer()
        .with_topic(output)
        .with_options(ProducerOptions { block_queue_if_full: true, ..Default::default() })
        .build()
        .await
        .map_err(|e| e.to_string())?;
    // The runner's setting: TCP_NODELAY on the broker connection (runner/src/nodelay.rs).
    fmc_runner::nodelay::sweep();
    println!("ready");
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, MessageIdData)>();
    let mut in_flight = 0usize;
    loop {
        tokio::select! {
            biased;
            Some((topic, id)) = rx.recv() => {
                in_flight -= 1;
                let _ = consumer.ack_with_id(&topic, id).await;
            }
            Some(Ok(msg)) = consumer.next(), if in_flight < 1000 => {
                in_flight += 1;
                let receipt = producer.send_non_blocking(msg.payload.data).await.map_err(|e| e.to_string())?;
                let tx = tx.clone();
                let (topic, id) = (msg.topic, msg.message_id.id);
                tokio::spawn(async move {
                    if receipt.await.is_ok() {
                        let _ = tx.send((topic, id));
                    }
                });
            }
        }
    }
}
