"""Golden learning-rate schedules from torch 2.13, for tests/optim/test_lr_scheduler.py.

Run from the repository root with the torch environment:

    python tools/make_golden_sched.py

It writes tests/data/sched_golden.npz. Every case builds a torch optimizer with two
param groups of different learning rates, attaches the scheduler described by its
JSON spec, and records after construction and after each of the following steps
(``optimizer.step()`` then ``scheduler.step()``):

* ``<name>/lr``        (steps + 1, groups): each group's ``lr``;
* ``<name>/momentum``  (steps + 1, groups): ``momentum`` or ``betas[0]``, when cycled;
* ``<name>/beta2``     (steps + 1, groups): ``betas[1]``, when cycled on Adam;
* ``<name>/last_lr``   (steps + 1, groups): ``get_last_lr()``, only where it differs from ``lr``;
* ``<name>/metrics``   (steps,): the metric fed to ReduceLROnPlateau.

``meta`` is a JSON string: per case its spec, optimizer, group lrs, step count, the
epochs passed to the deprecated ``step(epoch)`` (if any), the step at which the
scheduler is rebuilt with ``last_epoch`` to exercise resuming (if any), and the
sorted keys of torch's final ``state_dict()``.

Lambdas are referred to by name; ``LAMBDAS`` here and in the test must agree.
"""

import json
import math
import os
import warnings

import numpy as np
import torch
from torch.optim import lr_scheduler as tls

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "sched_golden.npz")
STEPS = 60

# Named factor functions, re-created by the test with the same names.
LAMBDAS = {
    "exp0.95": lambda e: 0.95**e,
    "inv_sqrt": lambda e: 1.0 / math.sqrt(e + 1),
    "warmup10": lambda e: min(1.0, (e + 1) / 10),
    "const0.9": lambda e: 0.9,
    "alt": lambda e: 0.99 if e % 2 else 0.97,
    "sfn_half": lambda x: 0.5**x,
    "sfn_inv": lambda x: 1.0 / (1.0 + 0.1 * x),
}


def _resolve(value):
    if isinstance(value, dict) and "lambda" in value:
        return LAMBDAS[value["lambda"]]
    if isinstance(value, list) and value and isinstance(value[0], dict) and "lambda" in value[0]:
        return [LAMBDAS[v["lambda"]] for v in value]
    return value


def build(mod, opt, spec, last_epoch=None):
    """Build the scheduler ``spec`` from module ``mod`` (torch's or numopt's)."""
    cls = getattr(mod, spec["cls"])
    if spec["cls"] == "SequentialLR":
        subs = [build(mod, opt, s) for s in spec["schedulers"]]
        kw = {} if last_epoch is None else {"last_epoch": last_epoch}
        return cls(opt, schedulers=subs, milestones=spec["milestones"], **kw)
    if spec["cls"] == "ChainedScheduler":
        subs = [build(mod, opt, s) for s in spec["schedulers"]]
        return cls(subs, optimizer=opt)
    kwargs = {k: _resolve(v) for k, v in spec.get("kwargs", {}).items()}
    if last_epoch is not None:
        kwargs["last_epoch"] = last_epoch
    return cls(opt, **kwargs)


def S(cls, **kwargs):
    return {"cls": cls, "kwargs": kwargs}


def L(name):
    return {"lambda": name}


def SEQ(schedulers, milestones):
    return {"cls": "SequentialLR", "schedulers": schedulers, "milestones": milestones}


def CHAIN(*schedulers):
    return {"cls": "ChainedScheduler", "schedulers": list(schedulers)}


def metric_sequence(kind, seed, n):
    """A noisy, plateauing curve: decreasing for mode "min", increasing for "max"."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    base = np.exp(-t / 12.0) + 0.2 * (t > 30) * np.exp(-(t - 30) / 8.0)
    m = 1.0 + base + 0.01 * rng.standard_normal(n)
    m[20:28] = m[19]  # an exact plateau
    return (m if kind == "min" else 3.0 - m).tolist()


CASES = {
    # --- LambdaLR / MultiplicativeLR
    "lambda_exp": dict(sched=S("LambdaLR", lr_lambda=L("exp0.95"))),
    "lambda_pergroup": dict(sched=S("LambdaLR", lr_lambda=[L("warmup10"), L("inv_sqrt")])),
    "mult_const": dict(sched=S("MultiplicativeLR", lr_lambda=L("const0.9"))),
    "mult_pergroup": dict(sched=S("MultiplicativeLR", lr_lambda=[L("alt"), L("exp0.95")])),
    # --- StepLR / MultiStepLR / ConstantLR / LinearLR / ExponentialLR / PolynomialLR
    "step_default": dict(sched=S("StepLR", step_size=10)),
    "step_g05": dict(sched=S("StepLR", step_size=7, gamma=0.5)),
    "multistep": dict(sched=S("MultiStepLR", milestones=[5, 20, 20, 40], gamma=0.3)),
    "constant_default": dict(sched=S("ConstantLR")),
    "constant_half": dict(sched=S("ConstantLR", factor=0.5, total_iters=12)),
    "linear_default": dict(sched=S("LinearLR")),
    "linear_up": dict(sched=S("LinearLR", start_factor=0.1, end_factor=0.7, total_iters=25)),
    "linear_down": dict(sched=S("LinearLR", start_factor=1.0, end_factor=0.05, total_iters=30)),
    "exponential": dict(sched=S("ExponentialLR", gamma=0.93)),
    "poly_default": dict(sched=S("PolynomialLR")),
    "poly_p2": dict(sched=S("PolynomialLR", total_iters=40, power=2.0)),
    "poly_p05": dict(sched=S("PolynomialLR", total_iters=30, power=0.5)),
    # --- cosine
    "cosine_t15": dict(sched=S("CosineAnnealingLR", T_max=15, eta_min=0.001)),
    "cosine_t60": dict(sched=S("CosineAnnealingLR", T_max=60)),
    "cawr_t10": dict(sched=S("CosineAnnealingWarmRestarts", T_0=10)),
    "cawr_mult2": dict(sched=S("CosineAnnealingWarmRestarts", T_0=5, T_mult=2, eta_min=1e-4)),
    "cawr_mult3": dict(sched=S("CosineAnnealingWarmRestarts", T_0=3, T_mult=3)),
    # --- CyclicLR
    "cyclic_tri_sgd": dict(
        sched=S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=8)
    ),
    "cyclic_tri2_sgd": dict(
        sched=S("CyclicLR", base_lr=0.001, max_lr=0.05, step_size_up=6, mode="triangular2")
    ),
    "cyclic_exp_adam": dict(
        opt="adam",
        sched=S(
            "CyclicLR", base_lr=0.001, max_lr=0.01, step_size_up=7, mode="exp_range", gamma=0.97,
            base_momentum=0.85, max_momentum=0.95,
        ),
    ),
    "cyclic_tri_adam_lists": dict(
        opt="adam",
        sched=S(
            "CyclicLR", base_lr=[0.001, 0.002], max_lr=[0.01, 0.03], step_size_up=4,
            step_size_down=6, base_momentum=[0.8, 0.7], max_momentum=[0.9, 0.95],
        ),
    ),
    "cyclic_tri2_adam": dict(
        opt="adam",
        sched=S("CyclicLR", base_lr=0.001, max_lr=0.004, step_size_up=5, mode="triangular2"),
    ),
    "cyclic_nomom": dict(
        opt="sgd_plain",
        sched=S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5, cycle_momentum=False),
    ),
    "cyclic_scalefn_cycle": dict(
        sched=S("CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=L("sfn_half"))
    ),
    "cyclic_scalefn_iter": dict(
        opt="adam",
        sched=S(
            "CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=5, scale_fn=L("sfn_inv"),
            scale_mode="iterations",
        ),
    ),
    # --- OneCycleLR
    "onecycle_cos_sgd": dict(sched=S("OneCycleLR", max_lr=0.1, total_steps=60)),
    "onecycle_lin_adam": dict(
        opt="adam", sched=S("OneCycleLR", max_lr=0.01, total_steps=60, anneal_strategy="linear")
    ),
    "onecycle_3ph_cos_sgd": dict(
        sched=S("OneCycleLR", max_lr=[0.1, 0.05], total_steps=60, three_phase=True)
    ),
    "onecycle_3ph_lin_adam": dict(
        opt="adam",
        sched=S(
            "OneCycleLR", max_lr=0.02, epochs=6, steps_per_epoch=10, pct_start=0.25,
            anneal_strategy="linear", three_phase=True, base_momentum=[0.8, 0.85],
            max_momentum=0.95, div_factor=10.0, final_div_factor=100.0,
        ),
    ),
    "onecycle_nomom": dict(
        opt="sgd_plain", sched=S("OneCycleLR", max_lr=0.1, total_steps=61, cycle_momentum=False)
    ),
    # --- compositions
    "seq_linear_cosine": dict(
        sched=SEQ(
            [S("LinearLR", start_factor=0.1, total_iters=10), S("CosineAnnealingLR", T_max=50)],
            [10],
        )
    ),
    "seq_three": dict(
        sched=SEQ(
            [
                S("ConstantLR", factor=0.2, total_iters=5),
                S("ExponentialLR", gamma=0.9),
                S("StepLR", step_size=8, gamma=0.5),
            ],
            [5, 25],
        )
    ),
    "seq_lambda_multistep": dict(
        sched=SEQ(
            [S("MultiStepLR", milestones=[3, 6]), S("LambdaLR", lr_lambda=L("exp0.95"))], [12]
        )
    ),
    "seq_cawr": dict(
        sched=SEQ(
            [
                S("LinearLR", start_factor=0.25, total_iters=8),
                S("CosineAnnealingWarmRestarts", T_0=7),
            ],
            [8],
        )
    ),
    "chain_const_exp": dict(
        sched=CHAIN(S("ConstantLR", factor=0.5, total_iters=10), S("ExponentialLR", gamma=0.95))
    ),
    "chain_linear_cosine": dict(
        sched=CHAIN(
            S("LinearLR", start_factor=0.2, total_iters=10), S("CosineAnnealingLR", T_max=30)
        )
    ),
    "chain_step_mult": dict(
        sched=CHAIN(S("StepLR", step_size=9, gamma=0.5), S("MultiplicativeLR", lr_lambda=L("alt")))
    ),
    "seq_of_chain": dict(
        sched=SEQ(
            [
                CHAIN(
                    S("LinearLR", start_factor=0.1, total_iters=6), S("ExponentialLR", gamma=0.97)
                ),
                S("PolynomialLR", total_iters=40, power=1.5),
            ],
            [15],
        )
    ),
    # --- ReduceLROnPlateau (metric recorded in <name>/metrics)
    "plateau_min_rel": dict(
        sched=S("ReduceLROnPlateau", factor=0.5, patience=3, cooldown=2), metrics=("min", 1)
    ),
    "plateau_min_abs": dict(
        sched=S("ReduceLROnPlateau", factor=0.3, patience=2, threshold=0.02, threshold_mode="abs"),
        metrics=("min", 2),
    ),
    "plateau_max_rel": dict(
        opt="adam",
        sched=S(
            "ReduceLROnPlateau", mode="max", factor=0.5, patience=1, threshold=0.01, cooldown=3,
            min_lr=[0.01, 0.0005],
        ),
        metrics=("max", 3),
    ),
    "plateau_max_abs_eps": dict(
        sched=S(
            "ReduceLROnPlateau", mode="max", factor=0.5, patience=0, threshold=0.005,
            threshold_mode="abs", min_lr=0.02, eps=1e-3,
        ),
        metrics=("max", 4),
    ),
    # --- deprecated step(epoch): closed forms
    "epoch_step": dict(sched=S("StepLR", step_size=5, gamma=0.5), epochs="jumpy"),
    "epoch_multistep": dict(sched=S("MultiStepLR", milestones=[4, 9, 9, 20]), epochs="jumpy"),
    "epoch_constant": dict(sched=S("ConstantLR", factor=0.25, total_iters=7), epochs="jumpy"),
    "epoch_linear": dict(sched=S("LinearLR", start_factor=0.2, total_iters=12), epochs="jumpy"),
    "epoch_exponential": dict(sched=S("ExponentialLR", gamma=0.9), epochs="jumpy"),
    "epoch_poly": dict(sched=S("PolynomialLR", total_iters=20, power=1.7), epochs="jumpy"),
    "epoch_cosine": dict(sched=S("CosineAnnealingLR", T_max=18, eta_min=0.002), epochs="jumpy"),
    "epoch_lambda": dict(sched=S("LambdaLR", lr_lambda=L("inv_sqrt")), epochs="jumpy"),
    "epoch_cawr_frac": dict(sched=S("CosineAnnealingWarmRestarts", T_0=4), epochs="frac"),
    "epoch_cawr_mult2_frac": dict(
        sched=S("CosineAnnealingWarmRestarts", T_0=3, T_mult=2), epochs="frac"
    ),
    # --- resuming: rebuild the scheduler with last_epoch at step `resume`
    "resume_exponential": dict(sched=S("ExponentialLR", gamma=0.9), resume=20),
    "resume_cosine": dict(sched=S("CosineAnnealingLR", T_max=25, eta_min=0.001), resume=17),
    "resume_linear": dict(sched=S("LinearLR", start_factor=0.1, total_iters=30), resume=12),
    "resume_step": dict(sched=S("StepLR", step_size=6, gamma=0.7), resume=13),
    "resume_poly": dict(sched=S("PolynomialLR", total_iters=50, power=2.0), resume=22),
}

EPOCHS = {
    "jumpy": [1, 2, 3, 5, 8, 4, 10, 11, 0, 15, 22, 30, 29, 7, 12, 40, 41, 42, 18, 60],
    "frac": [e + i / 4 for e in range(15) for i in range(4)],
}

GROUP_LRS = [0.1, 0.02]

# Invalid arguments: torch's exception type and message are recorded under meta["errors"].
# "steps": take that many steps before the error; "epoch": call step(epoch).
ERRORS = {
    "lambda_count": dict(sched=S("LambdaLR", lr_lambda=[L("exp0.95")])),
    "mult_count": dict(sched=S("MultiplicativeLR", lr_lambda=[L("exp0.95")] * 3)),
    "mult_not_callable": dict(sched=S("MultiplicativeLR", lr_lambda=3)),
    "constant_factor_hi": dict(sched=S("ConstantLR", factor=1.5)),
    "constant_factor_lo": dict(sched=S("ConstantLR", factor=-0.1)),
    "linear_start_zero": dict(sched=S("LinearLR", start_factor=0.0)),
    "linear_start_hi": dict(sched=S("LinearLR", start_factor=1.2)),
    "linear_end_hi": dict(sched=S("LinearLR", end_factor=1.5)),
    "resume_no_initial_lr": dict(sched=S("StepLR", step_size=3, last_epoch=4)),
    "cawr_t0_zero": dict(sched=S("CosineAnnealingWarmRestarts", T_0=0)),
    "cawr_t0_float": dict(sched=S("CosineAnnealingWarmRestarts", T_0=2.5)),
    "cawr_tmult_zero": dict(sched=S("CosineAnnealingWarmRestarts", T_0=2, T_mult=0)),
    "cawr_tmult_float": dict(sched=S("CosineAnnealingWarmRestarts", T_0=2, T_mult=1.5)),
    "cawr_eta_min_str": dict(sched=S("CosineAnnealingWarmRestarts", T_0=2, eta_min="0")),
    "cawr_negative_epoch": dict(sched=S("CosineAnnealingWarmRestarts", T_0=2), epoch=-1),
    "cyclic_mode": dict(sched=S("CyclicLR", base_lr=0.01, max_lr=0.1, mode="square")),
    "cyclic_base_lr_len": dict(sched=S("CyclicLR", base_lr=[0.01], max_lr=0.1)),
    "cyclic_max_lr_len": dict(sched=S("CyclicLR", base_lr=0.01, max_lr=[0.1, 0.2, 0.3])),
    "cyclic_momentum_len": dict(sched=S("CyclicLR", base_lr=0.01, max_lr=0.1, max_momentum=[0.9])),
    "onecycle_total_zero": dict(sched=S("OneCycleLR", max_lr=0.1, total_steps=0)),
    "onecycle_total_float": dict(sched=S("OneCycleLR", max_lr=0.1, total_steps=10.0)),
    "onecycle_no_steps": dict(sched=S("OneCycleLR", max_lr=0.1)),
    "onecycle_epochs": dict(sched=S("OneCycleLR", max_lr=0.1, epochs=0, steps_per_epoch=5)),
    "onecycle_spe": dict(sched=S("OneCycleLR", max_lr=0.1, epochs=2, steps_per_epoch=-5)),
    "onecycle_pct_hi": dict(sched=S("OneCycleLR", max_lr=0.1, total_steps=10, pct_start=1.5)),
    "onecycle_pct_int": dict(sched=S("OneCycleLR", max_lr=0.1, total_steps=10, pct_start=1)),
    "onecycle_anneal": dict(
        sched=S("OneCycleLR", max_lr=0.1, total_steps=10, anneal_strategy="exp")
    ),
    "onecycle_max_lr_len": dict(sched=S("OneCycleLR", max_lr=[0.1], total_steps=10)),
    "onecycle_overstep": dict(sched=S("OneCycleLR", max_lr=0.1, total_steps=10), steps=11),
    "plateau_factor": dict(sched=S("ReduceLROnPlateau", factor=1.0)),
    "plateau_mode": dict(sched=S("ReduceLROnPlateau", mode="median")),
    "plateau_threshold_mode": dict(sched=S("ReduceLROnPlateau", threshold_mode="pct")),
    "plateau_min_lr_len": dict(sched=S("ReduceLROnPlateau", min_lr=[0.1, 0.2, 0.3])),
    "seq_empty": dict(sched=SEQ([], [])),
    "seq_milestones": dict(sched=SEQ([S("ExponentialLR", gamma=0.9)] * 2, [])),
    "seq_plateau": dict(sched=SEQ([S("ExponentialLR", gamma=0.9), S("ReduceLROnPlateau")], [3])),
    "chain_empty": dict(sched=CHAIN()),
    "chain_plateau": dict(sched=CHAIN(S("ExponentialLR", gamma=0.9), S("ReduceLROnPlateau"))),
}


def run_error(case):
    opt = make_optimizer(case.get("opt", "sgd"), GROUP_LRS)
    try:
        if "steps" in case or "epoch" in case:
            sched = build(tls, opt, case["sched"])
            for _ in range(case.get("steps", 0)):
                opt.step()
                sched.step()
            if "epoch" in case:
                sched.step(case["epoch"])
        else:
            build(tls, opt, case["sched"])
    except Exception as exc:  # noqa: BLE001 - recording whatever torch raises
        return {"type": type(exc).__name__, "message": str(exc)}
    raise AssertionError(f"torch accepted {case}")


def make_optimizer(kind, lrs):
    torch.manual_seed(0)
    p1 = torch.nn.Parameter(torch.zeros(3))
    p2 = torch.nn.Parameter(torch.zeros(2))
    groups = [{"params": [p1]}, {"params": [p2], "lr": lrs[1]}]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "sgd_plain":
        return torch.optim.SGD(groups, lr=lrs[0])
    if kind == "adam":
        return torch.optim.Adam(groups, lr=lrs[0], betas=(0.9, 0.999))
    raise ValueError(kind)


def record(opt, cycled, use_betas):
    lr = [g["lr"] for g in opt.param_groups]
    mom = beta2 = None
    if cycled:
        if use_betas:
            mom = [g["betas"][0] for g in opt.param_groups]
            beta2 = [g["betas"][1] for g in opt.param_groups]
        else:
            mom = [g["momentum"] for g in opt.param_groups]
    return lr, mom, beta2


def run_case(name, case):
    kind = case.get("opt", "sgd")
    spec = case["sched"]
    opt = make_optimizer(kind, GROUP_LRS)
    sched = build(tls, opt, spec)
    cycled = spec["cls"] in ("CyclicLR", "OneCycleLR") and spec["kwargs"].get(
        "cycle_momentum", True
    )
    use_betas = kind == "adam"

    epochs = EPOCHS[case["epochs"]] if "epochs" in case else None
    steps = len(epochs) if epochs is not None else STEPS
    metrics = metric_sequence(*case["metrics"], steps) if "metrics" in case else None
    resume = case.get("resume")

    lrs, moms, b2s, last = [], [], [], []

    def snap():
        lr, mom, beta2 = record(opt, cycled, use_betas)
        lrs.append(lr)
        moms.append(mom)
        b2s.append(beta2)
        last.append(list(sched.get_last_lr()))

    snap()
    for t in range(steps):
        opt.step()
        if metrics is not None:
            sched.step(metrics[t])
        elif epochs is not None:
            sched.step(epochs[t])
        elif resume is not None and t + 1 == resume:
            sched = build(tls, opt, spec, last_epoch=t)
        else:
            sched.step()
        snap()

    out = {f"{name}/lr": np.array(lrs, dtype=np.float64)}
    if cycled:
        out[f"{name}/momentum"] = np.array(moms, dtype=np.float64)
        if use_betas:
            out[f"{name}/beta2"] = np.array(b2s, dtype=np.float64)
    last = np.array(last, dtype=np.float64)
    if not np.array_equal(last, out[f"{name}/lr"]):
        out[f"{name}/last_lr"] = last
    if metrics is not None:
        out[f"{name}/metrics"] = np.array(metrics, dtype=np.float64)
    meta = {
        "opt": kind,
        "group_lrs": GROUP_LRS,
        "sched": spec,
        "steps": steps,
        "epochs": epochs,
        "resume": resume,
        "state_dict_keys": sorted(sched.state_dict().keys()),
    }
    return out, meta


def main():
    torch.set_default_dtype(torch.float64)
    arrays, meta = {}, {"torch": torch.__version__, "cases": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, case in CASES.items():
            out, m = run_case(name, case)
            arrays.update(out)
            meta["cases"][name] = m
        meta["errors"] = {}
        for name, case in ERRORS.items():
            meta["errors"][name] = dict(case, expected=run_error(case))
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **arrays)
    print(
        f"wrote {len(CASES)} cases and {len(ERRORS)} error cases to "
        f"{os.path.normpath(OUT)} ({os.path.getsize(OUT)} bytes)"
    )


if __name__ == "__main__":
    main()
