"""Time one optimizer step on large flat parameters: numopt against torch.optim and NumPy.

For each update rule, size and dtype, every implementation owns its own copy of one
parameter of ``n`` elements with a fixed gradient, and one ``step()`` is timed at a time:

- ``numopt``   : ``numopt.optim.<Cls>`` on one ``numopt.Parameter`` (grad assigned once),
- ``fused``    : ``torch.optim.<Cls>(fused=True)`` (Adam, AdamW, SGD, Adagrad; RMSprop has none),
- ``foreach``  : ``torch.optim.<Cls>(foreach=True)``,
- ``single``   : ``torch.optim.<Cls>(foreach=False)``, torch's single-tensor path,
- ``numpy``    : the same rule in plain NumPy with in-place ufuncs (single-threaded),
- ``triad``    : a STREAM-like triad ``a = b + s * c`` in numba ``@njit(parallel=True)``
                 on arrays of the same size and dtype: the memory-bandwidth yardstick.

Implementations are run round-robin (one timed step each per round, in a new random order
every round), so slow drift of a noisy machine hits all of them alike. Reported are the median time
per step of each, the median over rounds of the per-round ratio numopt/peer, and
numopt's effective bandwidth counting the arrays the rule must move (Adam: read p, g,
m, v and write p, m, v = 7 arrays), also as a fraction of the triad's (3 arrays).

Run with the torch environment, e.g.::

    PYTHONPATH=. python benchmarks/bench_optim_step.py --json bench_optim.json
"""
import argparse
import gc
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import numba  # noqa: E402
from numba import njit, prange  # noqa: E402

try:
    import torch
except ImportError:  # the numopt/numpy/triad columns still run without torch
    torch = None

try:
    import numopt
    from numopt import optim as numopt_optim
    numopt.Parameter, numopt_optim.Optimizer  # noqa: B018 -- fail early on a partial checkout
    _NUMOPT_ERROR = None
except Exception as exc:  # noqa: BLE001 -- report and benchmark the rest
    numopt = numopt_optim = None
    _NUMOPT_ERROR = f"{type(exc).__name__}: {exc}"


# --------------------------------------------------------------------------------------
# The rules: torch class, hyperparameters, arrays moved per step, NumPy implementation.
# --------------------------------------------------------------------------------------

class _NumpyAdam:
    """torch ``_single_tensor_adam`` (AdamW when ``weight_decay`` is given) in NumPy."""

    def __init__(self, p, g, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled=False):
        self.p, self.g = p, g
        self.m, self.v, self.tmp = np.zeros_like(p), np.zeros_like(p), np.empty_like(p)
        self.lr, self.b1, self.b2, self.eps = lr, betas[0], betas[1], eps
        self.wd, self.decoupled, self.t = weight_decay, decoupled, 0

    def step(self):
        p, g, m, v, tmp = self.p, self.g, self.m, self.v, self.tmp
        self.t += 1
        if self.wd:  # only the decoupled (AdamW) form is benchmarked
            p *= 1.0 - self.lr * self.wd
        # m = lerp(m, g, 1 - b1) = m + (1 - b1) * (g - m)
        np.subtract(g, m, out=tmp)
        tmp *= 1.0 - self.b1
        m += tmp
        # v = b2 * v + (1 - b2) * g * g
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.b2
        v *= self.b2
        v += tmp
        # p -= step_size * m / (sqrt(v) / sqrt(bc2) + eps)
        bc1 = 1.0 - self.b1 ** self.t
        bc2_sqrt = math.sqrt(1.0 - self.b2 ** self.t)
        np.sqrt(v, out=tmp)
        tmp *= 1.0 / bc2_sqrt
        tmp += self.eps
        np.divide(m, tmp, out=tmp)
        tmp *= -self.lr / bc1
        p += tmp


class _NumpySGD:
    """torch ``_single_tensor_sgd`` with momentum (no dampening, no Nesterov) in NumPy."""

    def __init__(self, p, g, lr=1e-2, momentum=0.9):
        self.p, self.g, self.lr, self.mom = p, g, lr, momentum
        self.buf, self.tmp, self.t = np.empty_like(p), np.empty_like(p), 0

    def step(self):
        self.t += 1
        if self.t == 1:  # torch: buf = clone(grad) on the first step
            np.copyto(self.buf, self.g)
        else:
            self.buf *= self.mom
            self.buf += self.g
        np.multiply(self.buf, -self.lr, out=self.tmp)
        self.p += self.tmp


class _NumpyRMSprop:
    """torch ``_single_tensor_rmsprop`` (not centered, no momentum) in NumPy."""

    def __init__(self, p, g, lr=1e-2, alpha=0.99, eps=1e-8):
        self.p, self.g, self.lr, self.alpha, self.eps = p, g, lr, alpha, eps
        self.sq, self.tmp = np.zeros_like(p), np.empty_like(p)

    def step(self):
        p, g, sq, tmp = self.p, self.g, self.sq, self.tmp
        np.multiply(g, g, out=tmp)
        tmp *= 1.0 - self.alpha
        sq *= self.alpha
        sq += tmp
        np.sqrt(sq, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= -self.lr
        p += tmp


class _NumpyAdagrad:
    """torch ``_single_tensor_adagrad`` (no lr decay, no weight decay) in NumPy."""

    def __init__(self, p, g, lr=1e-2, eps=1e-10):
        self.p, self.g, self.lr, self.eps = p, g, lr, eps
        self.sum, self.tmp = np.zeros_like(p), np.empty_like(p)

    def step(self):
        p, g, s, tmp = self.p, self.g, self.sum, self.tmp
        np.multiply(g, g, out=tmp)
        s += tmp
        np.sqrt(s, out=tmp)
        tmp += self.eps
        np.divide(g, tmp, out=tmp)
        tmp *= -self.lr
        p += tmp


# name -> (class name in numopt.optim / torch.optim, kwargs, arrays moved, numpy factory)
RULES = {
    "adam": ("Adam", dict(lr=1e-3), 7, lambda p, g: _NumpyAdam(p, g, lr=1e-3)),
    "adamw": ("AdamW", dict(lr=1e-3, weight_decay=1e-2), 7,
              lambda p, g: _NumpyAdam(p, g, lr=1e-3, weight_decay=1e-2, decoupled=True)),
    "sgd": ("SGD", dict(lr=1e-2, momentum=0.9), 5, lambda p, g: _NumpySGD(p, g)),
    "rmsprop": ("RMSprop", dict(lr=1e-2), 5, lambda p, g: _NumpyRMSprop(p, g)),
    "adagrad": ("Adagrad", dict(lr=1e-2), 5, lambda p, g: _NumpyAdagrad(p, g)),
}
TRIAD_ARRAYS = 3
IMPLS = ("numopt", "fused", "foreach", "single", "numpy", "triad")


# --------------------------------------------------------------------------------------
# Implementations: each has .step() and .param() (the current parameter as ndarray).
# --------------------------------------------------------------------------------------

@njit(parallel=True, error_model="numpy")
def _triad(a, b, c, s):
    for i in prange(a.shape[0]):
        a[i] = b[i] + s * c[i]


class _Triad:
    def __init__(self, p0, g):
        self.a, self.b, self.c = np.empty_like(p0), p0.copy(), g.copy()
        self.s = p0.dtype.type(0.5)  # a scalar of the arrays' dtype: no float64 promotion

    def step(self):
        _triad(self.a, self.b, self.c, self.s)

    def param(self):
        return None


class _Numopt:
    def __init__(self, rule, p0, g):
        name, kwargs, _, _ = RULES[rule]
        self.w = numopt.Parameter(p0.copy())
        self.opt = getattr(numopt_optim, name)([self.w], **kwargs)
        self.w.grad = g
        self.step = self.opt.step

    def param(self):
        return np.asarray(self.w.data)


class _Torch:
    def __init__(self, rule, mode, p0, g):
        name, kwargs, _, _ = RULES[rule]
        # Tensors from torch's own allocator (not views of NumPy memory).
        p = torch.empty(p0.shape, dtype=_TORCH_DTYPE[p0.dtype.name])
        p.copy_(torch.from_numpy(p0))
        self.p = torch.nn.Parameter(p)
        self.p.grad = torch.from_numpy(g).clone()
        extra = {"fused": dict(fused=True), "foreach": dict(foreach=True),
                 "single": dict(foreach=False)}[mode]
        self.opt = getattr(torch.optim, name)([self.p], **kwargs, **extra)
        self.step = self.opt.step

    def param(self):
        return self.p.detach().numpy()


class _Numpy:
    def __init__(self, rule, p0, g):
        self.p, self.g = p0.copy(), g.copy()
        self.impl = RULES[rule][3](self.p, self.g)
        self.step = self.impl.step

    def param(self):
        return self.p


_TORCH_DTYPE = {}
if torch is not None:
    _TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64}


def _torch_has_fused(name):
    """Whether ``torch.optim.<name>`` accepts ``fused=True`` on CPU (probed, not assumed)."""
    p = torch.nn.Parameter(torch.zeros(4))
    p.grad = torch.ones(4)
    try:
        getattr(torch.optim, name)([p], **RULES_BY_CLASS[name], fused=True).step()
    except (TypeError, RuntimeError, ValueError):
        return False
    return True


RULES_BY_CLASS = {v[0]: v[1] for v in RULES.values()}


def make_impls(rule, impls, p0, g):
    """Build the requested implementations of ``rule``; return ``({name: impl}, {name: why})``."""
    name = RULES[rule][0]
    out, skipped = {}, {}
    for impl in impls:
        if impl == "numopt":
            if numopt is None:
                skipped[impl] = f"numopt not importable ({_NUMOPT_ERROR})"
                continue
            out[impl] = _Numopt(rule, p0, g)
        elif impl in ("fused", "foreach", "single"):
            if torch is None:
                skipped[impl] = "torch not installed"
                continue
            if impl == "fused" and not _torch_has_fused(name):
                skipped[impl] = f"torch.optim.{name} has no fused CPU kernel"
                continue
            out[impl] = _Torch(rule, impl, p0, g)
        elif impl == "numpy":
            out[impl] = _Numpy(rule, p0, g)
        elif impl == "triad":
            out[impl] = _Triad(p0, g)
    return out, skipped


# --------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------

def run_case(rule, n, dtype, impls, repeat, warmup, rng_cache, seed=0, shuffle=True):
    """Time ``repeat`` round-robin rounds of every implementation; return a result dict.

    With ``shuffle`` each round runs the implementations in a new random order,
    otherwise always in the order given.
    """
    p0, g = rng_cache(n, dtype)
    objs, skipped = make_impls(rule, impls, p0, g)
    names = list(objs)
    for _ in range(warmup):  # compiles numba code, creates torch state, faults pages in
        for k in names:
            objs[k].step()
    times = {k: [] for k in names}
    # A fresh random order every round: each implementation follows every other one
    # equally often (see "Thread pools" in benchmarks/README.md), and slow drift of
    # the machine affects all alike.
    order_rng = np.random.default_rng(seed)
    cpu = _common.CpuShare().start()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        clock = time.perf_counter
        for _ in range(repeat):
            order = [names[j] for j in order_rng.permutation(len(names))] if shuffle else names
            for k in order:
                step = objs[k].step
                t0 = clock()
                step()
                times[k].append(clock() - t0)
    finally:
        if gc_was_enabled:
            gc.enable()
    cpu.stop()

    # Every implementation took the same steps from the same start: they must agree.
    ref_name = next((k for k in ("single", "foreach", "fused", "numpy") if k in objs), None)
    agreement = {}
    if ref_name is not None:
        ref = objs[ref_name].param().astype(np.float64)
        scale = float(np.max(np.abs(ref))) or 1.0
        for k in names:
            x = objs[k].param()
            if x is not None and k != ref_name:
                agreement[k] = float(np.max(np.abs(x.astype(np.float64) - ref))) / scale

    arrays = RULES[rule][2]
    nbytes = n * np.dtype(dtype).itemsize
    med = {k: _common.median(v) for k, v in times.items()}
    res = {
        "rule": rule, "n": n, "dtype": dtype, "arrays_moved": arrays,
        "median_ms": {k: 1e3 * v for k, v in med.items()},
        "min_ms": {k: 1e3 * min(v) for k, v in times.items()},
        "samples_ms": {k: [1e3 * t for t in v] for k, v in times.items()},
        "skipped": skipped,
        "other_processes_cpu_share": cpu.others, "steal_share": cpu.steal,
        "max_rel_diff_vs": ref_name, "max_rel_diff": agreement,
        "ratio_numopt_over": {}, "gbps": {},
    }
    for k in names:
        res["gbps"][k] = (TRIAD_ARRAYS if k == "triad" else arrays) * nbytes / med[k] / 1e9
    if "numopt" in times:
        for k in names:
            if k not in ("numopt", "triad"):
                res["ratio_numopt_over"][k] = _common.median(
                    [a / b for a, b in zip(times["numopt"], times[k])])
        if "triad" in times:
            res["numopt_fraction_of_triad"] = res["gbps"]["numopt"] / res["gbps"]["triad"]
    del objs
    gc.collect()
    return res


def _parse_size(s):
    s = s.strip().lower()
    mult = {"k": 10**3, "m": 10**6, "g": 10**9}.get(s[-1:], 1)
    if s[-1:] in "kmg":
        s = s[:-1]
    return int(float(s) * mult)


def _csv(s):
    return [x.strip() for x in s.split(",") if x.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1M,10M",
                    help="comma-separated element counts, e.g. 1M,10M or 1e6 (default 1M,10M)")
    ap.add_argument("--dtypes", default="float32,float64")
    ap.add_argument("--rules", default=",".join(RULES), help=f"subset of {','.join(RULES)}")
    ap.add_argument("--impls", default=",".join(IMPLS), help=f"subset of {','.join(IMPLS)}")
    ap.add_argument("--repeat", type=int, default=30, help="timed rounds per case (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    ap.add_argument("--threads", type=int, default=None,
                    help="numba threads (default: numba's); torch is given the same number")
    ap.add_argument("--order", choices=("random", "fixed"), default="random",
                    help="order of the implementations within a round (default: a new random "
                         "permutation each round)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="PATH", help="write results, machine and versions here")
    args = ap.parse_args(argv)

    sizes = [_parse_size(s) for s in _csv(args.sizes)]
    dtypes = _csv(args.dtypes)
    rules = _csv(args.rules)
    impls = _csv(args.impls)
    for r in rules:
        if r not in RULES:
            ap.error(f"unknown rule {r!r}; choose from {', '.join(RULES)}")
    for i in impls:
        if i not in IMPLS:
            ap.error(f"unknown implementation {i!r}; choose from {', '.join(IMPLS)}")
    for d in dtypes:
        if d not in ("float32", "float64"):
            ap.error(f"unknown dtype {d!r}; choose float32 or float64")

    if args.threads:
        numba.set_num_threads(args.threads)
    threads = numba.get_num_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    # The threading layer is only chosen on the first parallel launch.
    _triad(np.zeros(4), np.zeros(4), np.zeros(4), 0.5)

    info = _common.machine_info()
    vers = _common.versions("numpy", "numba", "torch", "numopt")
    print(f"# {info['cpu_model']}, {info['cpu_count']} CPUs; python {info['python']}")
    print("# " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"# threads: numba {threads} ({numba.threading_layer()} layer), torch "
          f"{torch.get_num_threads() if torch is not None else '-'}, numpy 1 (ufuncs)")
    print(f"# {args.warmup} warm-up + {args.repeat} timed round-robin rounds per case; "
          "times are medians; ratios are medians of per-round ratios")
    if numopt is None:
        print(f"# WARNING: numopt skipped: {_NUMOPT_ERROR}")
    sys.stdout.flush()

    rng = np.random.default_rng(args.seed)
    data = {}

    def rng_cache(n, dtype):
        if n not in data:
            data.clear()  # keep one size in memory at a time
            data[n] = (rng.standard_normal(n), 1e-2 * rng.standard_normal(n))
        p0, g = data[n]
        return p0.astype(dtype), g.astype(dtype)

    results = []
    cpu_all = _common.CpuShare().start()
    t_start = time.perf_counter()
    for n in sizes:  # size outermost, so that the random data are made once per size
        for dtype in dtypes:
            for rule in rules:
                res = run_case(rule, n, dtype, impls, args.repeat, args.warmup, rng_cache,
                               seed=args.seed + len(results), shuffle=args.order == "random")
                results.append(res)
                tol = 1e-4 if dtype == "float32" else 1e-9
                bad = {k: v for k, v in res["max_rel_diff"].items() if not v <= tol}
                if bad:
                    print(f"# WARNING {rule} n={n} {dtype}: implementations disagree with "
                          f"{res['max_rel_diff_vs']} after {args.warmup + args.repeat} steps "
                          f"(max |diff| / max |p|): {bad}")
                print(f"# done {rule:8s} n={n:<9d} {dtype}  ({time.perf_counter() - t_start:.0f} s)",
                      file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - t_start
    cpu_all.stop()

    shown = [i for i in IMPLS if i in impls]
    headers = (["rule", "n", "dtype"] + [f"{k} ms" for k in shown]
               + ["no/fused", "no/foreach", "no/numpy", "no GB/s", "fused GB/s", "triad GB/s",
                  "no/triad", "others"])
    rows = []
    for res in results:
        med, ratio, gbps = res["median_ms"], res["ratio_numopt_over"], res["gbps"]
        row = [res["rule"], _fmt_size(res["n"]), res["dtype"]]
        row += [_common.fmt(med.get(k), ".3f") for k in shown]
        row += [_common.fmt(ratio.get(k), ".2f") for k in ("fused", "foreach", "numpy")]
        row += [_common.fmt(gbps.get(k), ".1f") for k in ("numopt", "fused", "triad")]
        row.append(_common.fmt(res.get("numopt_fraction_of_triad"), ".0%"))
        row.append(_common.fmt(res["other_processes_cpu_share"], ".0%"))
        rows.append(row)
    print()
    _common.print_table(headers, rows, aligns="<><" + ">" * (len(headers) - 3))
    print()
    print("no = numopt. Ratios < 1 mean numopt is faster. GB/s counts the arrays each rule must "
          "move (Adam/AdamW 7; SGD-momentum, RMSprop, Adagrad 5; triad 3); '-' = not run "
          "(RMSprop has no fused torch kernel). others = CPU share of other processes while "
          "the case ran.")
    print(f"total {elapsed:.0f} s; other processes used {_common.fmt(cpu_all.others, '.0%')} "
          f"of the CPUs meanwhile (steal {_common.fmt(cpu_all.steal, '.0%')}); load average "
          f"at the end {os.getloadavg()[0]:.2f}")
    if cpu_all.others is not None and cpu_all.others > 0.05:
        print("WARNING: other processes were busy during the run; with as many threads as "
              "cores, their time slices stretch parallel regions. Rerun on a quiet machine.")

    if args.json:
        payload = {
            "benchmark": "optim_step",
            "machine": info, "versions": vers,
            "threads": {"numba": threads, "numba_threading_layer": numba.threading_layer(),
                        "torch": torch.get_num_threads() if torch is not None else None},
            "config": {"sizes": sizes, "dtypes": dtypes, "rules": rules, "impls": impls,
                       "repeat": args.repeat, "warmup": args.warmup, "seed": args.seed,
                       "order": args.order},
            "numopt_error": _NUMOPT_ERROR,
            "hyperparameters": {r: RULES[r][1] for r in rules},
            "elapsed_s": elapsed,
            "other_processes_cpu_share": cpu_all.others, "steal_share": cpu_all.steal,
            "results": results,
        }
        _common.write_json(args.json, payload)
        print(f"wrote {args.json}")


def _fmt_size(n):
    for div, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)


if __name__ == "__main__":
    main()
