#!/usr/bin/env python3
"""p50/p99 of a kiln-app /metrics histogram between two scrapes.

Usage: bench-quantiles.py BEFORE AFTER METRIC
Prints `n=COUNT p50<=X p99<=Y mean=Z`: quantiles as bucket upper bounds
(what Prometheus' histogram_quantile reads), mean from _sum/_count.
"""
import re
import sys


def read(path, name):
    buckets, total, count = {}, 0.0, 0
    for line in open(path):
        m = re.match(re.escape(name) + r'_bucket\{le="([^"]+)"\} (\d+)', line)
        if m:
            buckets[float(m.group(1))] = int(m.group(2))
        elif line.startswith(name + "_sum "):
            total = float(line.split()[1])
        elif line.startswith(name + "_count "):
            count = int(line.split()[1])
    return buckets, total, count


def main():
    before, after, name = sys.argv[1:4]
    b0, s0, c0 = read(before, name)
    b1, s1, c1 = read(after, name)
    diff = sorted((le, n - b0.get(le, 0)) for le, n in b1.items())
    n = c1 - c0
    if n <= 0:
        print("n=0")
        return

    def q(p):
        for le, c in diff:
            if c >= p * n:
                return ">1s" if le == float("inf") else "%gms" % (le * 1000)
        return "?"

    print("n=%d p50<=%s p99<=%s mean=%.3fms" % (n, q(0.5), q(0.99), (s1 - s0) / n * 1000))


main()
