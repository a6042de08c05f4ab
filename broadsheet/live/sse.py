"""Server-Sent Events text: how an event is written on a live stream.

Apart from the stream itself (live/streams.py) because the hub formats each
event once, for every page that receives it, before any stream asks.
"""

import json

from broadsheet.live.events import Event


def format_sse(event: Event, event_id: int | None = None) -> str:
    """One SSE message: `id:` (when the event is stored, for resuming), `event:` and `data:`."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"event: {event['type']}")
    lines.append("data: " + json.dumps(event, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"
