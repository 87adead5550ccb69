"""How the command line reads the option values that are not plain numbers or words: the
option table (``options.py``) names these as its ``parse`` functions."""

from __future__ import annotations

import argparse
import math


def parse_batch_size(text: str) -> int | str:
    if text in ("full", "auto", "table"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid batch size {text!r} (a whole number, 'auto', 'table' or 'full')") from None


def parse_members(text: str) -> int | str:
    if text == "table":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid ensemble size {text!r} (a whole number or 'table')") from None


def parse_patience(text: str) -> int | float:
    if text == "inf":
        return math.inf
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid patience {text!r} (a whole number, or inf)") from None
