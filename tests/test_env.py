"""Settings are read from the environment once, and a bad value says which and what."""

import re
import subprocess

import pytest
from django.core.exceptions import ImproperlyConfigured

from broadsheet.env import env_bool, env_choice, env_float, env_int, env_list
from tests.servers import BROADSHEET, cli_env


def test_a_bad_number_stops_the_start_up_naming_the_variable_and_its_value(tmp_path):
    result = subprocess.run(
        [*BROADSHEET, "check"],
        env=cli_env(tmp_path, BROADSHEET_COMMENTS_PER_PAGE="abc"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "broadsheet: BROADSHEET_COMMENTS_PER_PAGE is 'abc'; expected a whole number"
    )


def test_unset_or_empty_variables_take_the_default(monkeypatch):
    monkeypatch.delenv("BROADSHEET_X", raising=False)
    assert env_int("BROADSHEET_X", 7) == 7
    assert env_float("BROADSHEET_X", 1) == 1.0
    assert env_bool("BROADSHEET_X", True) is True
    assert env_choice("BROADSHEET_X", "open", ["open", "closed"]) == "open"
    monkeypatch.setenv("BROADSHEET_X", " ")
    assert env_int("BROADSHEET_X", 7) == 7


def test_good_values_are_read(monkeypatch):
    monkeypatch.setenv("BROADSHEET_X", " 12 ")
    assert env_int("BROADSHEET_X", 7) == 12
    assert env_float("BROADSHEET_X", 1) == 12.0
    monkeypatch.setenv("BROADSHEET_X", "Yes")
    assert env_bool("BROADSHEET_X", False) is True
    monkeypatch.setenv("BROADSHEET_X", "off")
    assert env_bool("BROADSHEET_X", True) is False
    monkeypatch.setenv("BROADSHEET_X", "a, b,,c")
    assert env_list("BROADSHEET_X", "") == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (
            lambda: env_int("BROADSHEET_X", 1),
            "abc",
            "BROADSHEET_X is 'abc'; expected a whole number",
        ),
        (
            lambda: env_int("BROADSHEET_X", 1),
            "1.5",
            "BROADSHEET_X is '1.5'; expected a whole number",
        ),
        (
            lambda: env_int("BROADSHEET_X", 1, minimum=1),
            "0",
            "BROADSHEET_X is '0'; expected a whole number of at least 1",
        ),
        (
            lambda: env_int("BROADSHEET_X", 8, maximum=23),
            "24",
            "BROADSHEET_X is '24'; expected a whole number of at most 23",
        ),
        (lambda: env_float("BROADSHEET_X", 1), "soon", "BROADSHEET_X is 'soon'; expected a number"),
        (lambda: env_float("BROADSHEET_X", 1), "nan", "BROADSHEET_X is 'nan'; expected a finite"),
        (
            lambda: env_bool("BROADSHEET_X", False),
            "maybe",
            "BROADSHEET_X is 'maybe'; expected true",
        ),
        (
            lambda: env_choice("BROADSHEET_X", "open", ["open", "closed"]),
            "shut",
            "BROADSHEET_X is 'shut'; expected one of open, closed",
        ),
    ],
)
def test_a_bad_value_names_the_variable_and_the_value(monkeypatch, reader, value, message):
    monkeypatch.setenv("BROADSHEET_X", value)
    with pytest.raises(ImproperlyConfigured, match="^" + re.escape(message)):
        reader()
