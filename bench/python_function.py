#!/usr/bin/env python3
"""Issue 26: a Python function in fmc-runner (the `python` feature) against
the same function in a Python loop over the official pulsar-client, in one
run, on one pulsar-lite behind the relay or (`--broker apache`) on Apache
Pulsar's standalone (bench/runner.py's harness).

The function is Pulsar's exclamation example as the engine's tests hold it
(python/tests/functions/exclamation.py). The loop is the upstream Python
instance's shape at its floor: consume, IdentitySerDe, process(input,
context), IdentitySerDe, produce (batched as the upstream instance's producer
is: up to 1000 messages, sent 10 ms after the first; --batching off for one
entry per message in both), ack on the receipt — the upstream instance adds a
queue, threads, gRPC and metrics on top. The runner runs as `fmc build`
renders a Python function (`outputBatching`).

Each input shape is its own backlog: `single` (one message per entry, the
Python client's default producer) and `batched` (as Pulsar Functions'
instances and the Java and Go clients write by default).

  throughput  draining a backlog of N 100-byte text messages at least once,
              median of REPEAT runs (msg/s, and CPU µs per message of the
              contender, the broker and the relay); on Apache Pulsar after an
              untimed drain by each (JIT warm-up), the order alternating
  start       process start to /readyz 200 (runner), median of 10
  idle RSS    connected and subscribed, no traffic

usage: bench/python_function.py [--n N] [--repeat R] [--broker lite|apache] [--no-build]
                                [--batching on|off] [--input single,batched]
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner as rb  # noqa: E402

ROOT = rb.ROOT
RUNNER = os.path.join(ROOT, "target", "runner-image", "fmc-runner")
FUNCTIONS = os.path.join(ROOT, "python", "tests", "functions")
CLASS = "exclamation.ExclamationFunction"


def build():
    # Dynamic (libpython), so not the static image build of bench/runner.py.
    cmd = ["cargo", "build", "--locked", "--quiet", "--profile", "runner-image", "-p", "fmc-runner",
           "--features", "python", "--bin", "fmc-runner"]
    subprocess.run(cmd, cwd=ROOT, check=True)


def start_runner(work, url, name, inp, out, batching="off"):
    """The runner with the exclamation function, ready: (process, ms to ready)."""
    python = {"python": {"className": CLASS, "path": os.path.join(FUNCTIONS, "exclamation.py")}}
    extra = {"outputBatching": {}} if batching == "on" else {}
    runner = rb.Runner(work, url, name, inp, out, function=python, binary=RUNNER, extra=extra)
    return runner.proc, runner.wait_ready(timeout=30) * 1000


def throughput(broker, work, contender, run, args, shape):
    out, sub, backlog = f"out-{shape}-{contender}-{run}", f"sub-{shape}-{contender}-{run}", f"backlog-{shape}"
    if contender == "fmc-runner":
        proc, _ = start_runner(work, broker.url, sub, backlog, out, args.batching)
    else:
        proc = rb.start_line_process([rb.PY, rb.CLIENTS, "function-loop", broker.url, rb.topic(backlog),
                                      rb.topic(out), sub, FUNCTIONS, CLASS, args.batching])
    return rb.drain_measured(broker, proc, out, args.n)


# How the backlog is written: one message per entry, or batched as Pulsar
# Functions' instances (and the Java and Go clients, by default) write.
BATCHED_WRITER = {"single": "off", "batched": "on"}


def measure(broker, work, args, shape, contenders):
    """Medians per contender over the runs, and the runs' rates."""
    runs = {c: [] for c in contenders}
    # Apache Pulsar's JIT warms up over the first ~100,000 messages: an untimed
    # drain per contender first, then each run alternates who goes first, so
    # neither always meets the colder broker.
    if broker.name == "Apache Pulsar":
        for c in contenders:
            throughput(broker, work, c, "warm-up", args, shape)
    for run in range(args.repeat):
        for c in (contenders if run % 2 == 0 else contenders[::-1]):
            rate, used = throughput(broker, work, c, run, args, shape)
            runs[c].append((rate, used))
            print(f"  {shape} input, run {run + 1}: {c:12} {rate:>8,.0f} msg/s  CPU/msg {used[0]:5.1f} µs, "
                  f"broker {used[1]:5.1f} µs, relay {used[2]:5.1f} µs", file=sys.stderr)
    med = {c: (statistics.median(r for r, _ in v), statistics.median(u[0] for _, u in v),
               statistics.median(u[1] for _, u in v), statistics.median(u[2] for _, u in v)) for c, v in runs.items()}
    return med, {c: [r for r, _ in v] for c, v in runs.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--broker", choices=["lite", "apache"], default="lite")
    ap.add_argument("--batching", choices=["off", "on"], default="on",
                    help="output batching in both contenders (on, as the upstream Python instance and fmc build's "
                         "rendering: 1000 messages / 10 ms)")
    ap.add_argument("--input", default="single,batched",
                    help="backlog shapes, comma-separated: single (one message per entry), batched (as an upstream "
                         "function writes)")
    args = ap.parse_args()
    if not args.no_build:
        build()
    work = tempfile.mkdtemp(prefix="fmc-python-bench-")
    broker = rb.start_broker(args.broker, work)
    try:
        report(broker, work, args)
    finally:
        broker.stop()


def report(broker, work, args):
    contenders = ["fmc-runner", "python-loop"]
    shapes = args.input.split(",")
    med, per_run = {}, {}
    for shape in shapes:
        writer = ["preload-text", broker.url, rb.topic(f"backlog-{shape}"), str(args.n), BATCHED_WRITER[shape]]
        subprocess.run([rb.PY, rb.CLIENTS, *writer], check=True)
        med[shape], per_run[shape] = measure(broker, work, args, shape, contenders)
    starts, rss = [], []
    for i in range(10):
        proc, ms = start_runner(work, f"pulsar://127.0.0.1:{broker.port}", f"start-{i}", "start-in", "start-out")
        starts.append(ms)
        if i == 0:
            time.sleep(2)
            rss.append(rb.rss_mb(proc.pid))
        proc.kill()
        proc.wait()
    loop = rb.start_line_process([rb.PY, rb.CLIENTS, "function-loop", broker.url, rb.topic("idle-in"),
                                  rb.topic("idle-out"), "idle", FUNCTIONS, CLASS])
    time.sleep(2)
    loop_rss = rb.rss_mb(loop.pid)
    loop.kill()
    loop.wait()
    print(f"\n### Python exclamation on {broker.name} ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores shared by broker, relay "
          f"and clients; {args.n:,} x 100 B, median of {args.repeat}; output batching {args.batching})\n")
    print("| input | contender | msg/s | runner ÷ loop | its CPU µs/msg | runner ÷ loop | broker CPU µs/msg | relay CPU µs/msg |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for shape in shapes:
        m = med[shape]
        for c in contenders:
            rate, cpu, brk, rel = m[c]
            ratios = ("", "") if c == "fmc-runner" else (f"{m['fmc-runner'][0] / rate:.2f}×", f"{m['fmc-runner'][1] / cpu:.2f}×")
            print(f"| {shape} | {c} | {rate:,.0f} | {ratios[0]} | {cpu:.1f} | {ratios[1]} | {brk:.1f} | {rel:.1f} |")
    print(f"\nstart → ready (/readyz 200), median of 10, straight to the broker: {statistics.median(starts):.1f} ms "
          f"(min {min(starts):.1f}, max {max(starts):.1f})")
    print(f"idle RSS, connected and subscribed: runner {rss[0]:.1f} MB, Python loop {loop_rss:.1f} MB")
    for shape in shapes:
        runs = per_run[shape]
        print(f"\nper run, {shape} input (msg/s): " + "; ".join(f"{c} " + ", ".join(f"{r:,.0f}" for r in v) for c, v in runs.items()))


if __name__ == "__main__":
    main()
