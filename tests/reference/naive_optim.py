"""Naive NumPy re-implementation of torch 2.13's first-order optimizers (single-tensor path).

Only for checking the golden data and the test harness in
``tests/optim/test_trajectories.py`` independently of numopt: every update is written
array-at-a-time, in torch's order of operations (``_single_tensor_<name>`` in
``torch/optim/<name>.py``), with NumPy's promotion rules standing in for torch's
(a Python float scalar takes the array's dtype). It mirrors just enough of the
``torch.optim`` API for the tests: parameter groups, ``state``, ``zero_grad`` and
``step``. Not a public API and not fast.
"""

import numpy as np

DEFAULTS = {
    "SGD": dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, maximize=False),
    "Adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False,
                 decoupled_weight_decay=False),
    "AdamW": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False),
    "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False),
    "NAdam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                  decoupled_weight_decay=False, maximize=False),
    "RAdam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False,
                  maximize=False),
    "Adagrad": dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10,
                    maximize=False),
    "Adadelta": dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False),
    "RMSprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                    maximize=False),
    "Rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0), maximize=False),
    "ASGD": dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False),
    # not in torch: Chen et al. 2023, Algorithm 2, as lucidrains/lion-pytorch writes it
    "Lion": dict(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False),
    "Adafactor": dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0,
                      maximize=False),
}


class Param:
    """A parameter: ``data`` is updated in place, ``grad`` is None or an array."""

    def __init__(self, data):
        self.data = np.array(data)
        self.grad = None


def _lerp(a, b, w):
    # torch's lerp kernel: two formulas, picked by |w| < 0.5, for accuracy near both ends
    w = a.dtype.type(w)
    return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)


class NaiveOptimizer:
    """torch.optim-like driver; ``name`` selects the update rule."""

    def __init__(self, name, params, **kwargs):
        self.name = name
        self.defaults = dict(DEFAULTS[name], **kwargs)
        if name == "AdamW":
            self.defaults["decoupled_weight_decay"] = True
        params = list(params)
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        self.param_groups = [dict(self.defaults, **g) for g in params]
        self.state = {}
        if name == "Adagrad":
            # torch creates Adagrad's state in the constructor, from the constructor's
            # initial_accumulator_value: a group's own value is ignored
            for g in self.param_groups:
                for p in g["params"]:
                    self.state[p] = {"step": 0.0,
                                     "sum": np.full_like(p.data, self.defaults["initial_accumulator_value"])}

    def zero_grad(self):
        for g in self.param_groups:
            for p in g["params"]:
                p.grad = None

    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is not None:
                    grad = -p.grad if g["maximize"] else p.grad.copy()
                    getattr(self, "_" + self.name.lower())(p, grad, self.state.setdefault(p, {}), g)

    # ---- the update rules; ``st`` is the parameter's state dict (empty on first use) ----
    def _sgd(self, p, grad, st, g):
        if g["weight_decay"] != 0:
            grad = grad + g["weight_decay"] * p.data
        m = g["momentum"]
        if m != 0:
            if "momentum_buffer" not in st:
                st["momentum_buffer"] = grad.copy()
            else:
                st["momentum_buffer"] = st["momentum_buffer"] * m + (1 - g["dampening"]) * grad
            buf = st["momentum_buffer"]
            grad = grad + m * buf if g["nesterov"] else buf
        p.data[...] = p.data - g["lr"] * grad

    def _adam(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
            if g["amsgrad"]:
                st["max_exp_avg_sq"] = np.zeros_like(p.data)
        st["step"] += 1
        lr, (b1, b2), wd, step = g["lr"], g["betas"], g["weight_decay"], st["step"]
        if wd != 0:
            if g["decoupled_weight_decay"]:
                p.data[...] = p.data * (1 - lr * wd)
            else:
                grad = grad + wd * p.data
        st["exp_avg"] = _lerp(st["exp_avg"], grad, 1 - b1)
        st["exp_avg_sq"] = st["exp_avg_sq"] * b2 + (1 - b2) * grad * grad
        step_size = lr / (1 - b1 ** step)
        bc2_sqrt = (1 - b2 ** step) ** 0.5
        v = st["exp_avg_sq"]
        if g["amsgrad"]:
            st["max_exp_avg_sq"] = np.maximum(st["max_exp_avg_sq"], v)
            v = st["max_exp_avg_sq"]
        denom = np.sqrt(v) / bc2_sqrt + g["eps"]
        p.data[...] = p.data - step_size * (st["exp_avg"] / denom)

    _adamw = _adam

    def _adamax(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, exp_avg=np.zeros_like(p.data), exp_inf=np.zeros_like(p.data))
        st["step"] += 1
        (b1, b2) = g["betas"]
        if g["weight_decay"] != 0:
            grad = grad + g["weight_decay"] * p.data
        st["exp_avg"] = _lerp(st["exp_avg"], grad, 1 - b1)
        st["exp_inf"] = np.maximum(st["exp_inf"] * b2, np.abs(grad) + g["eps"])
        clr = g["lr"] / (1 - b1 ** st["step"])
        p.data[...] = p.data - clr * (st["exp_avg"] / st["exp_inf"])

    def _nadam(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, mu_product=1.0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        st["step"] += 1
        lr, (b1, b2), wd, step = g["lr"], g["betas"], g["weight_decay"], st["step"]
        bc2 = 1 - b2 ** step
        if wd != 0:
            if g["decoupled_weight_decay"]:
                p.data[...] = p.data * (1 - lr * wd)
            else:
                grad = grad + wd * p.data
        mu = b1 * (1.0 - 0.5 * 0.96 ** (step * g["momentum_decay"]))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * g["momentum_decay"]))
        st["mu_product"] *= mu
        mu_product = st["mu_product"]
        st["exp_avg"] = _lerp(st["exp_avg"], grad, 1 - b1)
        st["exp_avg_sq"] = st["exp_avg_sq"] * b2 + (1 - b2) * grad * grad
        denom = np.sqrt(st["exp_avg_sq"] / bc2) + g["eps"]
        p.data[...] = p.data + (-lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)
        p.data[...] = p.data + (-lr * mu_next / (1.0 - mu_product * mu_next)) * (st["exp_avg"] / denom)

    def _radam(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        st["step"] += 1
        lr, (b1, b2), wd, step = g["lr"], g["betas"], g["weight_decay"], st["step"]
        if wd != 0:
            if g["decoupled_weight_decay"]:
                p.data[...] = p.data * (1 - lr * wd)
            else:
                grad = grad + wd * p.data
        st["exp_avg"] = _lerp(st["exp_avg"], grad, 1 - b1)
        st["exp_avg_sq"] = st["exp_avg_sq"] * b2 + (1 - b2) * grad * grad
        bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
        m_hat = st["exp_avg"] / bc1
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * step * (b2 ** step) / bc2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive = bc2 ** 0.5 / (np.sqrt(st["exp_avg_sq"]) + g["eps"])
            p.data[...] = p.data - m_hat * lr * adaptive * rect
        else:
            p.data[...] = p.data - m_hat * lr

    def _adagrad(self, p, grad, st, g):
        st["step"] += 1
        if g["weight_decay"] != 0:
            grad = grad + g["weight_decay"] * p.data
        clr = g["lr"] / (1 + (st["step"] - 1) * g["lr_decay"])
        st["sum"] = st["sum"] + grad * grad
        p.data[...] = p.data - clr * (grad / (np.sqrt(st["sum"]) + g["eps"]))

    def _adadelta(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, square_avg=np.zeros_like(p.data), acc_delta=np.zeros_like(p.data))
        st["step"] += 1
        rho, eps = g["rho"], g["eps"]
        if g["weight_decay"] != 0:
            grad = grad + g["weight_decay"] * p.data
        st["square_avg"] = st["square_avg"] * rho + (1 - rho) * grad * grad
        std = np.sqrt(st["square_avg"] + eps)
        delta = np.sqrt(st["acc_delta"] + eps) / std * grad
        st["acc_delta"] = st["acc_delta"] * rho + (1 - rho) * delta * delta
        p.data[...] = p.data - g["lr"] * delta

    def _rmsprop(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, square_avg=np.zeros_like(p.data))
            if g["momentum"] > 0:
                st["momentum_buffer"] = np.zeros_like(p.data)
            if g["centered"]:
                st["grad_avg"] = np.zeros_like(p.data)
        st["step"] += 1
        alpha = g["alpha"]
        if g["weight_decay"] != 0:
            grad = grad + g["weight_decay"] * p.data
        st["square_avg"] = st["square_avg"] * alpha + (1 - alpha) * grad * grad
        if g["centered"]:
            st["grad_avg"] = _lerp(st["grad_avg"], grad, 1 - alpha)
            avg = np.sqrt(st["square_avg"] - st["grad_avg"] * st["grad_avg"])
        else:
            avg = np.sqrt(st["square_avg"])
        avg = avg + g["eps"]
        if g["momentum"] > 0:
            st["momentum_buffer"] = st["momentum_buffer"] * g["momentum"] + grad / avg
            p.data[...] = p.data - g["lr"] * st["momentum_buffer"]
        else:
            p.data[...] = p.data - g["lr"] * (grad / avg)

    def _rprop(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, prev=np.zeros_like(p.data), step_size=np.full_like(p.data, g["lr"]))
        st["step"] += 1
        (etaminus, etaplus), (smin, smax) = g["etas"], g["step_sizes"]
        t = p.data.dtype.type
        s = np.sign(grad * st["prev"])
        factor = np.where(s > 0, t(etaplus), np.where(s < 0, t(etaminus), t(1)))
        st["step_size"] = np.clip(st["step_size"] * factor, smin, smax).astype(p.data.dtype)
        grad = np.where(s < 0, t(0), grad)
        p.data[...] = p.data - np.sign(grad) * st["step_size"]
        st["prev"] = grad.copy()

    def _asgd(self, p, grad, st, g):
        if not st:
            st.update(step=0.0, eta=float(g["lr"]), mu=1.0, ax=np.zeros_like(p.data))
        st["step"] += 1
        lambd, eta = g["lambd"], st["eta"]
        if g["weight_decay"] != 0:
            grad = grad + g["weight_decay"] * p.data
        p.data[...] = p.data * (1 - lambd * eta)
        p.data[...] = p.data - eta * grad
        if st["mu"] != 1:
            st["ax"] = st["ax"] + (p.data - st["ax"]) * st["mu"]
        else:
            st["ax"] = p.data.copy()
        step = st["step"]
        st["eta"] = g["lr"] / ((1 + lambd * g["lr"] * step) ** g["alpha"])
        st["mu"] = 1 / max(1, step - g["t0"])

    def _lion(self, p, grad, st, g):
        # not in torch: Chen et al. 2023, Algorithm 2, in lucidrains/lion-pytorch's order
        if not st:
            st["exp_avg"] = np.zeros_like(p.data)
        lr, (b1, b2), wd = g["lr"], g["betas"], g["weight_decay"]
        p.data[...] = p.data * (1 - lr * wd)
        update = np.sign(st["exp_avg"] * b1 + (1 - b1) * grad)
        p.data[...] = p.data - lr * update
        st["exp_avg"] = st["exp_avg"] * b2 + (1 - b2) * grad

    def _adafactor(self, p, grad, st, g):
        # torch 2.13's _single_tensor_adafactor: the second moment of a parameter with
        # two or more dimensions factored over its last two (row and column means)
        x = p.data
        if not st:
            st["step"] = 0.0
            if x.ndim > 1:
                st["row_var"] = np.zeros(x.shape[:-1] + (1,), x.dtype)
                st["col_var"] = np.zeros(x.shape[:-2] + (1,) + x.shape[-1:], x.dtype)
            else:
                st["variance"] = np.zeros_like(x)
        eps1, eps2 = g["eps"]
        if eps1 is None:
            eps1 = np.finfo(x.dtype).eps
        lr, wd = g["lr"], g["weight_decay"]
        st["step"] += 1
        step = st["step"]
        one_minus_beta2_t = step ** g["beta2_decay"]
        rho_t = min(lr, 1 / step ** 0.5)
        alpha = max(eps2, np.sqrt(np.sum(x.astype(np.float64) ** 2)) / x.size ** 0.5) * rho_t
        if wd != 0:
            x[...] = x * (1 - lr * wd)
        if x.ndim > 1:
            row_mean = (grad * grad).sum(axis=-1, keepdims=True) / grad.shape[-1]
            st["row_var"] = _lerp(st["row_var"], row_mean, one_minus_beta2_t)
            col_mean = (grad * grad).sum(axis=-2, keepdims=True) / grad.shape[-2]
            st["col_var"] = _lerp(st["col_var"], col_mean, one_minus_beta2_t)
            var = st["row_var"] * st["col_var"]
            var = var / np.maximum(st["row_var"].mean(axis=-2, keepdims=True), eps1)
        else:
            st["variance"] = _lerp(st["variance"], grad * grad, one_minus_beta2_t)
            var = st["variance"].copy()
        update = grad / np.sqrt(np.maximum(var, x.dtype.type(eps1 * eps1)))
        norm = np.sqrt(np.sum(update.astype(np.float64) ** 2))
        denom = max(1.0, norm / (update.size ** 0.5 * g["d"]))
        x[...] = x + (-alpha / denom) * update


def rho_t(beta2, step):
    """RAdam's length of the approximated SMA at ``step`` (its update is rectified when > 5)."""
    rho_inf = 2 / (1 - beta2) - 1
    return rho_inf - 2 * step * beta2 ** step / (1 - beta2 ** step)

