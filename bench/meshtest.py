#!/usr/bin/env python3
"""`fmc test` throughput against the runner on a broker, in one run.

A five-stage native mesh (each stage a jq function, every topic typed with a
JSON schema, so each message is checked at every edge) is driven by one test
case that sends N messages; `fmc test` runs every stage in-process with the
runner's own jq engine. The baseline is one such jq stage as fmc-runner runs it
in a pod (the configuration `fmc build` renders, its evaluator child, at least
once) on pulsar-lite behind the relay, draining a backlog of N messages: what
one message costs through one stage on a broker, against through five stages
in a test.

  fmc test    wall time of `fmc test DIR` (release build), median of REPEAT;
              messages/s = N / time, stage calls/s = 5 N / time
  runner      msg/s of one jq stage on the broker (bench/runner.py's method:
              time until the broker counted N messages on the output topic)

usage: bench/meshtest.py [--n N] [--repeat R] [--no-build]
"""
import argparse, os, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner as rb  # noqa: E402  (bench/runner.py: broker, relay, runner binaries)

ROOT = rb.ROOT
FMC = os.path.join(ROOT, "target", "release", "fmc")
STAGES = 5
PROGRAM = "{id, v, n: ((.n // 0) + 1)}"


def mesh(stages):
    topics = "\n".join(f"    t{i}: {{schema: Msg{', external: true' if i in (0, stages) else ''}}}" for i in range(stages + 1))
    functions = "\n".join(
        f"    stage{i}:\n      runtime: native\n      jq: '{PROGRAM}'\n      inputs: [t{i}]\n      output: t{i + 1}"
        for i in range(stages))
    return f"""apiVersion: fmc.functionmesh.io/v1alpha1
kind: Mesh
metadata: {{name: bench, namespace: bench}}
spec:
  defaults:
    resources:
      requests: {{cpu: 50m, memory: 32Mi}}
      limits: {{cpu: 500m, memory: 64Mi}}
  clusters:
    local: {{brokerServiceUrl: 'pulsar://127.0.0.1:6650', webServiceUrl: 'http://127.0.0.1:8080'}}
  schemas:
    Msg:
      type: JSON
      definition: {{type: record, name: Msg, fields: [{{name: id, type: long}}, {{name: v, type: string}}, {{name: n, type: ["null", long], default: null}}]}}
  topics:
{topics}
  functions:
{functions}
"""


def tests(n):
    sends = "\n".join(f"        - {{topic: t0, value: {{id: {i}, v: msg-{i}-{'x' * 70}}}}}" for i in range(n))
    # One message: its result is checked; N messages: the run itself is measured.
    expect = f"      expect:\n        t{STAGES}:\n          - jq: '.n == {STAGES}'\n" if n == 1 else ""
    return f"""apiVersion: fmc.functionmesh.io/v1alpha1
kind: MeshTest
metadata: {{name: bench}}
spec:
  tests:
    - name: {n} messages through {STAGES} stages
      send:
{sends}
{expect}"""


def time_fmc_test(folder, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([FMC, "test", folder], capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if out.returncode != 0 or "1 passed, 0 failed" not in out.stdout:
            sys.exit(f"fmc test failed:\n{out.stdout}\n{out.stderr}")
    return times


def runner_stage(broker, work, n, run):
    """One jq stage as fmc-runner runs it in a pod, draining the backlog: msg/s."""
    out, sub = f"out-jq-{run}", f"sub-jq-{run}"
    runner = rb.Runner(work, broker.url, sub, "backlog", out, function={"jq": {"program": PROGRAM}})
    runner.wait_ready()
    rate, _ = rb.drain_measured(broker, runner.proc, out, n)
    return rate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--locked", "--quiet", "--release", "--bin", "fmc"], cwd=ROOT, check=True)
        rb.build()
    work = tempfile.mkdtemp(prefix="fmc-meshtest-bench-")
    folder = os.path.join(work, "mesh")
    os.makedirs(folder)
    with open(os.path.join(folder, "mesh.yaml"), "w") as f:
        f.write(mesh(STAGES))
    with open(os.path.join(folder, "mesh.test.yaml"), "w") as f:
        f.write(tests(args.n))
    # The fixed cost: the same mesh and file with one message.
    one = os.path.join(work, "one")
    os.makedirs(one)
    with open(os.path.join(one, "mesh.yaml"), "w") as f:
        f.write(mesh(STAGES))
    with open(os.path.join(one, "mesh.test.yaml"), "w") as f:
        f.write(tests(1))
    fixed = statistics.median(time_fmc_test(one, args.repeat))
    full = time_fmc_test(folder, args.repeat)
    seconds = statistics.median(full)

    broker = rb.Broker(work)
    try:
        subprocess.run([rb.PY, rb.CLIENTS, "preload-json", broker.url, rb.topic("backlog"), str(args.n)], check=True)
        stage = statistics.median(runner_stage(broker, work, args.n, run) for run in range(args.repeat))
    finally:
        broker.stop()

    through = args.n / seconds
    print(f"\n### `fmc test` ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores; {args.n:,} messages of ~100 B "
          f"through {STAGES} jq stages, JSON schema checked at every edge; median of {args.repeat})\n")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| `fmc test`, whole process | {seconds * 1000:,.0f} ms (one message: {fixed * 1000:,.0f} ms) |")
    print(f"| messages/s through all {STAGES} stages, in-process | {through:,.0f} |")
    print(f"| stage calls/s | {through * STAGES:,.0f} |")
    print(f"| baseline: one jq stage on the broker (fmc-runner, evaluator child, at least once) | {stage:,.0f} msg/s |")
    print(f"| {STAGES} stages in a test ÷ one stage on the broker | {through / stage:.1f}× |")
    print("\nper run (s): " + ", ".join(f"{t:.2f}" for t in full))


if __name__ == "__main__":
    main()
