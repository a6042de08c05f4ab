"""Hooks: how a lower layer tells higher ones of something without importing them.

A feature app's operation calls its hook inside its own transaction; the apps
above it (integrations) register listeners in their AppConfig.ready. Whatever a
listener writes commits or rolls back with the operation, and a listener that
raises fails the operation: listeners must be quick (an INSERT, an enqueue) and
leave anything slow to the worker.
"""

from collections.abc import Callable
from typing import Any


class Hook:
    """A list of listeners, each called as `listener(**kwargs)` in the order registered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[..., None]] = []

    def register(self, listener: Callable[..., None]) -> None:
        """Add a listener; registering one twice (a second `ready()`) changes nothing."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unregister(self, listener: Callable[..., None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def __call__(self, **kwargs: Any) -> None:
        for listener in self._listeners:
            listener(**kwargs)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._listeners)} listeners>"
