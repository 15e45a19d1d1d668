"""Helpers shared by the benchmark scripts: machine description, versions, tables, JSON.

Only the standard library and NumPy are imported at module level, so that the start-up
benchmark can use this module without paying for torch or numba.
"""
import datetime
import gc
import importlib
import json
import os
import platform
import statistics
import sys
import time


def cpu_model():
    """Return the CPU model name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info():
    """Return a dict describing the machine the benchmark ran on."""
    info = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        with open("/proc/meminfo") as f:
            info["mem_total_kib"] = int(f.readline().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return info


def versions(*names):
    """Return ``{name: __version__}`` for each importable module, ``None`` where it is missing."""
    out = {}
    for name in names:
        try:
            mod = importlib.import_module(name)
        except Exception:  # noqa: BLE001 -- a broken optional peer must not stop the run
            out[name] = None
            continue
        out[name] = getattr(mod, "__version__", "unknown")
    return out


def median(xs):
    """Median of a non-empty sequence, ``nan`` when it is empty."""
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def fmt(x, spec):
    """Format a number, or ``"-"`` for ``None``/``nan``."""
    if x is None or x != x:
        return "-"
    return format(x, spec)


def print_table(headers, rows, aligns=None):
    """Print a plain-text table with columns padded to their widest cell.

    ``aligns`` is a string of ``"<"``/``">"`` per column (default: first left, rest right).
    """
    aligns = aligns or "<" + ">" * (len(headers) - 1)
    cells = [list(map(str, headers))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(headers))]

    def line(r):
        return "  ".join(format(c, f"{a}{w}") for c, a, w in zip(r, aligns, widths)).rstrip()

    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for r in cells[1:]:
        print(line(r))


def write_json(path, payload):
    """Write ``payload`` as indented JSON (NaN becomes ``null``)."""

    def clean(x):
        if isinstance(x, float) and x != x:
            return None
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x

    with open(path, "w") as f:
        json.dump(clean(payload), f, indent=1)
        f.write("\n")


class CpuShare:
    """Measure how much CPU other processes used while a block ran (Linux only).

    The benchmarks' threads need every core; on a shared machine a busy neighbour
    stretches parallel regions by whole scheduler time slices. ``others`` is the
    fraction of all CPUs' time spent by other processes (``steal`` by other virtual
    machines) between ``start()`` and ``stop()``, ``None`` where ``/proc`` is missing.
    Our own finished child processes count as ours.
    """

    def __init__(self):
        self.others = self.steal = None
        self._t0 = None

    @staticmethod
    def _snapshot():
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime + stime of all our threads, plus cutime + cstime of the child processes
        # we have waited for (the start-up benchmark's), in clock ticks.
        own = sum(int(x) for x in fields[11:15])
        busy = cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]  # user nice system irq softirq
        total = sum(cpu[:8])  # ... + idle iowait steal
        return busy, own, cpu[7], total

    def start(self):
        try:
            self._t0 = self._snapshot()
        except (OSError, ValueError, IndexError):
            self._t0 = None
        return self

    def stop(self):
        if self._t0 is None:
            return self
        b1, o1, s1, t1 = self._snapshot()
        b0, o0, s0, t0 = self._t0
        total = max(t1 - t0, 1)
        self.others = max(b1 - b0 - (o1 - o0), 0) / total
        self.steal = (s1 - s0) / total
        return self


def time_rounds(impls, repeat, inner, rng):
    """``{name: [seconds per call, one per round]}``, round-robin in random order."""
    samples = {name: [] for name in impls}
    names = list(impls)
    for _ in range(repeat):
        rng.shuffle(names)
        for name in names:
            fn = impls[name]
            gc.disable()
            try:
                t0 = time.perf_counter()
                for _ in range(inner):
                    fn()
                dt = time.perf_counter() - t0
            finally:
                gc.enable()
            samples[name].append(dt / inner)
    return samples
