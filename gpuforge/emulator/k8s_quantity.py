"""Kubernetes resource quantities ("500m", "1Gi", "8"): parse, add, compare, print.

What the admission plugins need of apimachinery's `resource.Quantity`
(kubernetes/apimachinery@72d71eac265e06713c6d83d7034aac609450243f, v0.35.0:
pkg/api/resource/quantity.go): exact values, and `String()` in canonical form,
which keeps the format (binary `Ki`..`Ei`, decimal `k`..`E` or milli `m`) and picks
the largest suffix that divides the value exactly. Exponent forms (`1e3`) parse;
they print as decimal SI.
"""

from __future__ import annotations

import re
from fractions import Fraction

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000), "": 1,
            "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}  # fmt: skip
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eE][+-]?[0-9]+|[a-zA-Z]*)$")


class Quantity:
    """An exact quantity and the format (`binary` or `decimal`) it was written in."""

    __slots__ = ("value", "binary")

    def __init__(self, value: Fraction | int, binary: bool = False) -> None:
        self.value = Fraction(value)
        self.binary = binary

    @classmethod
    def parse(cls, text: object) -> Quantity:
        """A quantity from a manifest value (a string, or a number as YAML gives it)."""
        if isinstance(text, Quantity):
            return text
        if isinstance(text, bool) or not isinstance(text, (str, int, float)):
            raise ValueError(f"quantities must match the regular expression: {text!r}")
        match = _QUANTITY.match(str(text).strip())
        if not match:
            raise ValueError(f"quantities must match the regular expression: {text!r}")
        number, suffix = Fraction(match.group(1)), match.group(2)
        if suffix in _BINARY:
            return cls(number * _BINARY[suffix], binary=True)
        if suffix in _DECIMAL:
            return cls(number * _DECIMAL[suffix])
        if suffix[:1] in "eE":
            return cls(number * Fraction(10) ** int(suffix[1:]))
        raise ValueError(f"quantities must match the regular expression: {text!r}")

    def milli(self) -> Fraction:
        return self.value * 1000

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.value + other.value, self.binary)

    def __sub__(self, other: Quantity) -> Quantity:
        return Quantity(self.value - other.value, self.binary)

    def __lt__(self, other: Quantity) -> bool:
        return self.value < other.value

    def __gt__(self, other: Quantity) -> bool:
        return self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quantity) and self.value == other.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        """Canonical form, as `Quantity.String()` prints it."""
        value = self.value
        if value == 0:
            return "0"
        if value.denominator != 1:
            milli = value * 1000
            if milli.denominator == 1:
                return f"{milli.numerator}m"
            return f"{round(float(milli))}m"
        whole = value.numerator
        if self.binary and whole % 1024 == 0:
            for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
                if whole % _BINARY[suffix] == 0:
                    return f"{whole // _BINARY[suffix]}{suffix}"
        for suffix in ("E", "P", "T", "G", "M", "k"):
            if whole % _DECIMAL[suffix] == 0:
                return f"{whole // _DECIMAL[suffix]}{suffix}"
        return str(whole)

    def __repr__(self) -> str:
        return f"Quantity({self})"
