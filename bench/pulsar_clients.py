#!/usr/bin/env python3
"""The official Python client's side of bench/runner.py (pulsar-client, from the
project's venv).

  preload URL TOPIC N SIZE        send N messages of SIZE bytes (unbatched), exit
  loop URL IN OUT SUB BATCHING    the at-least-once consume -> produce loop the runner
                                  is compared with; BATCHING is "on" (the client's
                                  default) or "off"; prints "ready", runs until killed
  paced URL IN OUT RATE SECONDS   sends RATE msg/s stamped with the send time, reads
                                  OUT, prints "p50_ms p99_ms received sent"
  preload-text URL TOPIC N        N text messages of 100 B (for Python functions)
  function-loop URL IN OUT SUB DIR MODULE.CLASS
                                  the upstream Python instance's shape at its floor:
                                  consume, IdentitySerDe, process(input, context),
                                  IdentitySerDe, produce (unbatched), ack on the
                                  receipt; prints "ready", runs until killed
"""
import json, struct, sys, threading, time

import pulsar

QUIET = pulsar.ConsoleLogger(pulsar.LoggerLevel.Error)


def client(url):
    return pulsar.Client(url, logger=QUIET, operation_timeout_seconds=30)


def preload(url, topic, n, size):
    c = client(url)
    p = c.create_producer(topic, batching_enabled=False, block_if_queue_full=True, max_pending_messages=1000)
    filler = b"x" * max(0, size - 16)
    done = threading.Semaphore(0)
    for i in range(n):
        p.send_async(struct.pack(">dq", 0.0, i) + filler, lambda res, mid: done.release())
    for _ in range(n):
        done.acquire()
    p.flush()
    c.close()


def preload_json(url, topic, n):
    """N JSON messages of about 100 B, as a jq stage reads them."""
    c = client(url)
    p = c.create_producer(topic, batching_enabled=False, block_if_queue_full=True, max_pending_messages=1000)
    done = threading.Semaphore(0)
    for i in range(n):
        body = json.dumps({"id": i, "v": f"msg-{i}-" + "x" * 70}).encode()
        p.send_async(body, lambda res, mid: done.release())
    for _ in range(n):
        done.acquire()
    p.flush()
    c.close()


def loop(url, inp, out, sub, batching):
    c = client(url)
    consumer = c.subscribe(inp, sub, consumer_type=pulsar.ConsumerType.Shared, receiver_queue_size=1000,
                           initial_position=pulsar.InitialPosition.Earliest)
    producer = c.create_producer(out, batching_enabled=batching == "on", block_if_queue_full=True,
                                 max_pending_messages=1000)
    print("ready", flush=True)
    while True:
        msg = consumer.receive()

        def settle(res, _mid, msg=msg):
            if res == pulsar.Result.Ok:
                consumer.acknowledge(msg)
            else:
                consumer.negative_acknowledge(msg)

        producer.send_async(msg.data(), settle)


def preload_text(url, topic, n, batching="off"):
    c = client(url)
    # "on": written as an upstream function's output is (batches of up to 1000, 10 ms).
    p = c.create_producer(topic, batching_enabled=batching == "on", batching_max_publish_delay_ms=10,
                          block_if_queue_full=True, max_pending_messages=1000)
    done = threading.Semaphore(0)
    for i in range(n):
        p.send_async(f"msg-{i:08d}-".ljust(100, "x").encode(), lambda res, mid: done.release())
    for _ in range(n):
        done.acquire()
    p.flush()
    c.close()


def function_loop(url, inp, out, sub, folder, class_name, batching="off"):
    import importlib
    from pulsar.functions.serde import IdentitySerDe

    sys.path.insert(0, folder)
    module, _, name = class_name.rpartition(".")
    function = getattr(importlib.import_module(module), name)()
    serde = IdentitySerDe()
    c = client(url)
    consumer = c.subscribe(inp, sub, consumer_type=pulsar.ConsumerType.Shared, receiver_queue_size=1000,
                           initial_position=pulsar.InitialPosition.Earliest)
    # "on" is the upstream Python instance's output producer: batches of up to
    # 1000 messages sent 10 ms after their first.
    producer = c.create_producer(out, batching_enabled=batching == "on", batching_max_publish_delay_ms=10,
                                 block_if_queue_full=True, max_pending_messages=1000)
    print("ready", flush=True)
    while True:
        msg = consumer.receive()
        result = function.process(serde.deserialize(msg.data()), None)

        def settle(res, _mid, msg=msg):
            if res == pulsar.Result.Ok:
                consumer.acknowledge(msg)
            else:
                consumer.negative_acknowledge(msg)

        producer.send_async(serde.serialize(result), settle)


def paced(url, inp, out, rate, seconds):
    c = client(url)
    consumer = c.subscribe(out, "latency", initial_position=pulsar.InitialPosition.Latest, receiver_queue_size=1000)
    producer = c.create_producer(inp, batching_enabled=False, block_if_queue_full=True)
    total = int(rate * seconds)
    latencies = []

    def send():
        start = time.perf_counter()
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            producer.send_async(struct.pack(">dq", time.time(), i) + b"x" * 84, lambda res, mid: None)
        producer.flush()

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.time() + seconds + 10
    while len(latencies) < total and time.time() < deadline:
        try:
            msg = consumer.receive(timeout_millis=1000)
        except pulsar.Timeout:
            continue
        sent_at, _ = struct.unpack(">dq", msg.data()[:16])
        latencies.append((time.time() - sent_at) * 1000)
        consumer.acknowledge(msg)
    sender.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")
    print(f"{pick(0.5):.2f} {pick(0.99):.2f} {len(latencies)} {total}", flush=True)
    c.close()


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "preload":
        preload(args[0], args[1], int(args[2]), int(args[3]))
    elif mode == "preload-json":
        preload_json(args[0], args[1], int(args[2]))
    elif mode == "loop":
        loop(*args[:5])
    elif mode == "preload-text":
        preload_text(args[0], args[1], int(args[2]), *args[3:4])
    elif mode == "function-loop":
        function_loop(*args[:7])
    elif mode == "paced":
        paced(args[0], args[1], args[2], float(args[3]), float(args[4]))
    else:
        sys.exit(__doc__)
