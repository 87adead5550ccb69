"""More sweep workers on one PostgreSQL study: throughput, and what a killed worker costs.

    python benchmarks/sweep_postgres.py --workers 1 2 4 --trials 16

Starts a throwaway PostgreSQL server (``tests/postgres.py``; Debian's packages and
``pip install 'mlpkit[postgres]'``). For each worker count W, W ``mlpkit sweep`` processes fill
one new study of ``--trials`` trials on digits, side by side in one run; with ``--kill``, one
worker is killed (SIGKILL) as soon as W trials run at once, and the study is finished by one
more command after the stale time. Reports wall seconds, trials per minute, failed trials,
retried trials, and draws repeated by two workers (must be 0).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from tempfile import mkdtemp

import optuna

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))      # tests.postgres

from tests import postgres  # noqa: E402

STALE = 10


def command(url: str, study: str, out: Path, trials: int) -> list[str]:
    return [sys.executable, "-m", "mlpkit", "sweep", "--dataset", "digits", "--epochs", "40",
            "--quiet", "--trials", str(trials), "--storage", url, "--study-name", study,
            "--stale-after", str(STALE), "--out", str(out)]


def trials_of(url: str, study: str) -> list:
    try:
        return optuna.load_study(study_name=study, storage=url).get_trials()
    except KeyError:
        return []


def one_study(url: str, workers: int, trials: int, kill: bool, folder: Path) -> dict:
    study = f"w{workers}{'-kill' if kill else ''}"
    started = time.perf_counter()
    processes = [subprocess.Popen(command(url, study, folder / f"{study}-{i}", trials),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for i in range(workers)]
    if kill:
        while sum(t.state.name == "RUNNING" for t in trials_of(url, study)) < workers:
            time.sleep(0.1)
        processes[-1].kill()
    codes = [p.wait() for p in processes]
    if kill:
        time.sleep(STALE)
        codes.append(subprocess.run(command(url, study, folder / f"{study}-after", trials),
                                    capture_output=True).returncode)
    seconds = time.perf_counter() - started
    found = trials_of(url, study)
    done = [t for t in found if t.state.name in ("COMPLETE", "PRUNED")]
    drawn = [t for t in found if "fixed_params" not in t.system_attrs
             and "failed_trial" not in t.system_attrs]
    return {"study": study, "codes": codes, "seconds": seconds, "done": len(done),
            "per_minute": 60 * len(done) / seconds,
            "failed": sum(t.state.name == "FAIL" for t in found),
            "retried": sum("failed_trial" in t.system_attrs for t in found),
            "repeated": len(drawn) - len({tuple(sorted(t.params.items())) for t in drawn})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--kill", type=int, default=4, help="workers in the kill run (0: none)")
    args = parser.parse_args()
    reason = postgres.unavailable()
    if reason:
        sys.exit(f"cannot run: {reason}")
    folder = Path(mkdtemp(prefix="sweep-postgres-"))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with postgres.server() as url:
        runs = [one_study(url, w, args.trials, False, folder) for w in args.workers]
        if args.kill:
            runs.append(one_study(url, args.kill, args.trials, True, folder))
    print("| study | exit codes | wall s | trials done | trials/min | failed | retried | "
          "repeated draws |\n|---|---|---|---|---|---|---|---|")
    for r in runs:
        print(f"| {r['study']} | {r['codes']} | {r['seconds']:.0f} | {r['done']} | "
              f"{r['per_minute']:.1f} | {r['failed']} | {r['retried']} | {r['repeated']} |")


if __name__ == "__main__":
    main()
