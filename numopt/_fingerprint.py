"""A fingerprint of numopt's own source, for the keys of numba's on-disk cache.

numba checks only the timestamp of the file that defines a cached function. Compiled
drivers here are closures (in ``_drivers``) that inline code from other modules: a
rule's helpers, a method's line search. Closing over this fingerprint makes their cache
keys change whenever any of numopt's compiled sources changes, so an edit never leaves
a stale kernel behind. :mod:`numopt._numba` is covered by every fingerprint: how numopt
reaches numba's internals (calls by address or linked helpers) shapes all compiled code.
"""
import hashlib
from pathlib import Path

_ROOT = Path(__file__).resolve().parent
_ALWAYS = ("_numba.py",)
_cache = {}


def source_fingerprint(*subpackages):
    """SHA-256 of the ``.py`` files of the given subpackages (relative to ``numopt``) and
    of :mod:`numopt._numba`."""
    if subpackages not in _cache:
        h = hashlib.sha256()
        for name in _ALWAYS:
            h.update(name.encode())
            h.update((_ROOT / name).read_bytes())
        for sub in subpackages:
            for path in sorted((_ROOT / sub).glob("*.py")):
                h.update(path.name.encode())
                h.update(path.read_bytes())
        _cache[subpackages] = h.hexdigest()
    return _cache[subpackages]
