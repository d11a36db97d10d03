#!/usr/bin/env python3
"""What `--provision resources-operator` costs, and what reporting thousands of
warnings costs, on one native Mesh of N functions and N topics.

The mesh is `gen-mesh --dsl N` with its topics made the mesh's own (not
external: each is provisioned, with 2 partitions and a retention policy) and
its cluster given an existing PulsarConnection. Half the topics are read by
nothing, so the build also reports N/2 warnings (C021).

Rows, each the median of REPEAT runs (wall time, peak RSS):
  - baseline:   `fmc build -q` (errors only: no warning is rendered)
  - provision:  `fmc build -q --provision resources-operator`
  - warnings:   `fmc build` (every warning rendered for people)

usage: bench/provision.py [N] (default 10000); needs `cargo build --release
--bin fmc --example gen-mesh`.
"""
import os, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FMC = os.path.join(ROOT, "target", "release", "fmc")
GEN = os.path.join(ROOT, "target", "release", "examples", "gen-mesh")
REPEAT = 5


def run(args):
    """Median wall seconds and peak RSS (MB) of `fmc args`."""
    times, peaks = [], []
    for _ in range(REPEAT):
        out = subprocess.run(["/usr/bin/time", "-f", "%e %M", FMC, *args],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall, rss = out.stderr.strip().splitlines()[-1].split()
        times.append(float(wall))
        peaks.append(int(rss) / 1024)
    return statistics.median(times), statistics.median(peaks)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    with tempfile.TemporaryDirectory() as tmp:
        text = subprocess.run([GEN, "--dsl", str(n)], capture_output=True, text=True, check=True).stdout
        text = text.replace(", external: true, compatibility: BACKWARD}",
                            ", compatibility: BACKWARD, partitions: 2, policies: {retentionTime: 7d}}")
        text = text.replace("    prod: {pulsarConfig: pulsar-cluster}",
                            "    prod: {pulsarConfig: pulsar-cluster, pulsarConnection: prod}")
        mesh = os.path.join(tmp, "mesh.yaml")
        with open(mesh, "w") as f:
            f.write(text)
        rows = [
            ("baseline: build -q", ["build", "-q", mesh]),
            ("build -q --provision resources-operator", ["build", "-q", "--provision", "resources-operator", mesh]),
            (f"build, {n // 2} warnings rendered", ["build", mesh]),
        ]
        print(f"| N = {n} | median wall | peak RSS |")
        print("|---|---|---|")
        for name, args in rows:
            wall, rss = run(args)
            print(f"| {name} | {wall:.2f} s | {rss:.0f} MB |")


if __name__ == "__main__":
    main()
