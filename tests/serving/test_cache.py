"""The process-local cache is bounded in bytes, whatever the number of entries."""

from broadsheet.serving.cache import BoundedLocMemCache


def _cache(name: str, max_bytes: int) -> BoundedLocMemCache:
    cache = BoundedLocMemCache(name, {"OPTIONS": {"MAX_BYTES": max_bytes}})
    cache.clear()
    return cache


def test_large_entries_push_out_the_least_recently_used_to_stay_under_the_bound():
    cache = _cache("bounded-test-1", 1_000_000)
    for n in range(50):
        cache.set(f"page-{n}", b"x" * 100_000)
        assert cache.total_bytes <= 1_000_000
    assert cache.get("page-49") is not None
    assert cache.get("page-0") is None


def test_a_recently_read_entry_is_kept_over_older_ones():
    cache = _cache("bounded-test-2", 350_000)
    cache.set("a", b"x" * 100_000)
    cache.set("b", b"x" * 100_000)
    cache.set("c", b"x" * 100_000)
    cache.get("a")
    cache.set("d", b"x" * 100_000)
    assert cache.get("a") is not None
    assert cache.get("b") is None


def test_an_entry_larger_than_the_whole_cache_is_not_kept():
    cache = _cache("bounded-test-3", 10_000)
    cache.set("small", b"x" * 100)
    cache.set("huge", b"x" * 20_000)
    assert cache.get("huge") is None
    assert cache.get("small") is not None


def test_counters_and_deletes_keep_the_byte_count_true():
    cache = _cache("bounded-test-4", 10_000)
    cache.set("count", 1)
    cache.incr("count", 10**30)
    cache.set("gone", b"x" * 1000)
    cache.delete("gone")
    assert cache.get("count") == 1 + 10**30
    assert 0 < cache.total_bytes < 1000
    cache.clear()
    assert cache.total_bytes == 0
