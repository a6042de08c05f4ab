"""Every write goes through an operation: the check that says so.

The browser pages, the admin, the shell commands, the demo and (later) the API
and importers call the same write operations, so numbering, rules, rate limits,
audit entries and cache announcements hold for every door. This test reads the
source (no import, no database) and fails on a model write made anywhere else,
naming the file, line and call.

What counts as a model write, judged from the syntax alone:
- `.save(...)` on anything, and `.delete()` with no arguments (an instance or a
  queryset; `cache.delete(key)` takes one);
- `.create`, `.bulk_create`, `.bulk_update`, `.get_or_create`, `.update_or_create`,
  `.create_user`, `.create_superuser` on anything;
- `.update(field=...)` with keyword arguments only (a queryset's; a dict's or a
  hash's update takes a positional argument), and any `.update(...)` on a chain
  that starts from `.objects`;
- `.add`, `.remove`, `.set`, `.clear` on `.objects` or on a many-to-many manager
  named here (`groups`, `user_permissions`, `permissions`).
The admin writes without calling any of these (ModelAdmin.save_model and
delete_model do it for us): test_the_admin_writes_through_operations covers it.
"""

import ast
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCANNED = [ROOT / "broadsheet", ROOT / "bench"]

ALWAYS_WRITES = {
    "save",
    "create",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "create_user",
    "create_superuser",
}
RELATION_WRITES = {"add", "remove", "set", "clear"}
# broadsheet.prepared's writer, called by name: a row written all the same.
PREPARED_WRITES = {"insert_row"}
MANY_TO_MANY = {"groups", "user_permissions", "permissions"}

# Modules that may write although they are not an app's operations.py, and why.
# A module named here that no longer exists, or no longer writes, fails the test,
# so the list stays true.
EXCEPTIONS = {
    "broadsheet/moderation/audit.py": (
        "the audit log's one writer, called by operations inside their transaction; "
        "its own module so that discussion may audit without importing moderation.operations"
    ),
    "broadsheet/live/publishing.py": (
        "LiveEvent rows, recorded (and pruned) inside the calling operation's transaction"
    ),
    "broadsheet/prepared.py": (
        "insert_row, the INSERT of save(force_insert=True) compiled once, which the "
        "posting operations call inside their transaction (docs/posting.md, round 4)"
    ),
    "broadsheet/readers/models.py": (
        "ReaderManager.create_user/create_superuser, Django's contract that "
        "readers.operations and `createsuperuser` call; Reader.save keeps the handle's "
        "skeleton"
    ),
}


def is_exempt(relative: str) -> bool:
    path = Path(relative)
    return path.name == "operations.py" or "migrations" in path.parts or relative in EXCEPTIONS


def _receiver_chain(node: ast.expr) -> list[str]:
    """The attribute names a call is made on, innermost last: `Comment.objects.filter(
    ...).update` gives ["Comment", "objects", "filter"]."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            break
        else:
            break
    return names[::-1]


def model_writes(source: str) -> list[tuple[int, str]]:
    """(line, call) for every call in `source` that writes model rows."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in PREPARED_WRITES:
                found.append((node.lineno, f"{node.func.id}()"))
            continue
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        chain = _receiver_chain(node.func.value)
        on_manager = "objects" in chain
        on_many_to_many = bool(chain) and chain[-1] in MANY_TO_MANY
        if (
            method in ALWAYS_WRITES
            or (method == "delete" and not node.args and not node.keywords)
            or (method == "update" and (on_manager or (node.keywords and not node.args)))
            or (method in RELATION_WRITES and (on_manager or on_many_to_many))
        ):
            found.append((node.lineno, ".".join([*chain, method]) + "()"))
    return found


def scanned_modules():
    for top in SCANNED:
        for path in sorted(top.rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path


def test_only_operations_write_model_rows():
    offenders = [
        f"{relative}:{line}: {call}"
        for relative, path in scanned_modules()
        if not is_exempt(relative)
        for line, call in model_writes(path.read_text())
    ]
    assert not offenders, (
        "Model rows written outside the write operations; call (or add) an operation "
        "in the app's operations.py instead:\n  " + "\n  ".join(offenders)
    )


@pytest.mark.parametrize("relative", sorted(EXCEPTIONS))
def test_each_named_exception_still_writes(relative):
    path = ROOT / relative
    assert path.exists(), f"{relative} is gone: take it off EXCEPTIONS"
    assert model_writes(path.read_text()), f"{relative} writes nothing: take it off EXCEPTIONS"


@pytest.mark.parametrize(
    "line",
    [
        "Comment.objects.create(number=1)",
        "Comment.objects.filter(pk=1).update(score=2)",
        "Discussion.objects.filter(pk=1).update(**fields)",
        "comment.save(update_fields=['score'])",
        "comment.delete()",
        "Vote.objects.bulk_create(rows)",
        "Group.objects.get_or_create(name='x')",
        "reader.groups.add(group)",
        "Reader.objects.create_user('h', 'e')",
    ],
)
def test_the_check_sees_each_kind_of_write(line):
    assert model_writes(line), line


@pytest.mark.parametrize(
    "line",
    [
        "headers.update(extra or {})",
        "digest.update(name.encode())",
        "cache.delete(key)",
        "cache.set(key, value)",
        "taken.add(anchor)",
        "started.set()",
        "self._sizes.clear()",
    ],
)
def test_the_check_leaves_other_calls_alone(line):
    assert not model_writes(line), line


def test_the_admin_writes_through_operations():
    """ModelAdmin saves and deletes rows by itself unless told otherwise: each of our
    models' admins either sends those writes to operations or does not allow them."""
    from django.contrib import admin
    from django.contrib.admin import ModelAdmin

    # A user every permission check says yes to, so only a refusal coded in the
    # admin class itself counts as "not allowed".
    anyone = SimpleNamespace(
        is_active=True, is_staff=True, is_superuser=True, has_perm=lambda *a, **k: True
    )
    request = SimpleNamespace(user=anyone)

    def overrides(model_admin, name: str) -> bool:
        return any(
            name in vars(cls)
            for cls in type(model_admin).__mro__
            if cls.__module__.startswith("broadsheet.")
        )

    problems = []
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith("broadsheet."):
            continue
        label = model._meta.label
        saves = model_admin.has_add_permission(request) or model_admin.has_change_permission(
            request
        )
        if saves and not overrides(model_admin, "save_model"):
            problems.append(f"{label}: the admin saves rows itself (override save_model)")
        has_m2m = any(f.many_to_many for f in model._meta.get_fields() if f.concrete)
        if (
            model_admin.has_change_permission(request)
            and has_m2m
            and not overrides(model_admin, "save_related")
        ):
            problems.append(f"{label}: the admin saves relations itself (override save_related)")
        if model_admin.has_delete_permission(request) and not (
            overrides(model_admin, "delete_model") and overrides(model_admin, "delete_queryset")
        ):
            problems.append(
                f"{label}: the admin deletes rows itself (override delete_model and "
                "delete_queryset, or refuse has_delete_permission)"
            )
        assert isinstance(model_admin, ModelAdmin)
    assert not problems, "\n".join(problems)
