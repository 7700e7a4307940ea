"""The math evaluator computes arithmetic and refuses everything else, including math bombs."""

from __future__ import annotations

import math
import time

import pytest

from agentkit import Agent
from agentkit.messages import ModelRequest, RetryPrompt, ToolResult
from agentkit.testing import ScriptedModel, call, text
from agentkit_tools.math import FUNCTIONS, MathError, MathLimits, evaluate, math_tools


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("7 // 2", 3),
        ("7 % 4", 3),
        ("2 ** 10", 1024),
        ("-3 ** 2", -9),
        ("+4", 4),
        ("1 / 4", 0.25),
        ("sqrt(16) + abs(-2)", 6.0),
        ("max(1, 5, 3) - min(4, 2)", 3),
        ("round(2.567, 2)", 2.57),
        ("factorial(10)", 3628800),
        ("2 ** -1", 0.5),
        ("2 ** 4095 // 2 ** 4094", 2),
    ],
)
def test_evaluates_arithmetic(expression: str, expected: float) -> None:
    assert evaluate(expression) == expected


def test_constants() -> None:
    assert evaluate("pi") == math.pi
    assert evaluate("cos(tau)") == pytest.approx(1.0)
    assert evaluate("log(e)") == pytest.approx(1.0)


@pytest.mark.parametrize(
    "bomb",
    [
        "9**9**9",
        "2**10**10",
        "(10**1000)*(10**1000)",
        "factorial(10**6)",
        "factorial(100000)",
        "3**2600",
        "round(5, -10**9)",
    ],
)
def test_math_bombs_fail_fast(bomb: str) -> None:
    start = time.perf_counter()
    with pytest.raises(MathError):
        evaluate(bomb)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("__import__('os').system('true')", "not allowed"),
        ("().__class__.__bases__", "Attribute is not allowed"),
        ("open('/etc/passwd')", "not allowed"),
        ("x + 1", "Unknown name 'x'"),
        ("'a' * 3", "Only int and float literals"),
        ("True + 1", "Only int and float literals"),
        ("1j * 2", "Only int and float literals"),
        ("[1, 2]", "List is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("1 if 1 else 2", "IfExp is not allowed"),
        ("1 < 2", "Compare is not allowed"),
        ("1 << 100", "not allowed"),
        ("sqrt(x=4)", "positional numbers only"),
        ("max(*[1])", "positional"),
        ("math.sqrt(4)", "not allowed"),
        ("1/0", "Division by zero"),
        ("1 % 0", "Division by zero"),
        ("(-8) ** (1/3)", "complex"),
        ("9.0 ** 9 ** 9", "overflow"),
        ("10**400 / 3", "overflow"),
        ("sqrt(-1)", "Invalid argument"),
        ("1 +", "Not a valid arithmetic expression"),
        ("", "Not a valid arithmetic expression"),
        ("1\x00", "Not a valid arithmetic expression"),
    ],
)
def test_rejects_with_a_clear_message(expression: str, fragment: str) -> None:
    with pytest.raises(MathError) as info:
        evaluate(expression)
    assert fragment in str(info.value)


def test_length_and_depth_limits() -> None:
    with pytest.raises(MathError, match="characters long"):
        evaluate("1+" * 600 + "1")
    with pytest.raises(MathError, match="nests deeper"):
        evaluate("-" * 200 + "1")
    with pytest.raises(MathError):
        evaluate("(" * 300 + "1" + ")" * 300)
    assert evaluate("+".join(["1"] * 50)) == 50


def test_custom_limits() -> None:
    with pytest.raises(MathError, match="larger than 64 bits"):
        evaluate("2**100", limits=MathLimits(max_int_bits=64))
    with pytest.raises(MathError, match="larger than 64 bits"):
        evaluate("2**40 * 2**40", limits=MathLimits(max_int_bits=64))


OVERFLOW = (
    "The result is not a finite number (overflow: a value is beyond the float range of about 1.8e308). "
    "Use smaller numbers or rescale the calculation, e.g. work with logarithms (log10(x) instead of x)."
)
NOT_A_NUMBER = (
    "The result is not a finite number (NaN: an undefined value, e.g. infinity minus infinity). "
    "Rewrite the expression so that every step has a finite value."
)
COMPLEX_RESULT = (
    "The result is a complex number (e.g. a fractional power of a negative number); only real numbers "
    "are supported. Rewrite it with a real result, e.g. -(8 ** (1/3)) for the cube root of -8."
)


@pytest.mark.parametrize(
    "expression",
    [
        "10.0 ** 400",  # pow raises OverflowError
        "1e308 * 10",  # float multiplication silently gives inf
        "1e308 + 1e308",
        "-1e308 - 1e308",  # -inf
        "1e400",  # an out-of-range literal is already inf
        "1e400 - 1e400",  # inf - inf = nan: refused at the first inf
        "0 * 1e400",  # 0 * inf = nan
        "(1e308 * 10) - (1e308 * 10)",
        "degrees(1e308)",  # a function that returns inf without raising
        "exp(1000)",  # a function that raises OverflowError
        "10**400 / 3",  # int / int too large for a float
        "10**308 * 10.0",  # int converted to float, then inf
        "1 / (1e308 * 10)",  # an intermediate inf that would end as 0.0
        "min(1e308 * 10, 1)",  # an intermediate inf that would end as a finite value
        "round(1e308 * 10)",
    ],
)
def test_non_finite_results_are_refused(expression: str) -> None:
    with pytest.raises(MathError) as info:
        evaluate(expression)
    assert str(info.value) == OVERFLOW


def test_largest_finite_values_still_work() -> None:
    assert evaluate("1e308 * 1.5") == 1.5e308
    assert evaluate("hypot(1e308, 1e308)") == pytest.approx(1.4142135623730951e308)
    assert evaluate("-1.7e308") == -1.7e308


def test_nan_from_a_function_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """No allowed function returns NaN for finite arguments today; the guard holds if one ever does."""
    monkeypatch.setitem(FUNCTIONS, "nan_maker", lambda: math.nan)
    with pytest.raises(MathError) as info:
        evaluate("nan_maker() + 1")
    assert str(info.value) == NOT_A_NUMBER


@pytest.mark.parametrize("expression", ["(-8) ** (1/3)", "(-1) ** 0.5", "-(8 ** (1/3)) + (-2.0) ** 0.5"])
def test_complex_results_are_refused(expression: str) -> None:
    with pytest.raises(MathError) as info:
        evaluate(expression)
    assert str(info.value) == COMPLEX_RESULT
    assert evaluate("-(8 ** (1/3))") == pytest.approx(-2.0)


async def test_overflow_reaches_the_model_and_never_returns_inf() -> None:
    model = ScriptedModel(
        [call("calculate", expression="1e308 * 10"), call("calculate", expression="log10(1e308) + 1"), text("done")]
    )
    await Agent(model, tools=math_tools()).run("go")
    parts = [
        p
        for m in model.requests[-1].messages
        if isinstance(m, ModelRequest)
        for p in m.parts
        if isinstance(p, ToolResult | RetryPrompt)
    ]
    overflow, fixed = parts
    assert isinstance(overflow, RetryPrompt)
    assert OVERFLOW in overflow.content
    assert "inf" not in overflow.content.replace("finite", "")
    assert isinstance(fixed, ToolResult)
    assert fixed.content == pytest.approx(309.0)
