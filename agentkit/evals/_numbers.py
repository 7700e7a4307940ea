"""Reading the final number out of a model's text answer ("... so she earns $1,234.50.", "#### 42")."""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = ["final_number"]

_NUMBER = r"(?:(?<![\w.])[-−])?\$?\s?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?/\s?\d+)?"
_MARKED = (
    re.compile(rf"####\s*({_NUMBER})"),  # GSM8K reference answers
    re.compile(rf"\\boxed\{{\s*({_NUMBER})"),  # LaTeX answers
    re.compile(rf"answer\s*(?:is|:|=)?\s*[:=]?\s*\**\s*({_NUMBER})", re.I),
)
_ANY = re.compile(_NUMBER)


def final_number(value: object) -> float | None:
    """The answer's number: after ``####``, in ``\\boxed{}``, after "answer is", else the last number.

    Thousands separators, ``$``, a unicode minus and simple fractions (``3/4``) are understood. ``None``
    when there is no number. ints and floats are returned as they are.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    for pattern in _MARKED:
        found = pattern.findall(text)
        if found:
            return _parse(found[-1])
    numbers = _ANY.findall(text)
    return _parse(numbers[-1]) if numbers else None


def _parse(token: str) -> float:
    cleaned = token.replace("−", "-").replace("$", "").replace(",", "").replace(" ", "")
    if "/" in cleaned:
        numerator, denominator = cleaned.split("/")
        if int(denominator) == 0:
            return float(numerator)
        return float(Fraction(int(numerator), int(denominator)))
    return float(cleaned)
