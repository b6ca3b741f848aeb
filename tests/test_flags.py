"""The one true/false reader behind -M and -T flags."""

from __future__ import annotations

import pytest

from goalguard._flags import parse_flag


@pytest.mark.parametrize("value", [True, "true", "True", " yes ", "on", "1", 1])
def test_true_words(value: object) -> None:
    assert parse_flag(value, "x") is True


@pytest.mark.parametrize("value", [False, "false", "FALSE", "no", "off", "0", 0])
def test_false_words(value: object) -> None:
    assert parse_flag(value, "x") is False


@pytest.mark.parametrize("value", ["flase", "", "maybe", 2, None])
def test_anything_else_names_the_flag(value: object) -> None:
    with pytest.raises(ValueError, match=r"-T examples: expected true or false, got"):
        parse_flag(value, "-T examples")
