"""numopt's in-process caches of compiled code, all in one place.

Compiling an adapter for an objective, a batch loop for a method or a kernel for a rule
takes from tens of milliseconds to seconds, so each is kept for the next call. Two kinds:

- :class:`ObjectCache`, for entries that belong to one user object (an objective, its
  ``jac``): the entry goes when the object is garbage-collected, and at most ``maxsize``
  entries are kept in any case, least recently used first out. The bound matters
  because a compiled entry usually refers to the objective it calls, and Python has no
  weak table whose values may refer to their keys: without it, objectives created in a
  loop would be kept alive forever.
- :class:`BoundedCache`, for entries keyed on numopt's own values (a method's ``step``,
  a dtype, a rule): a bounded LRU table.

:func:`clear` empties every cache (for tests, or to release memory). Nothing is ever
attached to numba's objects.
"""
import threading
import weakref
from collections import OrderedDict

__all__ = ["ObjectCache", "BoundedCache", "clear", "caches"]

_ALL = weakref.WeakValueDictionary()  # name -> cache


class BoundedCache:
    """A least-recently-used table of at most ``maxsize`` entries.

    Parameters
    ----------
    name : str
        A unique name (``"module.what"``), for :func:`caches`.
    maxsize : int
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

    def clear(self):
        with self._lock:
            self._data.clear()

    def __repr__(self):
        return f"<{type(self).__name__} {self.name}: {len(self)}/{self.maxsize}>"


class ObjectCache(BoundedCache):
    """A :class:`BoundedCache` whose keys start with a user object: ``(obj, *rest)``.

    An entry is dropped when ``obj`` is garbage-collected (or cannot be weakly
    referenced: then it is held only by the LRU bound). Keys compare ``obj`` by identity,
    as the compiled entry is tied to that very object.
    """

    def __init__(self, name, maxsize=64):
        super().__init__(name, maxsize)

    def _key(self, obj, rest):
        return (id(obj), *rest)

    def lookup(self, obj, *rest, default=None):
        """The entry for ``obj`` and the rest of the key, or ``default``."""
        entry = self.get(self._key(obj, rest), _MISSING)
        if entry is _MISSING or entry[0]() is not obj:  # an id reused by a new object
            return default
        return entry[1]

    def store(self, obj, *rest, value):
        """Keep ``value`` for ``obj`` and the rest of the key; returns ``value``."""
        key = self._key(obj, rest)
        try:
            ref = weakref.ref(obj, lambda _, key=key, cache=weakref.ref(self): _drop(cache, key))
        except TypeError:  # not weakly referenceable: the LRU bound alone limits it
            ref = _Strong(obj)
        self[key] = (ref, value)
        return value


def _drop(cache_ref, key):
    cache = cache_ref()
    if cache is not None:
        with cache._lock:
            cache._data.pop(key, None)


class _Strong:
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __call__(self):
        return self.obj


_MISSING = object()


def caches():
    """Every live cache, by name."""
    return dict(_ALL)


def clear():
    """Empty every cache."""
    for cache in list(_ALL.values()):
        cache.clear()
