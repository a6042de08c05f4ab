"""Django's Redis cache, with one client object per connection pool kept for the
life of the process.

Django's `RedisCacheClient.get_client()` makes a new `redis.Redis` for every cache
call. Building one fills its table of about 170 response callbacks, which cost
about as much CPU as the call's round trip to Redis; a post makes three such
calls (its session, the webhook subscriptions, the comment's HTML) and every
signed-in page at least one (docs/posting.md, round 6). A `redis.Redis` holds no
connection of its own (each command borrows one from the pool and gives it back),
so one per pool serves every thread, as the live hub's single client already does.
Everything else (keys, serializing, timeouts, the pools) is Django's.
"""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client, handing out one kept `redis.Redis` per pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}
        self._clients_lock = threading.Lock()

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            with self._clients_lock:
                client = self._clients.get(index)
                if client is None:
                    pool = self._pool_for(index)
                    client = self._clients[index] = self._client(connection_pool=pool)
        return client

    def _pool_for(self, index: int):
        # As Django's _get_connection_pool(), for a given index (it draws its own).
        if index not in self._pools:
            self._pools[index] = self._pool_class.from_url(
                self._servers[index], **self._pool_options
            )
        return self._pools[index]


class RedisCache(DjangoRedisCache):
    """`django.core.cache.backends.redis.RedisCache` with kept clients."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
