#!/usr/bin/env python3
"""One-line flow collections against block style, same data (hostile-input issue).

Builds a ConfigMap-like pass-through object whose `x` is a sequence of N items,
written once as a single-line flow sequence `[a, b, …]` and once in block style
(`- a` per line), both as ASCII and with a non-ASCII character in every item, and
times `fmc build` (release) over each: parsing must be linear in the input size
whatever the style. Prints a Markdown table; BENCHMARKS.md holds the last run.

usage: bench/yaml_flow.py [MEGABYTES]     (default: 6)
"""
import os, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FMC = os.path.join(ROOT, "target", "release", "fmc")
HEAD = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: "1"}\n'


def documents(megabytes):
    for label, item in (("ASCII", "item-{}"), ("non-ASCII", "\"é-{}\"")):
        n, size, items = 0, 0, []
        while size < megabytes * 1_000_000:
            s = item.format(n)
            items.append(s)
            size += len(s.encode()) + 2
            n += 1
        yield f"flow, one line, {label}", HEAD + "x: [" + ", ".join(items) + "]\n", n
        yield f"block, {label}", HEAD + "x:\n" + "".join(f"- {s}\n" for s in items), n


def median_time(path, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([FMC, "build", path], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 6
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "fmc"], cwd=ROOT, check=True)
    print(f"| input ({megabytes:g} MB) | items | fmc build (median of 3) |")
    print("|---|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for label, text, n in documents(megabytes):
            path = os.path.join(tmp, "in.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print(f"| {label} | {n:,} | {median_time(path):.2f} s |")


if __name__ == "__main__":
    main()
