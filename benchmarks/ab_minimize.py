"""Compiled solves of two versions of numopt, side by side: is a change slower?

Runs ``bench_minimize.py`` (compiled objectives) alternately in a checkout of a base
revision and in this working tree, A B A B ..., and compares numopt's time per solve case
by case: for each case the best of each side's medians, their ratio new/base, and
whether ``nit`` and ``nfev`` agree. Reported per method: the median and geometric mean of
the ratios. The base checkout is a ``git worktree`` of ``--base`` in a temporary folder,
removed afterwards.

Run from the repository root::

    PYTHONPATH=. python benchmarks/ab_minimize.py --base main~3 --rounds 2   # ~8 min
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BENCH_ARGS = ["--objectives", "compiled", "--scijit-python", "none"]


def run_side(tree, out, args):
    cmd = [sys.executable, os.path.join(tree, "benchmarks", "bench_minimize.py"), *BENCH_ARGS,
           "--methods", args.methods, "--sizes", args.sizes, "--repeat", str(args.repeat),
           "--budget", str(args.budget), "--json", out]
    env = dict(os.environ, PYTHONPATH=tree)
    subprocess.run(cmd, cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        data = json.load(f)
    return data["other_processes_cpu_share"], {r["key"]: r["numopt"]
                                               for r in data["results"]["compiled"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", required=True, help="git revision to compare against")
    ap.add_argument("--rounds", type=int, default=2, help="A B rounds (default 2)")
    ap.add_argument("--methods", default="BFGS,L-BFGS-B,CG,Nelder-Mead")
    ap.add_argument("--sizes", default="2,10,100")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--budget", type=float, default=4.0)
    ap.add_argument("--json", metavar="PATH", help="write the per-case figures here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="numopt_ab_") as tmp:
        base = os.path.join(tmp, "base")
        subprocess.run(["git", "-C", REPO, "worktree", "add", "--detach", base, args.base],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            sides = {"base": [], "new": []}
            for k in range(args.rounds):
                for name, tree in (("base", base), ("new", REPO)):
                    share, rows = run_side(tree, os.path.join(tmp, f"{name}{k}.json"), args)
                    sides[name].append(rows)
                    print(f"# {name} round {k + 1}: other processes {share:.0%} of the CPU")
        finally:
            subprocess.run(["git", "-C", REPO, "worktree", "remove", "--force", base],
                           check=False)
    report(sides, args.json)


def report(sides, path):
    ratios, cases = {}, []
    print("| case | base us | new us | new/base | same nit, nfev |")
    print("| --- | --- | --- | --- | --- |")
    for key in sides["base"][0]:
        b = min(r[key]["median_s"] for r in sides["base"])
        n = min(r[key]["median_s"] for r in sides["new"])
        counts = {(r[key]["nit"], r[key]["nfev"]) for s in sides.values() for r in s}
        ratios.setdefault(key.split("/")[2], []).append(n / b)
        cases.append(dict(case=key, base_s=b, new_s=n, same_counts=len(counts) == 1))
        print(f"| {key} | {b * 1e6:.1f} | {n * 1e6:.1f} | {n / b:.2f} | "
              f"{'yes' if len(counts) == 1 else 'NO'} |")
    print("\n| method | median new/base | geometric mean | cases |")
    print("| --- | --- | --- | --- |")
    for method, v in ratios.items():
        gm = math.exp(sum(map(math.log, v)) / len(v))
        print(f"| {method} | {statistics.median(v):.3f} | {gm:.3f} | {len(v)} |")
    if path:
        with open(path, "w") as f:
            json.dump(cases, f, indent=1)


if __name__ == "__main__":
    main()
