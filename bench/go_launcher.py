#!/usr/bin/env python3
"""What `fmc-runner launch-go` adds to a Go function's start, against the
operator's way in the same run.

A Go function is one binary. The operator's container starts it with
`bash -c 'exec BINARY -instance-conf …'` (after its own downloader or an image
that holds the file); fmc's launcher (src/render/go_launcher.rs) runs
`fmc-runner launch-go`, which checks a pinned SHA-256 when there is one, makes
the file executable, fills `${SHARD_ID}` and `${brokerServiceURL}` and execs it.
Neither costs anything once the function runs, so this times start to exit of
a stand-in that exits at once: /bin/true with SIZE MiB appended (an ELF runs
with trailing bytes), so that a pin hashes as much as a real Go function's
binary (the tests' Go function is 28 MiB).

  direct    the binary alone (the floor)
  bash      the operator's `bash -c 'exec …'` with its placeholders
  launcher  `fmc-runner launch-go`, no pin
  pinned    `fmc-runner launch-go --sha256 …` (reads and hashes the file)

usage: bench/go_launcher.py [--size MIB] [--runs N] [--no-build]
"""
import argparse, hashlib, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runner as rb  # noqa: E402

CONF = '{"instanceID":"${SHARD_ID}","pulsarServiceURL":"${brokerServiceURL}","funcName":"bench"}'


def stand_in(work, mib):
    path = os.path.join(work, "function")
    shutil.copyfile(shutil.which("true"), path)
    with open(path, "ab") as f:
        f.write(b"\0" * (mib << 20))
    os.chmod(path, 0o755)
    with open(path, "rb") as f:
        return path, hashlib.sha256(f.read()).hexdigest()


def contenders(work, binary, digest):
    launch = [rb.RUNNER, "launch-go", "--instance-conf", CONF, "--binary", binary, "--work-dir", work]
    return {
        "direct": [binary, "-instance-conf", CONF],
        "bash": ["bash", "-c", f"SHARD_ID=${{POD_NAME##*-}} && exec {binary} -instance-conf '{CONF}'"],
        "launcher": launch,
        "pinned": launch + ["--sha256", digest],
    }


def time_ms(cmd, env):
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - start) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=28, help="MiB appended to the stand-in binary")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        rb.build()
    work = tempfile.mkdtemp(prefix="fmc-go-launcher-bench-")
    binary, digest = stand_in(work, args.size)
    env = dict(os.environ, POD_NAME="bench-function-0", brokerServiceURL="pulsar://127.0.0.1:6650")
    cmds = contenders(work, binary, digest)
    times = {name: [] for name in cmds}
    for _ in range(args.runs):
        for name, cmd in cmds.items():  # interleaved: the page cache and the CPU treat all alike
            times[name].append(time_ms(cmd, env))
    print(f"\n### Go function start → exit ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{args.size} MiB binary, median of {args.runs})\n")
    print("| contender | median ms | min ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, t in times.items():
        print(f"| {name} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} |")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
