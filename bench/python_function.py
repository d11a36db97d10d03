#!/usr/bin/env python3
"""Issue 26: a Python function in fmc-runner (the `python` feature) against
the same function in a Python loop over the official pulsar-client, in one
run, on one pulsar-lite behind the relay or (`--broker apache`) on Apache
Pulsar's standalone (bench/runner.py's harness).

The function is Pulsar's exclamation example as the engine's tests hold it
(python/tests/functions/exclamation.py). The loop is the upstream Python
instance's shape at its floor: consume, IdentitySerDe, process(input,
context), IdentitySerDe, produce unbatched, ack on the receipt — the upstream
instance adds a queue, threads, gRPC and metrics on top.

  throughput  draining a backlog of N 100-byte text messages at least once,
              median of REPEAT runs (msg/s, and CPU µs per message of the
              contender, the broker and the relay); on Apache Pulsar after an
              untimed drain by each (JIT warm-up), the order alternating
  start       process start to /readyz 200 (runner), median of 10
  idle RSS    connected and subscribed, no traffic

usage: bench/python_function.py [--n N] [--repeat R] [--broker lite|apache] [--no-build]
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


def start_runner(work, url, name, inp, out):
    """The runner with the exclamation function, ready: (process, ms to ready)."""
    python = {"python": {"className": CLASS, "path": os.path.join(FUNCTIONS, "exclamation.py")}}
    runner = rb.Runner(work, url, name, inp, out, function=python, binary=RUNNER)
    return runner.proc, runner.wait_ready(timeout=30) * 1000


def throughput(broker, work, contender, run, n):
    out, sub = f"out-{contender}-{run}", f"sub-{contender}-{run}"
    if contender == "fmc-runner":
        proc, _ = start_runner(work, broker.url, sub, "backlog", out)
    else:
        proc = rb.start_line_process([rb.PY, rb.CLIENTS, "function-loop", broker.url, rb.topic("backlog"),
                                      rb.topic(out), sub, FUNCTIONS, CLASS])
    return rb.drain_measured(broker, proc, out, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--broker", choices=["lite", "apache"], default="lite")
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
    subprocess.run([rb.PY, rb.CLIENTS, "preload-text", broker.url, rb.topic("backlog"), str(args.n)], check=True)
    contenders = ["fmc-runner", "python-loop"]
    runs = {c: [] for c in contenders}
    # Apache Pulsar's JIT warms up over the first ~100,000 messages: an untimed
    # drain per contender first, then each run alternates who goes first, so
    # neither always meets the colder broker.
    if broker.name == "Apache Pulsar":
        for c in contenders:
            throughput(broker, work, c, "warm-up", args.n)
    for run in range(args.repeat):
        for c in (contenders if run % 2 == 0 else contenders[::-1]):
            rate, used = throughput(broker, work, c, run, args.n)
            runs[c].append((rate, used))
            print(f"  run {run + 1}: {c:12} {rate:>8,.0f} msg/s  CPU/msg {used[0]:5.1f} µs, broker {used[1]:5.1f} µs, "
                  f"relay {used[2]:5.1f} µs", file=sys.stderr)
    med = {c: (statistics.median(r for r, _ in v), statistics.median(u[0] for _, u in v),
               statistics.median(u[1] for _, u in v), statistics.median(u[2] for _, u in v)) for c, v in runs.items()}
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
          f"and clients; {args.n:,} x 100 B, median of {args.repeat})\n")
    print("| contender | msg/s | runner ÷ contender | its CPU µs/msg | broker CPU µs/msg | relay CPU µs/msg |")
    print("|---|---:|---:|---:|---:|---:|")
    for c in contenders:
        rate, cpu, brk, rel = med[c]
        ratio = "" if c == "fmc-runner" else f"{med['fmc-runner'][0] / rate:.2f}×"
        print(f"| {c} | {rate:,.0f} | {ratio} | {cpu:.1f} | {brk:.1f} | {rel:.1f} |")
    cpu_ratio = med["fmc-runner"][1] / med["python-loop"][1]
    print(f"\nCPU per message, runner ÷ loop: {cpu_ratio:.2f}")
    print(f"start → ready (/readyz 200), median of 10, straight to the broker: {statistics.median(starts):.1f} ms "
          f"(min {min(starts):.1f}, max {max(starts):.1f})")
    print(f"idle RSS, connected and subscribed: runner {rss[0]:.1f} MB, Python loop {loop_rss:.1f} MB")
    print("\nper run (msg/s): " + "; ".join(f"{c} " + ", ".join(f"{r:,.0f}" for r, _ in v) for c, v in runs.items()))


if __name__ == "__main__":
    main()
