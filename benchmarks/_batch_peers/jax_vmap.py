"""L-BFGS in JAX under ``jax.vmap``, on the CPU: optax's ``lbfgs`` (zoom line search)
driven by a ``lax.while_loop``, or optimistix's ``LBFGS``.

Run by ``bench_batch.py`` in an environment with jax, optax and optimistix
(``--jax-python``): ``python jax_vmap.py SPEC.json OUT.json``, with ``XLA_FLAGS`` giving
XLA one CPU device per thread (``--xla_force_host_platform_device_count``). float64.

How the batch runs: ``jax.vmap`` of one problem's solve, split over the CPU devices
with ``jax.shard_map`` (each device runs its own while loop on its rows: XLA runs one
program on one core, so this is how JAX gets both cores), over chunks of
``spec["chunk"]`` problems dispatched one after another from the host (0: the whole
batch in one call). Chunks keep the batched state in cache: one vmap over 10,000
Rosenbrock problems ran at a fifth of the rate of 1,000 per call here. Under ``vmap``
a ``while_loop`` runs until the last problem of the call stops; finished problems are
held by a select, so each problem's own iteration count is exact, and the largest
(``nit_max``) is what a call costs.

optax: a problem stops on scipy L-BFGS-B's two tests, the max-norm of the gradient
<= 1e-5 (``pgtol``: no bounds, so the projected gradient is the gradient) or a relative
reduction ``(f_prev - f) / max(|f_prev|, |f|, 1) <= 2.2e-9`` (``factr * eps``), or at
15000 iterations; memory 10 (``maxcor``). Success: either test met with a finite f.

optimistix: ``optx.minimise(..., optx.LBFGS(rtol, atol), max_steps=15000)``. Its test
is a Cauchy criterion on successive ``f`` and ``y``, not on the gradient, so it is not
scipy's rule; ``rtol``/``atol`` come from the spec.

Compilation (ahead of time, ``jit(...).lower(...).compile()``, once per chunk shape) and
one warm-up call happen before the clock starts; ``compile_s`` is reported apart.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peerlib  # noqa: E402

import numpy as np  # noqa: E402


def objectives(jnp):
    def rosen(x, a):
        return jnp.sum((a - x[:-1]) ** 2 + 100.0 * (x[1:] - x[:-1] ** 2) ** 2)

    def peak(p, t, y):
        amp, mu, s, c = p[0], p[1], p[2], p[3]
        r = amp * jnp.exp(-(t - mu) ** 2 / (2.0 * s * s)) + c - y
        return 0.5 * jnp.sum(r * r)

    return {"rosen": rosen, "peak": peak}


def optax_solver(fun, jax, jnp):
    import optax

    opt = optax.lbfgs(memory_size=_peerlib.MAXCOR)
    gtol, ftol, maxiter = _peerlib.GTOL, _peerlib.FTOL, _peerlib.MAXITER

    def reduction(v_prev, v):
        return (v_prev - v) / jnp.maximum(jnp.maximum(jnp.abs(v_prev), jnp.abs(v)), 1.0)

    def solve_one(x0, *args):
        def f(x):
            return fun(x, *args)

        value_and_grad = optax.value_and_grad_from_state(f)
        v0, g0 = jax.value_and_grad(f)(x0)

        def cond(c):
            x, state, v, g, v_prev, k = c
            small_g = jnp.max(jnp.abs(g)) <= gtol
            small_f = reduction(v_prev, v) <= ftol
            return (k < maxiter) & ~small_g & ~small_f & jnp.isfinite(v)

        def body(c):
            x, state, v, g, _, k = c
            updates, state = opt.update(g, state, x, value=v, grad=g, value_fn=f)
            x = optax.apply_updates(x, updates)
            v_new, g_new = value_and_grad(x, state=state)
            return x, state, v_new, g_new, v, k + 1

        init = (x0, opt.init(x0), v0, g0, jnp.asarray(jnp.inf, x0.dtype), jnp.asarray(0))
        x, _, v, g, v_prev, k = jax.lax.while_loop(cond, body, init)
        ok = jnp.isfinite(v) & ((jnp.max(jnp.abs(g)) <= gtol) | (reduction(v_prev, v) <= ftol))
        return x, v, k, ok

    return solve_one


def optimistix_solver(fun, jax, jnp, rtol, atol):
    import optimistix as optx

    solver = optx.LBFGS(rtol=rtol, atol=atol, history_length=_peerlib.MAXCOR)

    def solve_one(x0, *args):
        sol = optx.minimise(lambda x, a: fun(x, *a), solver, x0, args=args,
                            max_steps=_peerlib.MAXITER, throw=False)
        ok = sol.result == optx.RESULTS.successful
        return sol.value, fun(sol.value, *args), sol.stats["num_steps"], ok

    return solve_one


def batched_solver(solve_one, problem, jax):
    """``jit`` of ``vmap(solve_one)`` over the leading axis, split across the CPU devices."""
    from jax.sharding import Mesh, PartitionSpec as P

    in_axes = (0, 0) if problem == "rosen" else (0, None, 0)  # t is shared by all curves
    batched = jax.vmap(solve_one, in_axes=in_axes)
    devices = jax.devices()
    if len(devices) > 1:
        mesh = Mesh(np.array(devices), ("d",))
        specs = (P("d"), P("d")) if problem == "rosen" else (P("d"), P(), P("d"))
        # check_vma=False: optax's line search mixes per-device and replicated values in
        # a lax.cond, which the varying-axes type check rejects; the rows are independent.
        batched = jax.shard_map(batched, mesh=mesh, in_specs=specs, out_specs=P("d"),
                                check_vma=False)
    return jax.jit(batched), len(devices)


def main(spec_path, out_path):
    spec = _peerlib.load(spec_path)
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
    except Exception as exc:  # noqa: BLE001 -- the driver prints why
        _peerlib.write(out_path, {"error": f"{type(exc).__name__}: {exc}"})
        return
    problem, solver_name = spec["problem"], spec["solver"]
    fun = objectives(jnp)[problem]
    if solver_name == "optax":
        import optax

        solve_one = optax_solver(fun, jax, jnp)
        versions = {"jax": jax.__version__, "optax": optax.__version__}
    else:
        import optimistix as optx

        solve_one = optimistix_solver(fun, jax, jnp, spec["rtol"], spec["atol"])
        versions = {"jax": jax.__version__, "optimistix": getattr(optx, "__version__", "?")}
    batched, ndev = batched_solver(solve_one, problem, jax)
    runs = []
    for case in spec["cases"]:
        data = _peerlib.data(case)
        compiled, compile_s = {}, {}

        def chunks(m):
            """Row ranges of the calls for the first m problems."""
            step = spec["chunk"]
            if step:
                step = max(ndev, step - step % ndev)  # the same rows on every device
            else:
                step = m  # one call; an odd count is padded (call)
            return [(i, min(i + step, m)) for i in range(0, m, step)]

        def call(lo, hi, data=data, compiled=compiled, compile_s=compile_s):
            X0, args = _peerlib.rows(data, problem, hi)
            X0 = X0[lo:]
            args = (args[0][lo:],) if problem == "rosen" else (args[0], args[1][lo:])
            pad = (-X0.shape[0]) % ndev  # a short last chunk: repeat rows to fill the devices
            if pad:
                X0 = np.concatenate([X0, X0[:pad]])
                args = ((np.concatenate([args[0], args[0][:pad]]),) if problem == "rosen"
                        else (args[0], np.concatenate([args[1], args[1][:pad]])))
            jargs = [jnp.asarray(a) for a in (X0,) + args]
            shape = X0.shape
            if shape not in compiled:
                t0 = _peerlib.now()
                compiled[shape] = batched.lower(*jargs).compile()
                compile_s[shape] = _peerlib.now() - t0
                _peerlib.log(f"#   compiled for calls of {shape[0]} problems in "
                             f"{compile_s[shape]:.1f} s")
            return compiled[shape](*jargs), hi - lo

        def solve(m):
            outs = [call(lo, hi) for lo, hi in chunks(m)]  # dispatched asynchronously
            x, v, k, ok = (np.concatenate([np.asarray(o[j])[:cnt] for o, cnt in outs])
                           for j in range(4))
            return x, v, k, ok

        warm = set()

        def prepare(m, warm=warm):
            """Compile each call shape and run it once before the clock starts."""
            for lo, hi in chunks(m):
                if hi - lo not in warm:
                    call(lo, hi)[0][0].block_until_ready()
                    warm.add(hi - lo)

        _peerlib.log(f"# JAX {solver_name} L-BFGS vmap, {problem} n={case['n']}")
        try:
            cases, kept = _peerlib.time_sizes(solve, spec["sizes"], spec["repeat"],
                                                spec["budget"], spec["max_case_s"],
                                                spec["keep"], prepare=prepare)
        except Exception as exc:  # noqa: BLE001 -- record why, go on with the next case
            runs.append({"n": case["n"], "error": f"{type(exc).__name__}: {str(exc)[:3000]}"})
            continue
        runs.append({"n": case["n"], "compile_s": sum(compile_s.values()), "cases": cases,
                     "keep": kept, "compiled_shapes": [list(s) for s in compile_s]})
    _peerlib.write(out_path, {"name": f"JAX {solver_name} L-BFGS (vmap)", "runs": runs,
                              "threads": ndev, "chunk": spec["chunk"],
                              "xla_flags": os.environ.get("XLA_FLAGS", ""),
                              "versions": versions})


if __name__ == "__main__":
    main(*sys.argv[1:3])
