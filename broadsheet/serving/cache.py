"""A process-local cache bounded in bytes, not in entries.

Django's LocMemCache counts entries (MAX_ENTRIES, 300 by default) but not their
size, and the entries here are finished pages of up to a few hundred kilobytes:
a stranger who made it hold 300 different large pages could grow a process by
hundreds of megabytes. Django has no byte-bounded local cache and the
maintained third-party ones are disk or Redis backed, so this subclass keeps a
byte count beside LocMemCache's own bookkeeping and drops the least recently
used entries once the count passes OPTIONS["MAX_BYTES"]. With Redis configured
the cache is Redis, bounded by its own `maxmemory` (docs/deploy.md).
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

_sizes: dict[str, dict[str, int]] = {}
_totals: dict[str, list[int]] = {}


class BoundedLocMemCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        options = params.get("OPTIONS", {})
        self.max_bytes = int(options.get("MAX_BYTES", 64 * 1024 * 1024))
        self._sizes = _sizes.setdefault(name, {})
        # A one-item list so that every instance of one named cache shares it.
        self._total = _totals.setdefault(name, [0])

    @property
    def total_bytes(self) -> int:
        return self._total[0]

    def _account(self, key: str, size: int) -> None:
        self._total[0] += size - self._sizes.get(key, 0)
        self._sizes[key] = size

    def _forget(self, key: str) -> None:
        self._total[0] -= self._sizes.pop(key, 0)

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        if len(value) > self.max_bytes:
            # Larger than the whole cache: keeping it would evict everything else.
            self._delete(key)
            return
        super()._set(key, value, timeout)
        self._account(key, len(value))
        while self._total[0] > self.max_bytes and len(self._cache) > 1:
            # The least recently used entry is last (LocMemCache moves hits to the front).
            oldest, _ = self._cache.popitem()
            self._expire_info.pop(oldest, None)
            self._forget(oldest)

    def _cull(self):
        super()._cull()
        for key in [k for k in self._sizes if k not in self._cache]:
            self._forget(key)

    def _delete(self, key):
        self._forget(key)
        return super()._delete(key)

    def incr(self, key, delta=1, version=None):
        value = super().incr(key, delta, version)
        full_key = self.make_and_validate_key(key, version=version)
        with self._lock:
            if full_key in self._cache:
                self._account(full_key, len(self._cache[full_key]))
        return value

    def clear(self):
        with self._lock:
            self._cache.clear()
            self._expire_info.clear()
            self._sizes.clear()
            self._total[0] = 0
