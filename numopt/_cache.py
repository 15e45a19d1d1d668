"""numopt's in-process caches of compiled code, all in one place.

Compiling an adapter for an objective, a batch loop for a method or a kernel for a rule
takes from tens of milliseconds to seconds, so each is kept for the next call. Two kinds:

- :class:`ObjectCache`, for entries that belong to one user object (an objective, its
  ``jac``): the entry goes when the object is garbage-collected, and at most ``maxsize``
  entries are kept in any case, least recently used first out. The object is held
  weakly, so an entry is freed with its object only if the entry's value does not refer
  to the object: Python has no weak table whose values may refer to their keys. Values
  that must call the object hold what they need of it instead (compiled code, not the
  dispatcher: see :func:`numopt._minimize._drivers.first_class`); where that cannot be
  done (CUDA kernels, which compile on launch), the LRU bound alone frees them.
- :class:`BoundedCache`, for entries keyed on numopt's own values (a method's ``step``,
  a dtype, a rule): a bounded LRU table.

:func:`clear` empties every cache (for tests, or to release memory); :func:`caches` lists
them. Nothing is ever attached to numba's objects.
"""
import functools
import threading
import weakref
from collections import OrderedDict

__all__ = ["ObjectCache", "BoundedCache", "clear", "caches"]

_ALL = weakref.WeakValueDictionary()  # name -> cache
_MISSING = object()


class BoundedCache:
    """A least-recently-used table of at most ``maxsize`` entries.

    Parameters
    ----------
    name : str
        A unique name (``"module.what"``), for :func:`caches`.
    maxsize : int
        Entries kept at most; storing one more drops the least recently used.

    Notes
    -----
    Reads and writes take a lock, so threads (``minimize_batch``'s executors) may share a
    cache; two threads missing the same key both compute its value, and the second
    stored wins.
    """

    def __init__(self, name, maxsize=256):
        if name in _ALL:
            raise ValueError(f"a cache named {name!r} exists already")
        self.name = name
        self.maxsize = int(maxsize)
        self._data = OrderedDict()
        self._lock = threading.Lock()
        _ALL[name] = self

    def get(self, key, default=None):
        """The value stored under ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            try:
                self._data.move_to_end(key)
            except KeyError:
                return default
            return self._data[key]

    def __contains__(self, key):
        return key in self._data

    def __getitem__(self, key):
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key, value):
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __len__(self):
        return len(self._data)

    def __iter__(self):
        """The keys, least recently used first (a snapshot)."""
        with self._lock:
            return iter(list(self._data))

    def values(self):
        """The values, least recently used first (a snapshot)."""
        with self._lock:
            return list(self._data.values())

    def clear(self):
        """Drop every entry."""
        with self._lock:
            self._data.clear()

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}: {len(self)}/{self.maxsize}>"


class ObjectCache(BoundedCache):
    """A :class:`BoundedCache` whose keys start with a user object: ``(obj, *rest)``.

    An entry is dropped once ``obj`` is garbage-collected (or, when ``obj`` cannot be
    weakly referenced, held only by the LRU bound). Keys compare ``obj`` by identity, as
    the compiled entry is tied to that very object; a new object that happens to get a
    collected one's ``id`` never sees the old entry. ``rest`` is held strongly.

    Parameters
    ----------
    name : str
    maxsize : int

    Examples
    --------
    >>> from numopt._cache import ObjectCache
    >>> adapters = ObjectCache("doc.adapters", maxsize=4)
    >>> def f(x):
    ...     return x
    >>> adapters.store(f, "value", value=42)
    42
    >>> adapters.lookup(f, "value"), adapters.lookup(f, "grad")
    (42, None)
    >>> del f
    >>> len(adapters)
    0
    """

    def __init__(self, name, maxsize=64):
        super().__init__(name, maxsize)
        # Keys of entries whose object was collected, dropped at the next use: a weakref
        # callback may run inside any allocation (a garbage collection), even while this
        # thread holds the lock or is inside the OrderedDict, so it only appends here.
        self._dead = []

    def _purge(self):
        # under self._lock
        while self._dead:
            key, ref = self._dead.pop()
            entry = self._data.get(key)
            if entry is not None and entry[0] is ref:  # not a newer entry of a reused id
                del self._data[key]

    def lookup(self, obj, *rest, default=None):
        """The entry for ``obj`` and the rest of the key, or ``default``."""
        key = (id(obj), *rest)
        with self._lock:
            if self._dead:
                self._purge()
            try:
                self._data.move_to_end(key)
            except KeyError:
                return default
            ref, value = self._data[key]
        return value if ref() is obj else default

    def store(self, obj, *rest, value):
        """Keep ``value`` for ``obj`` and the rest of the key; returns ``value``."""
        key = (id(obj), *rest)
        try:
            ref = weakref.ref(obj, functools.partial(_died, weakref.ref(self), key))
        except TypeError:  # not weakly referenceable: the LRU bound alone limits it
            ref = _Strong(obj)
        with self._lock:
            self._purge()
            self._data[key] = (ref, value)
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return value

    def __len__(self):
        with self._lock:
            self._purge()
            return len(self._data)

    def __iter__(self):
        raise TypeError("an ObjectCache is not iterable: use values()")

    def __contains__(self, key):
        raise TypeError("an ObjectCache is queried with lookup(obj, *rest)")

    def values(self):
        """The values whose objects are alive, least recently used first (a snapshot)."""
        with self._lock:
            self._purge()
            return [value for ref, value in self._data.values() if ref() is not None]

    def clear(self):
        with self._lock:
            self._data.clear()
            self._dead.clear()


def _died(cache_ref, key, ref):
    cache = cache_ref()
    if cache is not None:
        cache._dead.append((key, ref))  # list.append is atomic: no lock (see _dead)


class _Strong:
    """A strong reference with the call of a weak one."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        return self.obj


def caches():
    """Every live cache, by name.

    Returns
    -------
    dict of str to BoundedCache
    """
    return dict(_ALL)


def clear():
    """Empty every cache."""
    for cache in list(_ALL.values()):
        cache.clear()
