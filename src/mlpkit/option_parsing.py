"""How the command line reads the option values that are not plain numbers or words: the
option table (``options.py``) names these as its ``parse`` functions."""

from __future__ import annotations

import argparse
import math
from typing import Any


def _whole_number_or(text: str, words: dict[str, Any], what: str, wanted: str) -> Any:
    """A whole number, or one of ``words`` (read as its value); argparse's error otherwise."""
    if text in words:
        return words[text]
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r} ({wanted})") from None


def parse_batch_size(text: str) -> int | str:
    return _whole_number_or(text, {w: w for w in ("full", "auto", "table")}, "batch size",
                            "a whole number, 'auto', 'table' or 'full'")


def parse_members(text: str) -> int | str:
    return _whole_number_or(text, {"table": "table"}, "ensemble size",
                            "a whole number or 'table'")


def parse_patience(text: str) -> int | float:
    return _whole_number_or(text, {"inf": math.inf}, "patience", "a whole number, or inf")
