# ruff: noqa: RUF001 - Russian text is the point here, Cyrillic letters that look Latin included
"""The Russian edition of the interface.

Two halves: the catalogue itself (every entry translated, nothing fuzzy, the
compiled .mo in step with the .po, so a machine without gettext still gets
Russian), and pages that speak Russian to a reader whose browser asks for it
while staying English for everyone else.

The .po is parsed here with a few lines of Python and the .mo is read with the
standard library's gettext, so these tests need no gettext tools installed.
"""

import ast
import datetime as dt
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from broadsheet.discussion.operations import ImportedHistory, delete_comment, post_comment
from broadsheet.discussion.quotes import ArticleQuoteClaim
from broadsheet.discussion.rendering import render_comment_markdown

CATALOGUE_DIR = Path(settings.LOCALE_PATHS[0]) / "ru" / "LC_MESSAGES"
PO_PATH = CATALOGUE_DIR / "django.po"
MO_PATH = CATALOGUE_DIR / "django.mo"

RUSSIAN = {"HTTP_ACCEPT_LANGUAGE": "ru"}
SIGN_IN_SENTENCE_RU = (
    "Уважаемый читатель, чтобы оставлять комментарии к публикации, необходимо авторизоваться."
)
SIGN_IN_SENTENCE_EN = "Dear reader, to leave comments on the publication, you must sign in."
PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware activates a request's language and leaves it active in the
    thread; put the previous one back so later tests do not run in Russian."""
    language = translation.get_language()
    yield
    if language:
        translation.activate(language)
    else:
        translation.deactivate_all()


# --- The catalogue ---------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt is not None else self.msgid


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$')


def _unquote(literal: str) -> str:
    # PO strings use C escapes (\" \\ \n \t), which a Python literal reads the same way.
    return ast.literal_eval(literal)


def parse_po(text: str) -> list[Entry]:
    """The live entries of a .po file, header included; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    for start, block in _blocks(text):
        lines = [line for line in block if not line.startswith("#~")]
        if not any(line.startswith("msgid") for line in lines):
            continue  # only comments, or an obsolete entry kept for a later revival
        entry = Entry(msgid="", line=start)
        target: tuple[str, int] | None = None
        parts: dict[tuple[str, int], list[str]] = {}
        for line in lines:
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif match := _KEYWORD.match(line):
                target = (match.group(1), int(match.group(2) or 0))
                parts[target] = [match.group(3)]
            elif line.startswith('"') and target is not None:
                parts[target].append(line)
            else:
                raise AssertionError(f"{PO_PATH.name}:{start}: cannot read {line!r}")
        values = {key: "".join(_unquote(p) for p in chunks) for key, chunks in parts.items()}
        entry.msgid = values[("msgid", 0)]
        entry.msgctxt = values.get(("msgctxt", 0))
        entry.msgid_plural = values.get(("msgid_plural", 0))
        entry.msgstr = {index: text for (name, index), text in values.items() if name == "msgstr"}
        entries.append(entry)
    return entries


def _blocks(text: str):
    block: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _header(entries: list[Entry]) -> tuple[Entry, dict[str, str]]:
    header = next(e for e in entries if e.msgid == "" and e.msgctxt is None)
    fields = dict(line.split(":", 1) for line in header.msgstr[0].splitlines() if ":" in line)
    return header, {name.strip(): value.strip() for name, value in fields.items()}


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\([^)]+\)[sdif]", text))


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


def test_the_russian_catalogue_has_a_complete_header(po_entries):
    header, fields = _header(po_entries)
    assert "fuzzy" not in header.flags
    assert fields["Language"] == "ru"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == PLURAL_FORMS


def test_every_entry_is_translated_not_fuzzy_and_keeps_its_placeholders(po_entries):
    messages = [e for e in po_entries if e.msgid]
    assert len(messages) > 50, "the catalogue looks truncated"
    problems = []
    for e in messages:
        where = f"{PO_PATH.name}:{e.line} {e.msgid!r}"
        if "fuzzy" in e.flags:
            problems.append(f"{where}: fuzzy")
        expected_forms = {0, 1, 2} if e.msgid_plural is not None else {0}
        if set(e.msgstr) != expected_forms:
            problems.append(f"{where}: forms {sorted(e.msgstr)}, expected {sorted(expected_forms)}")
        for index, text in e.msgstr.items():
            if not text.strip():
                problems.append(f"{where}: msgstr[{index}] is empty")
            source = e.msgid if index == 0 or e.msgid_plural is None else e.msgid_plural
            if _placeholders(text) != _placeholders(source):
                problems.append(f"{where}: msgstr[{index}] placeholders differ from the msgid")
    assert not problems, "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po(po_entries):
    """The .mo committed with the project holds exactly what the .po says.

    A .po edited without recompiling (or a .mo left over from an older .po)
    fails here: run `msgfmt --check -o django.mo django.po` in
    broadsheet/locale/ru/LC_MESSAGES, or `broadsheet manage compilemessages`.
    """
    assert MO_PATH.exists(), f"{MO_PATH} is missing: compile the catalogue"
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    expected: dict[str | tuple[str, int], str] = {}
    for e in po_entries:
        if not e.msgid:
            continue
        if e.msgid_plural is None:
            expected[e.key] = e.msgstr[0]
        else:
            for index, text in e.msgstr.items():
                expected[(e.key, index)] = text
    actual = {key: text for key, text in compiled._catalog.items() if key != ""}
    assert set(actual) - set(expected) == set(), "in the .mo but no longer in the .po"
    assert set(expected) - set(actual) == set(), "in the .po but not compiled into the .mo"
    changed = sorted(str(key) for key in expected if actual[key] != expected[key])
    assert changed == [], "translated differently in the .mo than in the .po"
    assert compiled.info()["plural-forms"] == PLURAL_FORMS


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, "0 комментариев"),
        (1, "1 комментарий"),
        (2, "2 комментария"),
        (3, "3 комментария"),
        (4, "4 комментария"),
        (5, "5 комментариев"),
        (11, "11 комментариев"),
        (12, "12 комментариев"),
        (14, "14 комментариев"),
        (21, "21 комментарий"),
        (22, "22 комментария"),
        (25, "25 комментариев"),
        (101, "101 комментарий"),
        (111, "111 комментариев"),
        (1004, "1004 комментария"),
    ],
)
def test_the_comment_count_takes_the_russian_plural(count, expected):
    # Through Django, whose own Russian catalogue declares four plural forms:
    # ours must still be read with its own three.
    with translation.override("ru"):
        text = translation.ngettext("%(counter)s comment", "%(counter)s comments", count)
    assert text % {"counter": count} == expected


@pytest.mark.parametrize(
    ("text_form", "alt"),
    [(":)", "улыбается"), (";)", "подмигивает"), (":D", "смеётся"), (":(", "грустит")],
)
def test_emoticons_written_in_russian_carry_russian_alternative_text(text_form, alt):
    with translation.override("ru"):
        html = render_comment_markdown(f"Ну что ж {text_form}")
    assert f'alt="{alt}"' in html


# --- Pages ---------------------------------------------------------------------------


def _discussion_title(html: str) -> str:
    match = re.search(r'<h2 id="discussion-title"[^>]*>(.*?)</h2>', html, re.S)
    assert match, "no discussion title on the page"
    return " ".join(match.group(1).split())


def _comment_header(html: str, number: int) -> str:
    pattern = rf'<li [^>]*id="comment-{number}".*?<header class="comment__header".*?</header>'
    match = re.search(pattern, html, re.S)
    assert match, f"no comment {number} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


def _comment_actions(html: str, number: int) -> str:
    pattern = rf'<li [^>]*id="comment-{number}".*?<footer class="comment__actions">(.*?)</footer>'
    match = re.search(pattern, html, re.S)
    assert match, f"no actions under comment {number} on the page"
    return match.group(1)


def _texts(html: str, tag: str) -> list[str]:
    """The visible text of each <tag> in the fragment, tags inside it stripped."""
    found = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in found]


def _labels(html: str) -> list[str]:
    return [
        " ".join(label.split()) for label in re.findall(r"<label[^>]*>(.*?)</label>", html, re.S)
    ]


@pytest.mark.django_db
def test_the_article_page_in_russian_asks_to_sign_in_and_counts_comments_in_russian(
    client, article, kestrel, make_comment
):
    posted = 0
    for count, title in [(1, "1 комментарий"), (3, "3 комментария"), (5, "5 комментариев")]:
        while posted < count:
            posted += 1
            make_comment(article, kestrel, f"Комментарий номер {posted}.")
        response = client.get(article.get_absolute_url(), **RUSSIAN)
        html = response.content.decode()
        assert response.status_code == 200
        assert response["Content-Language"] == "ru"
        # The page is the article's (English); the site's words around it are Russian.
        assert '<html lang="en">' in html
        assert '<section class="discussion" id="discussion" lang="ru"' in html
        assert _discussion_title(html) == title
        assert SIGN_IN_SENTENCE_RU in html
        assert SIGN_IN_SENTENCE_EN not in html
        assert ">Войдите</a> или" in html and ">зарегистрируйтесь</a>." in html


@pytest.mark.django_db
def test_a_comment_in_russian_shows_offline_and_a_russian_date(
    client, article, nikolai, make_comment
):
    make_comment(
        article,
        nikolai,
        "Здравствуйте",
        history=ImportedHistory(posted_at=dt.datetime(2023, 6, 20, 14, 30, tzinfo=dt.UTC)),
    )
    html = client.get(article.get_absolute_url(), **RUSSIAN).content.decode()
    assert (
        _comment_header(html, 1) == "1. unc-2 · Не в сети · Nikolai Malyugin · 20 июня 2023 14:30"
    )


@pytest.mark.django_db
def test_a_signed_in_reader_in_russian_is_online_and_gets_a_russian_form(
    signed_in_client, article, kestrel, make_comment
):
    make_comment(article, kestrel, "Я здесь.")
    html = signed_in_client.get(article.get_absolute_url(), **RUSSIAN).content.decode()
    assert "В сети" in _comment_header(html, 1)
    assert ">Комментарий</label>" in html
    assert ">Отправить комментарий</button>" in html
    assert ">Выйти</button>" in html
    assert SIGN_IN_SENTENCE_RU not in html


@pytest.mark.django_db
def test_comment_controls_in_russian(signed_in_client, article, kestrel, nikolai, make_comment):
    make_comment(article, nikolai, "Паром ходит по расписанию.")
    make_comment(article, kestrel, "Не по воскресеньям.")
    html = signed_in_client.get(article.get_absolute_url(), **RUSSIAN).content.decode()

    theirs = _comment_actions(html, 1)
    assert _texts(theirs, "button") == ["▲", "▼", "Ответить", "Цитировать", "Пожаловаться"]
    assert 'aria-label="Голосовать за"' in theirs
    assert 'aria-label="Голосовать против"' in theirs
    assert '<span class="visually-hidden">Оценка: </span>' in theirs

    mine = _comment_actions(html, 2)  # no votes on one's own comment; edit and delete instead
    assert _texts(mine, "button") == ["Ответить", "Цитировать", "Изменить", "Удалить"]

    for english in (
        "Vote up",
        "Vote down",
        ">Reply<",
        ">Quote<",
        ">Edit<",
        ">Delete<",
        ">Report<",
    ):
        assert english not in html


@pytest.mark.django_db
def test_the_moderation_queue_in_russian(client, make_reader):
    moderator = make_reader()
    call_command("grant", moderator.handle, "moderator")
    client.force_login(moderator)
    response = client.get(reverse("moderation:queue"), **RUSSIAN)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert '<h1 class="page-title">Очередь модерации</h1>' in html
    assert "Moderation queue" not in html


@pytest.mark.django_db
def test_the_sort_control_in_russian(client, article, kestrel, make_comment):
    make_comment(article, kestrel, "Первый.")
    html = client.get(article.get_absolute_url(), **RUSSIAN).content.decode()
    match = re.search(r'<nav class="sort-nav" aria-label="([^"]*)">(.*?)</nav>', html, re.S)
    assert match, "no sort control on the page"
    label, links = match.groups()
    assert label == "Порядок сортировки"
    assert _texts(links, "span") == ["Порядок:"]
    assert _texts(links, "a") == ["Сначала старые", "Сначала новые", "Лучшие"]


@pytest.mark.django_db
def test_a_deleted_comment_in_russian_says_its_author_deleted_it(
    client, article, kestrel, nikolai, make_comment
):
    first = make_comment(article, kestrel, "Слова, о которых я жалею.")
    make_comment(article, nikolai, "А ответ останется.", parent=first)
    delete_comment(comment=first, deleter=kestrel)
    html = client.get(article.get_absolute_url(), **RUSSIAN).content.decode()
    assert '<p class="comment__placeholder">Комментарий удалён автором.</p>' in html
    assert "Слова, о которых я жалею." not in html
    assert _texts(_comment_actions(html, 1), "button") == ["Ответить"]
    assert "в ответ на #1" in html  # the reply under it
    assert "Comment deleted by its author." not in html


@pytest.mark.django_db
def test_the_live_updates_speak_russian(client, article):
    """The labels the live-update script reads from the discussion section."""
    html = client.get(article.get_absolute_url(), **RUSSIAN).content.decode()
    match = re.search(r'<section class="discussion" id="discussion"[^>]*>', html)
    assert match, "no discussion section on the page"
    section = match.group(0)
    assert 'aria-label="Обсуждение"' in section
    assert 'data-online-label="В сети"' in section
    assert 'data-offline-label="Не в сети"' in section
    assert 'data-new-one="1 новый комментарий"' in section
    assert 'data-new-many="Новых комментариев: {count}"' in section


@pytest.mark.django_db
def test_the_appear_offline_setting_in_russian(client, kestrel):
    client.force_login(kestrel)
    html = client.get(reverse("readers:profile", args=["kestrel-7"]), **RUSSIAN).content.decode()
    match = re.search(r'<form [^>]*class="presence-setting">(.*?)</form>', html, re.S)
    assert match, "no appear-offline setting on the reader's own profile"
    form = match.group(1)
    assert _texts(form, "label") == ["Показываться не в сети"]
    assert _texts(form, "p") == ["Другие читатели всегда будут видеть вас «Не в сети»."]
    assert _texts(form, "button") == ["Сохранить"]
    assert "Appear offline" not in html


PARAGRAPH = "The ferry leaves the pier at ten past six every morning."
PASSAGE = "leaves the pier at ten past six"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quotes", "expected"),
    [
        (1, "1 комментарий цитирует этот абзац"),
        (2, "2 комментария цитируют этот абзац"),
        (5, "5 комментариев цитируют этот абзац"),
    ],
)
def test_the_paragraph_quote_count_takes_the_russian_plural(
    client, article, make_reader, quotes, expected
):
    anchor = next(key for key, text in article.paragraphs.items() if text == PARAGRAPH)
    for _ in range(quotes):
        post_comment(
            article=article,
            author=make_reader(),
            body=f"> {PASSAGE}\n\nСлова.",
            quote=ArticleQuoteClaim(anchor=anchor, text=PASSAGE),
        )
    html = client.get(article.get_absolute_url(), **RUSSIAN).content.decode()
    pattern = rf'<a class="paragraph-quotes" href="[^"]*\?quoting={anchor}#discussion">(.*?)</a>'
    match = re.search(pattern, html, re.S)
    assert match, "no quote count on the paragraph"
    assert match.group(1) == expected
    assert "Из статьи" in html  # the caption of each anchored quote
    assert "quote this" not in html and "quotes this" not in html


@pytest.mark.django_db
def test_the_sign_up_page_in_russian_has_russian_labels(client):
    html = client.get(reverse("readers:sign_up"), **RUSSIAN).content.decode()
    assert _labels(html) == ["Псевдоним", "Имя на сайте", "Электронная почта", "Пароль"]
    assert '<h1 class="page-title">Регистрация</h1>' in html
    assert ">Зарегистрироваться</button>" in html


@pytest.mark.django_db
def test_the_sign_in_page_in_russian_has_russian_labels(client):
    html = client.get(reverse("readers:sign_in"), **RUSSIAN).content.decode()
    assert _labels(html) == ["Псевдоним или электронная почта", "Пароль"]
    assert ">Войти</button>" in html
    assert "Забыли пароль?" in html


@pytest.mark.django_db
def test_sign_up_errors_come_in_russian_ours_and_djangos(client, kestrel):
    response = client.post(
        reverse("readers:sign_up"),
        {"handle": "KESTREL-7", "display_name": "", "email": "", "password": ""},
        **RUSSIAN,
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Этот псевдоним уже занят. Пожалуйста, выберите другой." in html
    assert "Обязательное поле." in html  # from Django's own Russian catalogue


@pytest.mark.django_db
def test_the_password_reset_notice_in_russian(client):
    html = client.get(reverse("readers:password_reset_done"), **RUSSIAN).content.decode()
    assert '<h1 class="page-title">Проверьте почту</h1>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, {"HTTP_ACCEPT_LANGUAGE": "de"}],
    ids=["no header", "English", "a language we do not have"],
)
def test_english_stays_english(client, article, nikolai, make_comment, headers):
    make_comment(article, nikolai, "Hello")
    response = client.get(article.get_absolute_url(), **headers)
    html = response.content.decode()
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in html
    assert _discussion_title(html) == "1 comment"
    assert SIGN_IN_SENTENCE_EN in html
    assert "Offline" in _comment_header(html, 1)
    assert SIGN_IN_SENTENCE_RU not in html and "Не в сети" not in html

    sign_up = client.get(reverse("readers:sign_up"), **headers).content.decode()
    assert _labels(sign_up) == ["Handle", "Display name", "Email", "Password"]
