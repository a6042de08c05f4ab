"""Live events the transport itself sends, whatever the page is about.

Each builder returns the event's exact shape (tests/live/test_events.py pins
them). Events about comments are built by the discussion app
(discussion/events.py): the transport carries them without knowing them.
"""

from typing import Any

Event = dict[str, Any]


def presence_changed(seconds_left: dict[str, int]) -> Event:
    """Readers whose presence changed: handle -> seconds they stay Online (0: Offline)."""
    return {"type": "presence.changed", "readers": dict(sorted(seconds_left.items()))}


def reload_discussion() -> Event:
    """Sent to a page that missed more than can be replayed: reload the discussion."""
    return {"type": "discussion.reload"}
