"""The long fuzz run: many mutated inputs per reader; every outcome must be a result or one
``MlpkitError``.

    python benchmarks/fuzz.py --inputs 100000 --workers 2

Each reader (``tests/bad_inputs/fuzzing.py``'s targets) gets ``--inputs`` inputs: its valid
seed file under 1 to 8 random mutations (bit flips, set bytes, inserted tokens, deleted spans,
truncation, duplication), one in ten pure random bytes. An input is a finding if it raises
anything else, runs past ``--hang-seconds`` (SIGALRM), or grows the process past
``--memory-gib`` of address space (a MemoryError). Findings are written under ``--findings``
to replay with the same target. Prints a Markdown table for RESULTS.md.
"""

from __future__ import annotations

import argparse
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # tests.bad_inputs.fuzzing

from tests.bad_inputs import fuzzing  # noqa: E402


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def draw(rng: random.Random, seed: bytes) -> bytes:
    if rng.random() < 0.1:
        return rng.randbytes(rng.randrange(0, 2 * len(seed) + 1))
    ops = [(rng.randrange(fuzzing.OPS), rng.randrange(1 << 20), rng.randrange(256))
           for _ in range(rng.randrange(1, 9))]
    return fuzzing.mutate(seed, ops)


def fuzz(name: str, inputs: int, rng_seed: int, hang_seconds: int, memory_gib: float,
         findings_dir: str) -> dict:
    """One reader's run in a worker process: counts, the slowest input, findings."""
    limit = int(memory_gib * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    scratch = Path(tempfile.mkdtemp(prefix=f"fuzz-{name}-"))
    seeds = fuzzing.seed_files(scratch / "seeds")
    seed = seeds[fuzzing.TARGETS[name][1]]
    rng = random.Random(f"{rng_seed}:{name}")
    counts = {"read": 0, "refused": 0, "finding": 0}
    slowest, found = 0.0, []
    started = time.perf_counter()
    for number in range(inputs):
        data = draw(rng, seed)
        began = time.perf_counter()
        signal.alarm(hang_seconds)
        try:
            counts[fuzzing.outcome(name, data, scratch, seeds)] += 1
        except (Exception, Hang) as exc:        # a finding: keep the bytes and the place
            counts["finding"] += 1
            place = traceback.extract_tb(exc.__traceback__)[-1]
            found.append(f"{name} #{number}: {type(exc).__name__}: {str(exc)[:200]} "
                         f"({Path(place.filename).name}:{place.lineno})")
            path = Path(findings_dir) / f"{name}-{number}.bin"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        finally:
            signal.alarm(0)
        slowest = max(slowest, time.perf_counter() - began)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"name": name, **counts, "inputs": inputs, "slowest_s": slowest,
            "mean_ms": 1000 * (time.perf_counter() - started) / inputs, "peak_rss_mib": peak_mib,
            "findings": found[:20]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="inputs per reader")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--targets", nargs="+", default=list(fuzzing.TARGETS),
                        choices=list(fuzzing.TARGETS))
    parser.add_argument("--hang-seconds", type=int, default=10)
    parser.add_argument("--memory-gib", type=float, default=6.0)
    parser.add_argument("--findings", default="fuzz-findings")
    args = parser.parse_args()
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        jobs = [pool.submit(fuzz, name, args.inputs, args.seed, args.hang_seconds,
                            args.memory_gib, args.findings) for name in args.targets]
        results = [job.result() for job in jobs]
    print("| reader | inputs | read | refused (one MlpkitError) | findings | mean ms | "
          "slowest s | peak RSS MiB |\n|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['name']} | {r['inputs']} | {r['read']} | {r['refused']} | {r['finding']} | "
              f"{r['mean_ms']:.1f} | {r['slowest_s']:.2f} | {r['peak_rss_mib']:.0f} |")
    for r in results:
        for line in r["findings"]:
            print("finding:", line)
    print(f"total {time.perf_counter() - started:.0f} s, "
          f"{sum(r['inputs'] for r in results)} inputs, "
          f"{sum(r['finding'] for r in results)} findings")


if __name__ == "__main__":
    main()
