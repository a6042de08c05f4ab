"""The shape of the live transport's own events, pinned: pages rely on it."""

from broadsheet.live import events


def test_presence_changed_lists_readers_by_handle_with_seconds_left():
    assert events.presence_changed({"unc-2": 0, "kestrel-7": 300}) == {
        "type": "presence.changed",
        "readers": {"kestrel-7": 300, "unc-2": 0},
    }


def test_reload_discussion_is_the_type_alone():
    assert events.reload_discussion() == {"type": "discussion.reload"}
