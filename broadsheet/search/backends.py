"""Full-text matching, one interface over the two databases Broadsheet runs on.

SQLite: an FTS5 table (`search_entry_fts`) over SearchEntry.terms, kept in step by
triggers on the entry table. FTS5's only stemmer is Porter's English one, so the
stems are made in Python (search.text, Snowball for Russian and English) and a
query is stemmed the same way.

PostgreSQL: a generated `tsvector` column (`document`) with a GIN index, made from
the same words (SearchEntry.terms) with the `russian` configuration, which stems
Cyrillic words with the Russian Snowball stemmer and ASCII words with the English
one, and knows both languages' stop words.

Both answer `match(entries, words)`: the entries whose text holds every word (AND),
newest indexed first, so a page of results is read from the top of the index and
need not sort every match. What a user typed never becomes query syntax: on SQLite
each stem is quoted (FTS5 operators, `*`, `"`, NEAR, `-` are words or nothing), on
PostgreSQL `plainto_tsquery` reads no operators at all.
"""

from django.db import connection
from django.db.models import QuerySet

from broadsheet.search import text

FTS_TABLE = "search_entry_fts"
ENTRY_TABLE = "search_searchentry"


class SQLiteSearch:
    vendor = "sqlite"

    # Fixed SQL, no outside value in it (ENTRY_TABLE, FTS_TABLE spelled out).
    create_sql = [
        "CREATE VIRTUAL TABLE search_entry_fts USING fts5("
        "terms, content='search_searchentry', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 0')",
        # External content: the triggers keep the index in step with every insert,
        # update and delete of an entry, cascades from a deleted article included.
        "CREATE TRIGGER search_entry_ai AFTER INSERT ON search_searchentry BEGIN "
        "INSERT INTO search_entry_fts(rowid, terms) VALUES (new.id, new.terms); END",
        "CREATE TRIGGER search_entry_ad AFTER DELETE ON search_searchentry BEGIN "
        "INSERT INTO search_entry_fts(search_entry_fts, rowid, terms) "
        "VALUES ('delete', old.id, old.terms); END",
        "CREATE TRIGGER search_entry_au AFTER UPDATE OF terms ON search_searchentry BEGIN "
        "INSERT INTO search_entry_fts(search_entry_fts, rowid, terms) "
        "VALUES ('delete', old.id, old.terms); "
        "INSERT INTO search_entry_fts(rowid, terms) VALUES (new.id, new.terms); END",
    ]
    drop_sql = [
        "DROP TRIGGER IF EXISTS search_entry_ai",
        "DROP TRIGGER IF EXISTS search_entry_ad",
        "DROP TRIGGER IF EXISTS search_entry_au",
        f"DROP TABLE IF EXISTS {FTS_TABLE}",
    ]

    def terms_to_store(self, *texts: str) -> str:
        return " ".join(stem for part in texts for stem in text.stems(part))

    def match(self, entries: QuerySet, words: list[str]) -> QuerySet:
        stems = dict.fromkeys(text.stem(word) for word in words)
        expression = " ".join(f'"{stem}"' for stem in stems)  # a stem holds no quote
        return entries.extra(  # noqa: S610 (fixed SQL; the user's words go as a parameter)
            tables=[FTS_TABLE],
            where=[f"{FTS_TABLE}.rowid = {ENTRY_TABLE}.id", f"{FTS_TABLE} MATCH %s"],
            params=[expression],
            # Ordered by the FTS table's own rowid (the same number as the entry's
            # id): FTS5 then reads its index backwards and stops at the page's end,
            # where ordering by the entry's id would sort every match first.
            order_by=[f"-{FTS_TABLE}.rowid"],
        )


class PostgreSQLSearch:
    vendor = "postgresql"

    create_sql = [
        f"ALTER TABLE {ENTRY_TABLE} ADD COLUMN document tsvector GENERATED ALWAYS AS "
        "(to_tsvector('russian'::regconfig, terms)) STORED",
        f"CREATE INDEX search_entry_document ON {ENTRY_TABLE} USING GIN (document)",
    ]
    drop_sql = [
        "DROP INDEX IF EXISTS search_entry_document",
        f"ALTER TABLE {ENTRY_TABLE} DROP COLUMN IF EXISTS document",
    ]

    def terms_to_store(self, *texts: str) -> str:
        # Our words, not the raw text: the generated column stems these.
        return " ".join(word for part in texts for word in text.words(part))

    def match(self, entries: QuerySet, words: list[str]) -> QuerySet:
        # The words our parser found (search.text.words), for PostgreSQL to stem
        # as it stemmed the text, dropping stop words.
        return entries.extra(  # noqa: S610 (fixed SQL; the user's words go as a parameter)
            where=[f"{ENTRY_TABLE}.document @@ plainto_tsquery('russian'::regconfig, %s)"],
            params=[" ".join(words)],
        ).order_by("-id")


def backend_for(vendor: str) -> SQLiteSearch | PostgreSQLSearch:
    if vendor == "postgresql":
        return PostgreSQLSearch()
    if vendor == "sqlite":
        return SQLiteSearch()
    raise NotImplementedError(f"full-text search supports SQLite and PostgreSQL, not {vendor}")


def current_backend() -> SQLiteSearch | PostgreSQLSearch:
    return backend_for(connection.vendor)
