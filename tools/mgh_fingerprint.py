"""Fingerprints of every ``minimize`` method on the Moré-Garbow-Hillstrom problems.

A refactoring of the solvers must not change what they compute. This script runs every
method of ``numopt.minimize`` on every problem of :mod:`numopt.testing.problems` (with a
compiled objective and analytic gradient, with finite differences where the method uses
gradients, and L-BFGS-B with bounds that are active at the solution), one
``minimize_batch`` of each state-machine method, and writes, per case, ``nit``, ``nfev``,
``status`` and the exact bits of ``x`` and ``fun``. Compare two runs to prove a change
left every result unchanged bit for bit::

    PYTHONPATH=. python tools/mgh_fingerprint.py --out before.json   # on the base
    PYTHONPATH=. python tools/mgh_fingerprint.py --compare before.json

``--compare`` exits with status 1 and lists the cases that differ. ``--method BFGS``
(repeatable) runs one method's cases only, and compares only those.
"""
import argparse
import json
import sys
import warnings

import numpy as np

import numopt
from numopt.testing import ALL

# Enough iterations to reach the end of most runs, few enough that the script takes a
# few minutes; first-order methods are cut short (they would need thousands).
QUASI_NEWTON = ("BFGS", "CG", "L-BFGS-B")
OPTIONS = {"BFGS": {"maxiter": 400}, "CG": {"maxiter": 400}, "L-BFGS-B": {"maxiter": 400},
           "Nelder-Mead": {"maxiter": 400}, "LBFGS": {"maxiter": 200}}
FIRST_ORDER = {"maxiter": 60, "lr": 1e-3}


def _bits(a):
    return np.ascontiguousarray(a, dtype=np.float64).view(np.uint64).tolist()


def _record(res):
    return {"nit": int(res.nit), "nfev": int(res.nfev), "status": int(res.status),
            "x": _bits(res.x), "fun": _bits(np.float64(res.fun))}


def _bounds(p):
    """Bounds that cut off the standard minimiser on the first variable."""
    lo = np.full(p.n, -np.inf)
    hi = np.full(p.n, np.inf)
    x_ref = p.x_min if p.x_min is not None else p.x0
    hi[0] = x_ref[0] - 0.25 * (1 + abs(x_ref[0]))
    lo[0] = min(hi[0], p.x0[0]) - 1.0
    return list(zip(lo, hi))


def cases():
    from numopt._minimize import _registry
    _registry.get("bfgs")
    names = [m.name for m in _registry.METHODS.values()]
    for p in ALL:
        for name in names:
            opts = dict(OPTIONS.get(name, FIRST_ORDER))
            yield f"{p.label}/{name}/exact", p, name, dict(grad=True), opts
            if name in QUASI_NEWTON:
                yield f"{p.label}/{name}/2-point", p, name, dict(grad=False), opts
        yield f"{p.label}/L-BFGS-B/bounds", p, "L-BFGS-B", dict(grad=True, bounds=_bounds(p)), \
            dict(OPTIONS["L-BFGS-B"])


def run(methods=None):
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, p, name, kw, opts in cases():
            if methods and name not in methods:
                continue
            grad = kw.pop("grad")
            fun = numopt.objective(grad=True)(p.fg) if grad else numopt.objective(p.fun)
            res = numopt.minimize(fun, p.x0.copy(), method=name, options=opts, **kw)
            out[key] = _record(res)
        for name in ("BFGS", "CG", "L-BFGS-B", "Nelder-Mead"):
            if methods and name not in methods:
                continue
            p = next(q for q in ALL if q.label == "extended_rosenbrock_n10")
            rng = np.random.default_rng(0)
            X0 = p.x0 + 0.1 * rng.standard_normal((16, p.n))
            fun = (numopt.objective(p.fun) if name == "Nelder-Mead"
                   else numopt.objective(grad=True)(p.fg))
            res = numopt.minimize_batch(fun, X0, method=name, options=OPTIONS[name])
            for i in range(len(X0)):
                out[f"batch/{name}/{i}"] = {"nit": int(res.nit[i]), "nfev": int(res.nfev[i]),
                                            "status": int(res.status[i]),
                                            "x": _bits(res.x[i]), "fun": _bits(res.fun[i])}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the fingerprints to this JSON file")
    ap.add_argument("--compare", help="compare with the fingerprints in this JSON file")
    ap.add_argument("--method", action="append",
                    help="run only this method's cases (repeatable)")
    args = ap.parse_args()
    now = run(args.method)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(now, f)
        print(f"{len(now)} cases written to {args.out}")
    if args.compare:
        with open(args.compare) as f:
            before = json.load(f)
        if args.method:  # only the cases of the methods run
            before = {k: v for k, v in before.items() if k.split("/")[1] in args.method}
        differ = [k for k in sorted(set(before) | set(now)) if before.get(k) != now.get(k)]
        for k in differ:
            b, a = before.get(k), now.get(k)
            brief = (lambda r: None if r is None else {q: r[q] for q in ("nit", "nfev", "status")})
            print(f"DIFFERS {k}: before {brief(b)} now {brief(a)}")
        print(f"{len(now)} cases, {len(differ)} differ")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
