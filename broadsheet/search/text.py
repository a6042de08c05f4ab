"""What search makes of a text: its words, their stems, its language, and snippets
with the matched words marked.

The one place that says what a "word" is, so that indexing (on SQLite, where we
stem ourselves), the query and the highlighting of snippets agree. Stems come
from the Snowball stemmers (PyStemmer), the same algorithms PostgreSQL's
`english_stem` and `russian_stem` dictionaries run, so a snippet marks the words
PostgreSQL matched as well as the ones SQLite did.
"""

import html
import re
from functools import lru_cache

import Stemmer
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# Letters and digits; "don't" is two words, as PostgreSQL's parser sees it too.
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile("[\u0430-\u044f\u0451]")  # the Russian alphabet, lower case
_LATIN = re.compile(r"[a-z]")
_YO, _YE = "\u0451", "\u0435"
# A "word" longer than this is not one (a hash, a run of letters): not indexed,
# and it keeps one comment from costing the index more than its length says.
MAX_WORD_LENGTH = 40
_TAG = re.compile(r"<[^>]*>")

_RUSSIAN = Stemmer.Stemmer("russian")
_ENGLISH = Stemmer.Stemmer("english")


def plain_text(sanitized_html: str) -> str:
    """The words of stored, sanitized HTML, without markup: each tag becomes a space
    so that paragraphs do not run into each other. The HTML went through the
    allowlist sanitizer on write; what comes out here is escaped again wherever it
    is shown."""
    return " ".join(html.unescape(_TAG.sub(" ", sanitized_html)).split())


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased, with yo as ye (as Russian readers type it)."""
    return [
        word
        for word in _WORD.findall(text.lower().replace(_YO, _YE))
        if len(word) <= MAX_WORD_LENGTH
    ]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one lower-cased word: Russian words by the Russian stemmer, Latin
    ones by the English one (what PostgreSQL's `russian` configuration does with
    `word` and `asciiword` tokens), anything else as it is."""
    if _CYRILLIC.search(word):
        return _RUSSIAN.stemWord(word)
    if _LATIN.search(word):
        return _ENGLISH.stemWord(word)
    return word


def stems(text: str) -> list[str]:
    return [stem(word) for word in words(text)]


def language_of(text: str, default: str) -> str:
    """ "ru" or "en" by the alphabet most of the letters are in; `default` for a text
    with no letters of either."""
    lowered = text.lower()
    cyrillic = len(_CYRILLIC.findall(lowered))
    latin = len(_LATIN.findall(lowered))
    if cyrillic == latin == 0:
        return default
    return "ru" if cyrillic > latin else "en"


# A token of a text as shown: a word, or what lies between words.
_TOKENS = re.compile(r"([^\W_]+)")


def highlight(text: str, query_stems: frozenset[str], *, max_words: int = 40) -> SafeString:
    """A passage of `text` of at most `max_words` words around the first matched word,
    every word whose stem the query holds wrapped in <mark>.

    Everything of the text is escaped; our <mark> tags are the only markup, so
    a comment that says `<script>` shows those characters and nothing runs.
    """
    parts = _TOKENS.split(text)  # even indexes: between words, odd: words
    word_positions = list(range(1, len(parts), 2))
    matched = [
        position
        for position in word_positions
        if len(parts[position]) <= MAX_WORD_LENGTH
        and stem(parts[position].lower().replace(_YO, _YE)) in query_stems
    ]
    if len(word_positions) <= max_words:
        first, last = 0, len(parts)
    else:
        # Start a few words before the first match, so it is read in its sentence.
        anchor = word_positions.index(matched[0]) if matched else 0
        start = max(0, min(anchor - 8, len(word_positions) - max_words))
        first = word_positions[start]
        last = word_positions[start + max_words - 1] + 1
    marked = set(matched)
    out = ["… "] if first > 0 else []
    for index in range(first, last):
        piece = conditional_escape(parts[index])
        out.append(f"<mark>{piece}</mark>" if index in marked else str(piece))
    if last < len(parts) and any(parts[last:]):
        out.append(" …")
    return mark_safe("".join(out).strip())  # noqa: S308 (every piece escaped above)
