#!/usr/bin/env python3
"""Benchmark of fmc-runner against the baselines issue 5 names, in one run.

Everything runs on loopback against one broker: pulsar-lite (from the project's
venv, scripts/setup.sh) behind fmc-pulsar-relay (the `pulsar` crate needs the
checksums pulsar-lite leaves out; every contender goes through the relay), or
with `--broker apache` Apache Pulsar's standalone (scripts/pulsar-standalone.sh,
an instance of the benchmark's own), reached directly.
Binaries are the image build: static (crt-static), profile `runner-image`.

  throughput  an identity function draining a backlog of N 100-byte messages,
              at least once (ack after the output receipt), for
                - fmc-runner (`identity`),
                - raw-pulsar-loop (runner/examples: the plainest loop over the
                  same `pulsar` crate with the runner's settings),
                - the official Python client (pulsar-client) loop, unbatched output
                  (like for like) and with the client's default output batching;
              time from "ready" until the broker counted N messages on the
              output topic (its own metric, so no observer competes for CPU);
              median of REPEAT runs, each on its own subscription and output
  latency     producer -> runner -> consumer at a fixed rate, p50/p99
  idle RSS    the runner connected and subscribed, no traffic
  start       process start to /readyz = 200 (broker up), median of 10
  size        the static binary

usage: bench/runner.py [--n N] [--repeat R] [--rate MSG_PER_S] [--broker lite|apache] [--no-build]
"""
import argparse, json, os, re, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = "x86_64-unknown-linux-gnu"
OUT = os.path.join(ROOT, "target", TARGET, "runner-image")
RUNNER = os.path.join(OUT, "fmc-runner")
RELAY = os.path.join(OUT, "fmc-pulsar-relay")
RAW = os.path.join(OUT, "examples", "raw-pulsar-loop")
PY = os.path.join(ROOT, ".venv", "bin", "python")
CLIENTS = os.path.join(ROOT, "bench", "pulsar_clients.py")


def pulsar_lite():
    lib = os.path.join(ROOT, ".venv", "lib")
    for d in sorted(os.listdir(lib)):
        p = os.path.join(lib, d, "site-packages", "pulsar_lite", "bin", "pulsar-lite")
        if os.path.exists(p):
            return p
    sys.exit("pulsar-lite not installed: run scripts/setup.sh")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit(f"nothing listens on {port}")


def build():
    env = dict(os.environ, RUSTFLAGS="-C target-feature=+crt-static")
    cmd = ["cargo", "build", "--locked", "--quiet", "--profile", "runner-image", "--target", TARGET, "-p", "fmc-runner",
           "--bin", "fmc-runner", "--bin", "fmc-pulsar-relay", "--example", "raw-pulsar-loop"]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


class Broker:
    def __init__(self, work):
        self.port, self.metrics, relay_port = free_port(), free_port(), free_port()
        conf = os.path.join(work, "lite.toml")
        with open(conf, "w") as f:
            f.write(f'[metrics]\naddr = "127.0.0.1:{self.metrics}"\n')
        self.proc = subprocess.Popen([pulsar_lite(), "--config", conf, "--addr", f"127.0.0.1:{self.port}",
                                      "--db-path", os.path.join(work, "db"), "--log-level", "warn"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(self.port)
            self.relay = subprocess.Popen([RELAY, f"127.0.0.1:{relay_port}", f"127.0.0.1:{self.port}"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(relay_port)
        except BaseException:
            # No relay (not built, or it did not start): pulsar-lite must not outlive the bench.
            self.proc.terminate()
            self.proc.wait()
            raise
        self.url = f"pulsar://127.0.0.1:{relay_port}"

    name = "pulsar-lite"

    def in_messages(self, topic):
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics", timeout=5).read().decode()
        m = re.search(r'^pulsar_in_messages_total\{[^}]*topic="' + re.escape(topic) + r'"[^}]*\} (\d+)', text, re.M)
        return int(m.group(1)) if m else 0

    def stop(self):
        for p in (self.relay, self.proc):
            p.terminate()
            p.wait()


class ApachePulsar:
    """Apache Pulsar's standalone (one JVM: broker, bookie, metadata store),
    started by scripts/pulsar-standalone.sh as an instance of the benchmark's
    own; no relay (it checksums its frames). Its counter: the topic's stats."""

    name = "Apache Pulsar"

    def __init__(self, work):
        self.port, self.web = free_port(), free_port()
        self.env = dict(os.environ, FMC_PULSAR_INSTANCE="bench", FMC_PULSAR_BROKER_PORT=str(self.port),
                        FMC_PULSAR_WEB_PORT=str(self.web), FMC_PULSAR_BOOKIE_PORT=str(free_port()))
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "pulsar-standalone.sh"), "start"], env=self.env,
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(ROOT, ".pulsar", "run", "bench", "pid")) as f:
            self.proc = Pid(int(f.read()))
        self.relay = None
        self.url = f"pulsar://127.0.0.1:{self.port}"

    def in_messages(self, topic):
        url = f"http://127.0.0.1:{self.web}/admin/v2/persistent/public/default/{topic}/stats"
        try:
            return json.load(urllib.request.urlopen(url, timeout=5)).get("msgInCounter", 0)
        except urllib.error.HTTPError:
            return 0

    def stop(self):
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "pulsar-standalone.sh"), "stop"], env=self.env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Pid:
    def __init__(self, pid):
        self.pid = pid


def start_broker(kind, work):
    return ApachePulsar(work) if kind == "apache" else Broker(work)


def topic(name):
    return f"persistent://public/default/{name}"


def http_status(port, path):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1).status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


class Runner:
    """fmc-runner with a configuration as `fmc build` renders it."""

    def __init__(self, work, url, name, inp, out, position="earliest", function=None, binary=RUNNER, extra=None):
        self.http = free_port()
        conf = {"tenant": "public", "namespace": "default", "name": name, "serviceUrl": url, "inputs": [topic(inp)],
                "output": topic(out), "subscriptionPosition": position, "function": function or {"identity": {}},
                "httpAddr": f"127.0.0.1:{self.http}", **(extra or {})}
        path = os.path.join(work, f"{name}.json")
        with open(path, "w") as f:
            json.dump(conf, f)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([binary, "--config", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_ready(self, timeout=20):
        end = time.perf_counter() + timeout
        while http_status(self.http, "/readyz") != 200:
            if time.perf_counter() > end:
                sys.exit("runner not ready")
            time.sleep(0.001)
        return time.perf_counter() - self.started

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait()


def start_line_process(cmd):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if proc.stdout.readline().strip() != "ready":
        sys.exit(f"not ready: {cmd}")
    return proc


def drain(broker, out, n, start):
    """Seconds from `start` until the broker counted n messages on `out`."""
    while broker.in_messages(out) < n:
        time.sleep(0.05)
    return time.perf_counter() - start


def cpu_seconds(pid):
    """User + system CPU time of a process (all its threads), in seconds (0
    for none: no relay in front of Apache Pulsar)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(broker, work, contender, run, n):
    """(msg/s, contender CPU µs per message, broker + relay CPU µs per message)."""
    out, sub = f"out-{contender}-{run}", f"sub-{contender}-{run}"
    if contender == "fmc-runner":
        r = Runner(work, broker.url, sub, "backlog", out)
        r.wait_ready()
        proc = r.proc
    else:
        if contender == "raw-pulsar-loop":
            cmd = [RAW, broker.url, topic("backlog"), topic(out), sub]
        else:
            batching = "on" if contender.endswith("batched") else "off"
            cmd = [PY, CLIENTS, "loop", broker.url, topic("backlog"), topic(out), sub, batching]
        proc = start_line_process(cmd)
    rate, used = drain_measured(broker, proc, out, n)
    return rate, used[0], used[1], used[2]


def drain_measured(broker, proc, out, n):
    """Runs the ready contender `proc` until the broker counted n messages on
    `out`, then ends it: (msg/s, [its, the broker's, the relay's CPU µs per
    message])."""
    pids = [proc.pid, broker.proc.pid, broker.relay.pid if broker.relay else None]
    cpu0 = [cpu_seconds(p) for p in pids]
    seconds = drain(broker, out, n, time.perf_counter())
    cpu1 = [cpu_seconds(p) for p in pids]
    proc.kill()
    proc.wait()
    return n / seconds, [(b - a) * 1e6 / n for a, b in zip(cpu0, cpu1)]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rate", type=float, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--broker", choices=["lite", "apache"], default="lite")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        build()
    work = tempfile.mkdtemp(prefix="fmc-runner-bench-")
    broker = start_broker(args.broker, work)
    try:
        report(broker, work, args)
    finally:
        broker.stop()


def report(broker, work, args):
    print(f"preloading {args.n:,} messages of 100 B ...", file=sys.stderr)
    subprocess.run([PY, CLIENTS, "preload", broker.url, topic("backlog"), str(args.n), "100"], check=True)
    contenders = ["raw-pulsar-loop", "fmc-runner", "python", "python-batched"]
    rates = {c: [] for c in contenders}
    client_cpu = {c: [] for c in contenders}
    broker_cpu = {c: [] for c in contenders}
    for run in range(args.repeat):
        for c in contenders:
            rate, client, brokers, relay = throughput(broker, work, c, run, args.n)
            rates[c].append(rate)
            client_cpu[c].append(client)
            broker_cpu[c].append((brokers, relay))
            print(f"  run {run + 1}: {c:16} {rate:>9,.0f} msg/s  CPU/msg {client:5.1f} µs, broker {brokers:5.1f} µs, "
                  f"relay {relay:5.1f} µs", file=sys.stderr)
    median = {c: statistics.median(v) for c, v in rates.items()}
    cpu = {c: (statistics.median(client_cpu[c]), statistics.median(b for b, _ in broker_cpu[c]),
               statistics.median(r for _, r in broker_cpu[c])) for c in contenders}

    r = Runner(work, broker.url, "paced", "paced-in", "paced-out", position="latest")
    r.wait_ready()
    paced = subprocess.run([PY, CLIENTS, "paced", broker.url, topic("paced-in"), topic("paced-out"), str(args.rate),
                            str(args.seconds)], check=True, capture_output=True, text=True).stdout.split()
    p50, p99, received, sent = float(paced[0]), float(paced[1]), int(paced[2]), int(paced[3])
    time.sleep(2)
    idle_rss = rss_mb(r.proc.pid)
    r.stop()
    raw = start_line_process([RAW, broker.url, topic("idle-in"), topic("idle-out"), "idle"])
    time.sleep(2)
    raw_rss = rss_mb(raw.pid)
    raw.kill()
    raw.wait()

    starts, direct = [], []
    for i in range(10):
        s = Runner(work, broker.url, f"start-{i}", "start-in", "start-out")
        starts.append(s.wait_ready() * 1000)
        s.stop()
        # Readiness needs no message frames, so the runner can also reach
        # pulsar-lite without the relay: what a pod sees with a real broker.
        s = Runner(work, f"pulsar://127.0.0.1:{broker.port}", f"direct-{i}", "start-in", "start-out")
        direct.append(s.wait_ready() * 1000)
        s.stop()
    size = os.path.getsize(RUNNER) / 1e6
    kind = subprocess.run(["file", "-b", RUNNER], capture_output=True, text=True).stdout
    static = "static" in kind

    cores = os.cpu_count()
    print(f"\n### Runner on {broker.name} ({time.strftime('%Y-%m-%d')}, {cores} cores shared by broker, relay and clients; "
          f"{args.n:,} x 100 B, median of {args.repeat})\n")
    print("| contender | msg/s | runner ÷ contender | goal | its CPU µs/msg | broker CPU µs/msg | relay CPU µs/msg |")
    print("|---|---:|---:|---|---:|---:|---:|")
    goals = {"raw-pulsar-loop": "≥ 0.90", "python": "≥ 1.8", "python-batched": ""}
    print(f"| fmc-runner (identity) | {median['fmc-runner']:,.0f} | | | {cpu['fmc-runner'][0]:.1f} | {cpu['fmc-runner'][1]:.1f} | {cpu['fmc-runner'][2]:.1f} |")
    for c in ["raw-pulsar-loop", "python", "python-batched"]:
        label = {"raw-pulsar-loop": "raw `pulsar`-crate loop", "python": "Python client loop, unbatched output",
                 "python-batched": "Python client loop, default batching"}[c]
        print(f"| {label} | {median[c]:,.0f} | {median['fmc-runner'] / median[c]:.2f}× | {goals[c]} | "
              f"{cpu[c][0]:.1f} | {cpu[c][1]:.1f} | {cpu[c][2]:.1f} |")
    print("\n| measure | value | goal |")
    print("|---|---:|---|")
    print(f"| latency at {args.rate:,.0f} msg/s, p50 / p99 (producer → runner → consumer) | "
          f"{p50:.2f} / {p99:.2f} ms ({received:,} of {sent:,} received) | |")
    print(f"| idle RSS, connected and subscribed | {idle_rss:.1f} MB (raw loop: {raw_rss:.1f} MB) | < 20 MB |")
    print(f"| start → ready (/readyz 200), median of 10, straight to the broker | {statistics.median(direct):.1f} ms "
          f"(min {min(direct):.1f}, max {max(direct):.1f}) | < 100 ms |")
    print(f"| start → ready through the test relay | {statistics.median(starts):.1f} ms "
          f"(min {min(starts):.1f}, max {max(starts):.1f}) | |")
    print(f"| static binary (`runner-image` profile) | {size:.2f} MB, {'static' if static else 'NOT static'} | |")
    print("\nper run (msg/s): " + "; ".join(f"{c} " + ", ".join(f"{v:,.0f}" for v in rates[c]) for c in contenders))


if __name__ == "__main__":
    main()
