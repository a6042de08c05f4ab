"""Reading our settings from the environment, each once, in settings.py.

A value that cannot be what its setting needs stops the start-up with an
error naming the variable and the value it had (`BROADSHEET_COMMENTS_PER_PAGE
is 'abc'; expected a whole number`), instead of a bare ValueError from deep in
the settings module or, worse, a wrong value quietly taken for the default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bad(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name} is {value!r}; expected {expected}")


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int, *, minimum: int | None = 0, maximum: int | None = None) -> int:
    """A whole number, at least `minimum` (None: any) and at most `maximum`."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise _bad(name, value, "a whole number") from None
    if minimum is not None and number < minimum:
        raise _bad(name, value, f"a whole number of at least {minimum}")
    if maximum is not None and number > maximum:
        raise _bad(name, value, f"a whole number of at most {maximum}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = 0) -> float:
    """A number (decimals allowed), at least `minimum` (None: any)."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return float(default)
    try:
        number = float(value.strip())
    except ValueError:
        raise _bad(name, value, "a number") from None
    if number != number or number in (float("inf"), float("-inf")):  # nan, inf
        raise _bad(name, value, "a finite number")
    if minimum is not None and number < minimum:
        raise _bad(name, value, f"a number of at least {minimum}")
    return number


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _bad(name, value, "true or false")


def env_choice(name: str, default: str, choices: list[str] | tuple[str, ...]) -> str:
    value = os.environ.get(name, default).strip()
    if value not in choices:
        raise _bad(name, value, "one of " + ", ".join(choices))
    return value


def env_list(name: str, default: str) -> list[str]:
    """Comma-separated items, blanks dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]
