"""Serving: how requests reach Django and answers leave it.

`broadsheet serve` (Uvicorn with our access log), the ASGI handler that runs a
process's synchronous code in one thread, the request-size cap, the front cache
that answers signed-out readers before Django, the byte-bounded local cache,
static files, and the middleware that keeps the chain async and marks private
pages. It knows HTTP and Django, and nothing of articles, comments or readers:
features tell it what it needs (`mark_shared` on a response, the live changes
clock) rather than it asking them (docs/adr/0007-layers.md).
"""
