"""ORM queries compiled once per shape and run with new values (docs/rendering.md).

A page rendered from nothing makes five queries, and Django spent more CPU
building and compiling them (QuerySet clones, lookups, joins, the SQL text)
than the database spent answering: about half of the render (ADR 0025). Their
shape is the same every time; only a few values change (the slug, the clock,
the cursor, the viewer, the page's thread numbers).

So a read is written once, as an ordinary `values_list` queryset built by a
function of keyword arguments, and `prepared_rows` compiles it once per shape
with stand-in values, notes where each stand-in landed among the SQL
parameters, and from then on runs the kept SQL with the real values put in
their places, converting the rows with the converters Django chose for its
columns. The queryset stays the one definition of what is read (who sees
which comment stays `CommentQuerySet.visible_to`'s answer); the ORM is only
not asked to compile it again.

The rule that keeps it right: the build function reads nothing but its
arguments. Values that become SQL parameters go in `values` (ints, strings,
datetimes, or lists of ints, whose length is then part of the shape);
anything that changes the SQL text itself (a LIMIT, a sort order, whether the
viewer is signed in, a setting) goes in `shape`. Preparing checks that every
stand-in is found among the parameters and nowhere in the SQL text, so a value
that Django wrote into the text (a LIMIT), or one the build ignored, fails at
once instead of being kept.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connections
from django.db.models import Model, QuerySet
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery, UpdateQuery

# Kept SQL per (build function, shape, database alias, vendor). Shapes are few
# (three sorts, signed in or not, up to a page's count of threads); the bound
# only stops a caller that put a value into the shape by mistake from growing it.
MAX_PREPARED = 512


class PreparationError(RuntimeError):
    """A build function whose values do not land where prepared_rows can find them."""


@dataclass(frozen=True)
class _Slot:
    name: str
    index: int | None  # the item of a list value, or None


@dataclass(frozen=True)
class _Prepared:
    alias: str
    sql: str
    params: tuple  # constants, and _Slot where a value goes
    converters: tuple  # (column position, converter functions, expression)


_prepared: dict[tuple, _Prepared] = {}

# Stand-ins no real value takes: ints near the top of a 32-bit column (an ORM
# lookup given a number out of the column's range drops the condition), strings
# holding a control character no slug or handle can hold, datetimes in 1901.
_INT_BASE = 2_000_000_000
_EPOCH = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)


def _stand_in(kind: type, serial: int) -> Any:
    if kind is bool:
        raise PreparationError("a flag changes the SQL text: put it in the shape")
    if kind is int:
        return _INT_BASE + serial
    if kind is str:
        return f"\x1fprepared-{serial}\x1f"
    if kind is datetime.datetime:
        return _EPOCH + datetime.timedelta(seconds=serial, microseconds=serial + 1)
    raise PreparationError(f"no stand-in for a value of type {kind.__name__}")


def _as_parameter(value: Any, connection) -> Any:
    """A value as the ORM passes it to the database driver."""
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _prepare(build: Callable[..., QuerySet], shape: dict, values: dict, alias: str) -> _Prepared:
    connection = connections[alias]
    stand_ins: dict[str, Any] = {}
    slots: dict[Any, _Slot] = {}
    serial = 0
    for name, value in values.items():
        if isinstance(value, list | tuple):
            items = []
            for index, item in enumerate(value):
                serial += 1
                items.append(_stand_in(type(item), serial))
                slots[_as_parameter(items[-1], connection)] = _Slot(name, index)
            stand_ins[name] = items
        else:
            serial += 1
            stand_ins[name] = _stand_in(type(value), serial)
            slots[_as_parameter(stand_ins[name], connection)] = _Slot(name, None)
    queryset = build(**shape, **stand_ins)
    query = queryset.query
    if list(queryset._fields) != [
        *query.extra_select,
        *query.values_select,
        *query.annotation_select,
    ]:
        raise PreparationError("columns must be values_list fields, then annotations")
    compiler = query.get_compiler(using=alias)
    sql, compiled = compiler.as_sql()
    params = tuple(slots.get(param, param) if _hashable(param) else param for param in compiled)
    found = {param for param in params if isinstance(param, _Slot)}
    if missing := set(slots.values()) - found:
        names = ", ".join(sorted({slot.name for slot in missing}))
        raise PreparationError(f"values not among the SQL parameters: {names}")
    if any(str(stand_in) in sql for stand_in in slots):
        raise PreparationError("a value was written into the SQL text: put it in the shape")
    columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(columns).items()
    )
    return _Prepared(alias, sql, params, converters)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def prepared_rows(
    build: Callable[..., QuerySet], *, shape: dict | None = None, values: dict
) -> list[tuple]:
    """The rows of `build(**shape, **values)` (a `values_list` queryset), as the
    ORM would return them, its SQL compiled only the first time this shape is
    run on this database. `build` must read nothing but its arguments."""
    shape = shape or {}
    alias = "default"
    connection = connections[alias]
    lengths = tuple(len(v) for v in values.values() if isinstance(v, list | tuple))
    key = (build, tuple(sorted(shape.items())), lengths, alias, connection.vendor)
    prepared = _prepared.get(key)
    if prepared is None:
        prepared = _prepare(build, shape, values, alias)
        if len(_prepared) >= MAX_PREPARED:
            _prepared.clear()
        _prepared[key] = prepared
    params = [_fill(param, values, connection) for param in prepared.params]
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, params)
        rows = cursor.fetchall()
    if not prepared.converters:
        return [tuple(row) for row in rows]
    converted = []
    for row in rows:
        row = list(row)
        for position, functions, expression in prepared.converters:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        converted.append(tuple(row))
    return converted


def _fill(param: Any, values: dict, connection) -> Any:
    if not isinstance(param, _Slot):
        return param
    value = values[param.name]
    if param.index is not None:
        value = value[param.index]
    return _as_parameter(value, connection)


def _values_to_store(instance: Model, fields, *, adding: bool, connection) -> list | None:
    """Each field's value as save() sends it (its pre_save, then its conversion for
    the database), in order; None when one is an expression, which only save() writes."""
    params = []
    for field in fields:
        value = field.pre_save(instance, adding)
        if hasattr(value, "resolve_expression"):
            return None
        params.append(field.get_db_prep_save(value, connection=connection))
    return params


@dataclass(frozen=True)
class _PreparedInsert:
    sql: str
    fields: tuple  # the model fields whose values the row gives, in the SQL's order
    returning: tuple  # the fields the database returns (the primary key)
    returning_params: tuple  # what the backend adds to the parameters for them
    converters: tuple  # (position, converter functions, expression) of returned values


_inserts: dict[tuple, _PreparedInsert | None] = {}


def insert_row(instance: Model) -> None:
    """INSERT `instance` as `instance.save(force_insert=True)` does (its fields'
    pre_save, such as auto_now_add, and their conversions for the database; its
    primary key read back and set; its state saved), with the SQL compiled once
    per model: a post inserts four rows, and Django built each INSERT afresh.

    Run through Django's cursor, so the transaction, query counts and debug
    logging see it. A model with save signals listened to, a parent model, a
    primary key already set, or a value that is an expression is saved by
    Django's own save() instead."""
    model = type(instance)
    alias = "default"
    connection = connections[alias]
    key = (model, alias, connection.vendor)
    if key not in _inserts:
        _inserts[key] = _prepare_insert(model, instance, alias)
    prepared = _inserts[key]
    if (
        prepared is None
        or instance.pk is not None
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
    ):
        instance.save(force_insert=True)
        return
    instance._prepare_related_fields_for_save(operation_name="save")
    params = _values_to_store(instance, prepared.fields, adding=True, connection=connection)
    if params is None:
        instance.save(force_insert=True)
        return
    params.extend(prepared.returning_params)
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, params)
        if prepared.returning:
            returned = connection.ops.fetch_returned_insert_columns(
                cursor, prepared.returning_params
            )
            row = list(returned)
            for position, functions, expression in prepared.converters:
                for function in functions:
                    row[position] = function(row[position], expression, connection)
            for value, field in zip(row, prepared.returning, strict=True):
                setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = alias


def _prepare_insert(model, instance: Model, alias: str) -> _PreparedInsert | None:
    """The INSERT Django's save() writes for a new `model` row (fields as
    Model._save_table chooses them for a row without a primary key), or None
    when it cannot be kept (a parent model, a field with its own placeholder)."""
    meta = model._meta
    connection = connections[alias]
    if meta.parents or not connection.features.can_return_columns_from_insert:
        return None
    fields = tuple(
        f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
    )
    if any(getattr(f, "get_placeholder", None) is not None for f in fields):
        return None
    query = InsertQuery(model)
    # Compiled with a row of stand-ins: only the SQL text and its shape are kept.
    query.insert_values(fields, [model()], raw=True)
    compiler = query.get_compiler(using=alias)
    compiler.returning_fields = meta.db_returning_fields
    [(sql, params)] = compiler.as_sql()
    returning_params = tuple(compiler.returning_params)
    if len(params) != len(fields) + len(returning_params):
        return None
    returning = tuple(meta.db_returning_fields)
    columns = [field.get_col(meta.db_table) for field in returning]
    converters = tuple(
        (position, tuple(functions), expression)
        for position, (functions, expression) in compiler.get_converters(columns).items()
    )
    return _PreparedInsert(sql, fields, returning, returning_params, converters)


@dataclass(frozen=True)
class _PreparedUpdate:
    sql: str
    fields: tuple  # the model fields set, in the SQL's order; the primary key's value last


_updates: dict[tuple, _PreparedUpdate | None] = {}


def update_row(instance: Model, *, fields: Sequence[str]) -> None:
    """UPDATE `instance`'s row as `instance.save(update_fields=fields)` does (the
    fields' pre_save and conversions; DatabaseError if no row has its primary key),
    with the SQL compiled once per model and fields. A model with save signals
    listened to, or a value that is an expression, is saved by Django's save()."""
    model = type(instance)
    alias = "default"
    connection = connections[alias]
    fields = tuple(fields)
    key = (model, fields, alias, connection.vendor)
    if key not in _updates:
        _updates[key] = _prepare_update(model, fields, alias)
    prepared = _updates[key]
    if prepared is None or pre_save.has_listeners(model) or post_save.has_listeners(model):
        instance.save(update_fields=fields)
        return
    params = _values_to_store(instance, prepared.fields, adding=False, connection=connection)
    if params is None:
        instance.save(update_fields=fields)
        return
    params.append(model._meta.pk.get_db_prep_value(instance.pk, connection))
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, params)
        if cursor.rowcount == 0:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    instance._state.db = alias


def _prepare_update(model, names: tuple, alias: str) -> _PreparedUpdate | None:
    """The UPDATE Django's save(update_fields=names) writes, or None when its
    parameters are not one per field and the key (a field with its own placeholder)."""
    meta = model._meta
    if meta.parents:
        return None
    fields = tuple(meta.get_field(name) for name in names)
    if any(not f.concrete or f.primary_key or hasattr(f, "get_placeholder") for f in fields):
        return None
    query = UpdateQuery(model)
    # Compiled with stand-ins: only the SQL text and its shape are kept.
    stand_in = model()
    query.add_update_fields([(f, None, f.pre_save(stand_in, False)) for f in fields])
    query.add_filter("pk", _INT_BASE)
    sql, params = query.get_compiler(using=alias).as_sql()
    if len(params) != len(fields) + 1 or params[-1] != _INT_BASE:
        return None
    return _PreparedUpdate(sql, fields)


def forget_prepared() -> None:
    """Drop every kept query (tests that change the database under a process)."""
    _prepared.clear()
    _inserts.clear()
    _updates.clear()


__all__: Sequence[str] = (
    "PreparationError", "forget_prepared", "insert_row", "prepared_rows", "update_row",
)  # fmt: skip
