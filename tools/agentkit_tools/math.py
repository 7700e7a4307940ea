"""A safe arithmetic evaluator: parses with :mod:`ast`, never calls ``eval``.

Allowed: int and float literals, ``+ - * / // % **``, unary ``+``/``-``, parentheses, and the
functions and constants in :data:`FUNCTIONS` / :data:`CONSTANTS`. Names, attributes, subscripts,
keyword arguments, comparisons, strings and everything else are rejected. Integer results are capped
at ``max_int_bits`` *before* they are computed, so ``9**9**9`` or ``factorial(10**6)`` fail fast
instead of exhausting CPU and memory. Every intermediate and final value must be a finite real
number: an overflow to infinity, a NaN or a complex value is an error that says how to fix the expression.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from agentkit.tools import Tool, tool
from agentkit_tools._errors import ToolPackError

__all__ = ["CONSTANTS", "FUNCTIONS", "MathError", "MathLimits", "evaluate", "math_tools"]

Number = int | float


class MathError(ToolPackError):
    """The expression is not allowed, or its value can't be computed within the limits."""


@dataclass(frozen=True)
class MathLimits:
    """Bounds on what :func:`evaluate` accepts."""

    max_length: int = 1000
    """Longest expression, in characters."""
    max_depth: int = 100
    """Deepest nesting of operations."""
    max_int_bits: int = 4096
    """Largest integer magnitude (about 1233 decimal digits)."""


OVERFLOW: Final = (
    "The result is not a finite number (overflow: a value is beyond the float range of about 1.8e308). "
    "Use smaller numbers or rescale the calculation, e.g. work with logarithms (log10(x) instead of x)."
)
NOT_A_NUMBER: Final = (
    "The result is not a finite number (NaN: an undefined value, e.g. infinity minus infinity). "
    "Rewrite the expression so that every step has a finite value."
)
COMPLEX_RESULT: Final = (
    "The result is a complex number (e.g. a fractional power of a negative number); only real numbers "
    "are supported. Rewrite it with a real result, e.g. -(8 ** (1/3)) for the cube root of -8."
)

CONSTANTS: Final[dict[str, float]] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _round(x: Number, ndigits: int | None = None) -> Number:
    if ndigits is None:
        return round(x)
    if not isinstance(ndigits, int) or abs(ndigits) > 100:
        raise MathError("round(x, ndigits): ndigits must be an integer between -100 and 100.")
    return round(x, ndigits)


FUNCTIONS: Final[dict[str, Callable[..., Number]]] = {
    "abs": abs,
    "round": _round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
    "isqrt": math.isqrt,
    "exp": math.exp,
    "log": math.log,
    "log2": math.log2,
    "log10": math.log10,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "hypot": math.hypot,
    "degrees": math.degrees,
    "radians": math.radians,
    "floor": math.floor,
    "ceil": math.ceil,
    "trunc": math.trunc,
    "fabs": math.fabs,
    "gcd": math.gcd,
    "factorial": math.factorial,
}

_BINARY: Final[dict[type[ast.operator], Callable[[Number, Number], Number]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: Final[dict[type[ast.unaryop], Callable[[Number], Number]]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}


def evaluate(expression: str, *, limits: MathLimits | None = None) -> Number:
    """Evaluate an arithmetic expression such as ``"2 * (3 + 4) ** 2 / sqrt(16)"``.

    Raises :class:`MathError` with a message that says what is wrong and what is allowed.
    """
    lim = limits or MathLimits()
    if len(expression) > lim.max_length:
        raise MathError(
            f"Expression is {len(expression)} characters long; the limit is {lim.max_length}. "
            "Split the computation into smaller expressions."
        )
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise MathError(f"Not a valid arithmetic expression: {exc}. Use numbers, operators and ().") from None
    return _Evaluator(lim).visit(tree.body, 0)


class _Evaluator:
    def __init__(self, limits: MathLimits) -> None:
        self.limits = limits

    def visit(self, node: ast.expr, depth: int) -> Number:
        if depth > self.limits.max_depth:
            raise MathError(f"Expression nests deeper than {self.limits.max_depth} levels; simplify it.")
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return self._checked(_UNARY[type(node.op)](self.visit(node.operand, depth + 1)))
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self._binary(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise MathError(
            f"{type(node).__name__} is not allowed. Use numbers, + - * / // % **, parentheses, "
            f"the constants {sorted(CONSTANTS)} and the functions {sorted(FUNCTIONS)}."
        )

    def _constant(self, node: ast.Constant) -> Number:
        value = node.value
        if type(value) is int or type(value) is float:
            return self._checked(value)
        raise MathError(f"Only int and float literals are allowed, not {value!r}.")

    def _name(self, node: ast.Name) -> Number:
        if node.id not in CONSTANTS:
            raise MathError(f"Unknown name {node.id!r}. Known constants: {sorted(CONSTANTS)}.")
        return CONSTANTS[node.id]

    def _binary(self, node: ast.BinOp, depth: int) -> Number:
        left = self.visit(node.left, depth + 1)
        right = self.visit(node.right, depth + 1)
        self._guard_size(node.op, left, right)
        return self._checked(_apply(_BINARY[type(node.op)], left, right))

    def _call(self, node: ast.Call, depth: int) -> Number:
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            shown = ast.unparse(func)
            raise MathError(f"Function {shown!r} is not allowed. Allowed functions: {sorted(FUNCTIONS)}.")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise MathError(f"{func.id}() takes positional numbers only.")
        args = [self.visit(a, depth + 1) for a in node.args]
        if func.id == "factorial":
            self._guard_factorial(args)
        return self._checked(_apply(FUNCTIONS[func.id], *args))

    def _guard_size(self, op: ast.operator, left: Number, right: Number) -> None:
        if not (isinstance(left, int) and isinstance(right, int)):
            return
        bits = 0
        if isinstance(op, ast.Pow) and right > 0 and abs(left) > 1:
            bits = (abs(left).bit_length() - 1) * right
        elif isinstance(op, ast.Mult):
            bits = left.bit_length() + right.bit_length() - 1
        if bits > self.limits.max_int_bits:
            raise self._too_large()

    def _guard_factorial(self, args: list[Number]) -> None:
        if len(args) == 1 and isinstance(args[0], int) and args[0] > 1:
            bits = math.lgamma(args[0] + 1) / math.log(2)
            if bits > self.limits.max_int_bits:
                raise self._too_large()

    def _checked(self, value: Number) -> Number:
        if isinstance(value, complex):
            raise MathError(COMPLEX_RESULT)
        if isinstance(value, float) and math.isinf(value):
            raise MathError(OVERFLOW)
        if isinstance(value, float) and math.isnan(value):
            raise MathError(NOT_A_NUMBER)
        if isinstance(value, int) and value.bit_length() > self.limits.max_int_bits:
            raise self._too_large()
        return value

    def _too_large(self) -> MathError:
        return MathError(
            f"The result would be larger than {self.limits.max_int_bits} bits (about "
            f"{int(self.limits.max_int_bits * math.log10(2))} digits). Use floats (e.g. 9.0**99) or a "
            "smaller expression."
        )


def _apply(fn: Callable[..., Number], *args: Number) -> Number:
    try:
        return fn(*args)
    except ZeroDivisionError:
        raise MathError("Division by zero.") from None
    except OverflowError:
        raise MathError(OVERFLOW) from None
    except (ValueError, TypeError) as exc:
        raise MathError(f"Invalid argument: {exc}.") from None


def math_tools(*, limits: MathLimits | None = None) -> list[Tool[Any]]:
    """The ``calculate`` tool."""

    @tool(side_effect="pure")
    def calculate(expression: str) -> int | float:
        """Evaluate an arithmetic expression exactly, e.g. "(17 * 23) / sqrt(2) + 2**10".

        Supports + - * / // % **, parentheses, pi, e, tau and the functions abs, round, min, max,
        sqrt, isqrt, exp, log, log2, log10, sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh,
        hypot, degrees, radians, floor, ceil, trunc, fabs, gcd, factorial.

        Args:
            expression: The expression to evaluate.
        """
        return evaluate(expression, limits=limits)

    return [calculate]
