#!/usr/bin/env python3
"""Issue 24 N11: can one message a second that spins until `maxProcessingMs`
throttle a jq function? Good-message throughput and latency with 0 and with 1
spinning message per second, same run, same broker (pulsar-lite behind the
relay, as bench/runner.py), the runner's default isolation (an evaluator
child), `maxProcessingMs` 10 s, no retries.

A producer sends GOOD_RATE good JSON messages a second, stamped with the send
time, and SPIN_RATE spinning ones (`last(range(1e12))`), for SECONDS; a
consumer on the output measures how many good messages arrive within the
run plus 2 s, and their latency (send -> output).

usage: bench/spin.py [--good-rate 100] [--seconds 30] [--no-build]
"""
import argparse, json, os, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner as rb  # noqa: E402  (bench/runner.py: broker, relay, binaries)

PROGRAM = "if .spin then last(range(1e12)) else . end"


def start_runner(work, url, name):
    http = rb.free_port()
    conf = {"tenant": "public", "namespace": "default", "name": name, "serviceUrl": url,
            "inputs": [rb.topic(f"{name}-in")], "output": rb.topic(f"{name}-out"), "subscriptionPosition": "earliest",
            "function": {"jq": {"program": PROGRAM}}, "httpAddr": f"127.0.0.1:{http}",
            "maxProcessingMs": 10000, "maxRetries": 0, "deadLetterTopic": rb.topic(f"{name}-dlq")}
    path = os.path.join(work, f"{name}.json")
    with open(path, "w") as f:
        json.dump(conf, f)
    proc = subprocess.Popen([rb.RUNNER, "--config", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 20
    while rb.http_status(http, "/readyz") != 200:
        if time.time() > end:
            sys.exit("runner not ready")
        time.sleep(0.01)
    return proc


def measure(url, name, good_rate, spin_rate, seconds):
    import pulsar
    client = pulsar.Client(url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
    consumer = client.subscribe(rb.topic(f"{name}-out"), "bench")
    producer = client.create_producer(rb.topic(f"{name}-in"), batching_enabled=False, block_if_queue_full=True)
    latencies, sent = [], [0]

    def send():
        start = time.time()
        n = 0
        while time.time() - start < seconds:
            due = start + n / good_rate
            time.sleep(max(0.0, due - time.time()))
            producer.send_async(json.dumps({"id": n, "t": time.time()}).encode(), None)
            if spin_rate and n % int(good_rate / spin_rate) == 0:
                producer.send_async(json.dumps({"spin": True}).encode(), None)
            n += 1
        sent[0] = n
        producer.flush()

    sender = threading.Thread(target=send)
    sender.start()
    end = time.time() + seconds + 2
    while time.time() < end:
        try:
            msg = consumer.receive(timeout_millis=200)
        except Exception:
            continue
        consumer.acknowledge(msg)
        body = json.loads(msg.data())
        if "t" in body:
            latencies.append((time.time() - body["t"]) * 1000)
    sender.join()
    client.close()
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")
    return len(latencies), sent[0], pct(0.5), pct(0.99), latencies[-1] if latencies else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--good-rate", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        rb.build()
    with tempfile.TemporaryDirectory() as work:
        broker = rb.Broker(work)
        rows = []
        try:
            for spin_rate in (0, 1):
                name = f"spin{spin_rate}"
                proc = start_runner(work, broker.url, name)
                rows.append((spin_rate, *measure(broker.url, name, args.good_rate, spin_rate, args.seconds)))
                proc.kill()
                proc.wait()
        finally:
            broker.stop()
    base = rows[0][1] / rows[0][2]
    print(f"\n### One spinning message a second ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{args.good_rate:.0f} good msg/s for {args.seconds:.0f} s, maxProcessingMs 10 s)\n")
    print("| spinning msg/s | good received / sent | share of the baseline | latency p50 / p99 / max (ms) |")
    print("|---:|---:|---:|---:|")
    for spin, got, sent, p50, p99, top in rows:
        print(f"| {spin} | {got:,} / {sent:,} | {got / sent / base:.1%} | {p50:.1f} / {p99:.1f} / {top:.1f} |")


if __name__ == "__main__":
    main()
