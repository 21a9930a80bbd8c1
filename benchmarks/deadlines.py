"""Benchmark: 100,000 deadline computations across 2024-2027.

Three ways to compute the same deadlines, timed in the same run (median of ``--rounds``):

- ``facade``   — ``policy.deadline(kind, start)``: validation + pluggy dispatch + parameters;
- ``direct``   — the profile's hook function called directly (no facade, no dispatch):
                 the baseline that makes the dispatch cost visible;
- ``day_loop`` — a naive loop stepping one day at a time through ``is_working_day``: what
                 the indexed calendar saves (run on a tenth of the calls and scaled);
- ``far``      — ``policy.add_working_days(start, 250)`` through the facade: a deadline a
                 working year away costs the same as one three days away.

Usage: ``python benchmarks/deadlines.py [--calls 100000] [--rounds 5] [--profile taipei]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import time

import appgov_plugin
from appgov_plugin.hooks import defaults
from appgov_plugin.policy import DEADLINE_KINDS


def workload(calls: int, seed: int = 2026) -> list[tuple[str, dt.date]]:
    rng = random.Random(seed)
    first = dt.date(2024, 1, 1).toordinal()
    last = dt.date(2027, 12, 31).toordinal()
    kinds = list(DEADLINE_KINDS)
    return [
        (rng.choice(kinds), dt.date.fromordinal(rng.randint(first, last))) for _ in range(calls)
    ]


def day_loop(policy, kind, start):
    length, mode = policy.param(f"deadline.{kind}", as_of=start)
    if mode != "working_days":
        return policy.deadline(kind, start)
    day, left = start, length
    while left:
        day += dt.timedelta(days=1)
        if policy.calendar.is_working_day(day):
            left -= 1
    return day


def timed(fn, jobs) -> float:
    started = time.perf_counter()
    for kind, start in jobs:
        fn(kind, start)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", default="taipei")
    args = parser.parse_args()

    policy = appgov_plugin.get_policy(args.profile)
    jobs = workload(args.calls)
    loop_jobs = jobs[: max(1, args.calls // 10)]
    way = {
        "facade": (policy.deadline, jobs),
        "direct": (lambda kind, start: defaults.appgov_deadline(policy, kind, start), jobs),
        "day_loop": (lambda kind, start: day_loop(policy, kind, start), loop_jobs),
        "far": (lambda kind, start: policy.add_working_days(start, 250), jobs),
    }
    # same answers first: the three ways must agree
    for kind, start in loop_jobs[:2000]:
        answers = {name: fn(kind, start) for name, (fn, _) in way.items() if name != "far"}
        assert len(set(answers.values())) == 1, (kind, start, answers)

    per_call = {name: [] for name in way}
    for _ in range(args.rounds):
        for name, (fn, batch) in way.items():
            per_call[name].append(timed(fn, batch) / len(batch) * 1e6)
    median = {name: statistics.median(values) for name, values in per_call.items()}

    print(f"python {platform.python_version()} on {platform.machine()}, profile {args.profile}")
    print(f"{args.calls:,} deadlines across 2024-2027, median of {args.rounds} rounds")
    print(f"{'way':<10} {'µs/call':>9} {'× direct':>9}")
    for name in way:
        print(f"{name:<10} {median[name]:>9.2f} {median[name] / median['direct']:>9.2f}")
    print(f"dispatch cost (facade - direct): {median['facade'] - median['direct']:.2f} µs/call")


if __name__ == "__main__":
    main()
