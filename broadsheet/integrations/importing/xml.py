"""Reading an XML export safely and in bounded memory.

defusedxml refuses a DTD, entity declarations and external references (an
entity bomb, a file read through an external entity) before they expand, and
iterparse hands over one top-level element at a time; each is cleared from the
tree once read, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from broadsheet.integrations.importing.records import ImportFileError, Progress

_PROGRESS_EVERY = 2000


def top_level_elements(
    path: Path, *, root_tag: str, depth: int = 1, progress: Progress | None = None
) -> Iterator[Element]:
    """Yield each element `depth` levels under the root, complete, then drop it.

    Raises ImportFileError for XML that is unsafe (DTD, entities), malformed,
    truncated, or whose root is not `root_tag`.
    """
    size = path.stat().st_size
    with open(path, "rb") as handle:
        level = 0
        root = None
        parents: list[Element] = []
        seen = 0
        try:
            for event, element in iterparse(
                handle, events=("start", "end"), forbid_dtd=True, forbid_entities=True
            ):
                if event == "start":
                    if root is None:
                        root = element
                        if local_name(element.tag) != root_tag:
                            raise ImportFileError(
                                f"This is not the expected export: its root element is "
                                f"<{local_name(element.tag)}>, not <{root_tag}>."
                            )
                    if level < depth:
                        parents.append(element)
                    level += 1
                    continue
                level -= 1
                if level == depth:
                    yield element
                    parents[-1].remove(element)  # read: let it go
                    seen += 1
                    if progress is not None and seen % _PROGRESS_EVERY == 0:
                        progress(handle.tell(), size)
                elif level < depth:
                    parents.pop()
        except DefusedXmlException as error:
            raise ImportFileError(
                "The file declares a DTD or entities, which an export never needs and an "
                f"attack does (an entity bomb, a read of local files): refused ({error})."
            ) from error
        except ParseError as error:
            line, column = getattr(error, "position", (0, 0))
            if "no element found" in str(error) or "unclosed token" in str(error):
                raise ImportFileError(
                    f"The file ends in the middle (line {line}): it looks truncated. "
                    "Nothing was imported; export it again."
                ) from error
            raise ImportFileError(
                f"The file is not well-formed XML (line {line}, column {column}): {error}. "
                "Nothing was imported."
            ) from error
        if progress is not None:
            progress(size, size)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child_text(element: Element | None, name: str, limit: int = 2000) -> str:
    """The text of the first child named `name` (any namespace), bounded; "" if none."""
    if element is None:
        return ""
    for child in element:
        if local_name(child.tag) == name:
            return (child.text or "").strip()[:limit]
    return ""


def child(element: Element, name: str) -> Element | None:
    for item in element:
        if local_name(item.tag) == name:
            return item
    return None


def attribute(element: Element | None, name: str) -> str:
    """An attribute by its local name, whatever its namespace (dsq:id)."""
    if element is None:
        return ""
    for key, value in element.attrib.items():
        if local_name(key) == name:
            return value.strip()[:255]
    return ""


def parse_when(value: str) -> datetime | None:
    """An ISO 8601 time ("2013-05-01T12:00:00Z", "2013-05-01 12:00:00"), or None."""
    value = value.strip()
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def is_true(value: str) -> bool:
    return value.strip().lower() in {"true", "1", "yes"}
