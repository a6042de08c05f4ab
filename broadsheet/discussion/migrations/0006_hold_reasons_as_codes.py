"""Hold reasons become codes with values (moderation/reasons.py), translated when shown.

Rows held before this migration carry the English sentence; each is turned into
its code and values. Rejection reasons (a moderator's choice) are left as they are.
"""

import re

from django.db import migrations, models

# The sentences written before, and the code (and values) each becomes.
_FIXED = {
    "pre-moderated discussion": "premoderated",
    "breaking news: reader joined less than a day ago": "breaking_news_new_reader",
    "same text posted again": "repeated_text",
}
_NEW_READER = re.compile(r"^new reader \(first (\d+) comments\)$")
_SUSPECT_WORD = re.compile(r"^suspect word “(.*)”$", re.DOTALL)
_TOO_MANY_LINKS = re.compile(r"^too many links \((\d+)\)$")


def _code_of(sentence: str) -> tuple[str, dict] | None:
    if sentence in _FIXED:
        return _FIXED[sentence], {}
    if match := _NEW_READER.match(sentence):
        return "new_reader", {"count": int(match.group(1))}
    if match := _SUSPECT_WORD.match(sentence):
        return "suspect_word", {"word": match.group(1)}
    if match := _TOO_MANY_LINKS.match(sentence):
        return "too_many_links", {"count": int(match.group(1))}
    return None


def _sentence_of(code: str, params: dict) -> str | None:
    for sentence, fixed in _FIXED.items():
        if code == fixed:
            return sentence
    if code == "new_reader":
        return f"new reader (first {params.get('count', 0)} comments)"
    if code == "suspect_word":
        return f"suspect word “{params.get('word', '')}”"
    if code == "too_many_links":
        return f"too many links ({params.get('count', 0)})"
    return None


def sentences_to_codes(apps, schema_editor):
    Comment = apps.get_model("discussion", "Comment")
    held = Comment.objects.exclude(moderation_reason="").only("pk", "moderation_reason")
    for comment in held.iterator(chunk_size=1000):
        converted = _code_of(comment.moderation_reason)
        if converted is not None:
            code, params = converted
            Comment.objects.filter(pk=comment.pk).update(
                moderation_reason=code, moderation_params=params
            )


def codes_to_sentences(apps, schema_editor):
    Comment = apps.get_model("discussion", "Comment")
    held = Comment.objects.exclude(moderation_reason="").only(
        "pk", "moderation_reason", "moderation_params"
    )
    for comment in held.iterator(chunk_size=1000):
        sentence = _sentence_of(comment.moderation_reason, comment.moderation_params or {})
        if sentence is not None:
            Comment.objects.filter(pk=comment.pk).update(moderation_reason=sentence[:200])


class Migration(migrations.Migration):

    dependencies = [
        ("discussion", "0005_discussion_breaking_news_since_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="moderation_params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(sentences_to_codes, codes_to_sentences),
    ]
