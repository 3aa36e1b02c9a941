"""Money kernel: exact arithmetic, half-up rounding to the fen, largest-remainder splits.

Every county rule computes with exact fractions and turns them into money only here, so that
rounding happens once per figure and in one way (POLICIES.md §1).
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor
from typing import Iterable, Sequence, Union

Exact = Union[Fraction, Decimal, int, str]

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


class ConservationError(ValueError):
    """A settlement's lines do not add up to the pool they were paid from."""


def exact(x: Exact) -> Fraction:
    """The exact value of a Decimal, int, decimal string or Fraction (never a float)."""
    if isinstance(x, float):
        raise TypeError(f"float {x!r} is not an exact value; pass a Decimal or a string")
    if isinstance(x, Fraction):
        return x
    if isinstance(x, str):
        return Fraction(Decimal(x))
    return Fraction(x)


def round_half_up(x: Exact, places: int = 2) -> Decimal:
    """Round an exact value half-up (away from zero on a tie, 四舍五入) to `places` decimals."""
    q = exact(x) * 10**places
    sign = -1 if q < 0 else 1
    n = sign * floor(abs(q) + Fraction(1, 2))
    return Decimal(n).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def fen(x: Exact) -> Decimal:
    """Money: the exact value rounded half-up to the fen."""
    return round_half_up(x, 2)


def to_fen(amount: Exact) -> int:
    """An amount that is already whole fen, as an integer count of fen."""
    q = exact(amount) * 100
    if q.denominator != 1:
        raise ValueError(f"{amount} is not a whole number of fen")
    return int(q)


def from_fen(n: int) -> Decimal:
    return (Decimal(n) / 100).quantize(FEN)


def split(total: Exact, weights: Sequence[Exact]) -> list[Decimal]:
    """Split a money total into parts proportional to `weights` that add back exactly.

    Largest remainder: every part gets the floor in fen, the leftover fen go one each to the
    largest fractional remainders, equal remainders to the part listed first. Zero weights get
    nothing; all weights zero is an error unless the total is zero.
    """
    t = to_fen(total)
    if t < 0:
        raise ValueError(f"cannot split a negative amount {total}")
    ws = [exact(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValueError(f"negative weight in {list(weights)}")
    s = sum(ws, Fraction(0))
    if s == 0:
        if t == 0:
            return [ZERO for _ in ws]
        raise ValueError(f"cannot split {total} over weights that add up to zero")
    shares = [t * w / s for w in ws]
    floors = [floor(x) for x in shares]
    left = t - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [from_fen(n) for n in floors]


def split_equal(total: Exact, n: int) -> list[Decimal]:
    """`total` in `n` equal parts by largest remainder, the extra fen to the earlier parts."""
    return split(total, [1] * n) if n else []


def check_balance(name: str, total: Exact, parts: Iterable[Exact]) -> None:
    """Raise ConservationError unless `parts` add up to `total` exactly."""
    got = sum((exact(p) for p in parts), Fraction(0))
    if got != exact(total):
        raise ConservationError(
            f"pool {name!r} does not balance: parts add up to {fen(got)}, pool is {fen(total)}"
        )


def part(amount: Exact, ratio: Exact) -> tuple[Decimal, Decimal]:
    """`amount × ratio` half-up, and the rest of `amount`: (part, amount − part)."""
    p = fen(exact(amount) * exact(ratio))
    return p, fen(exact(amount) - exact(p))


def show(x: Exact, places: int = 6) -> str:
    """An exact value as a decimal string for a trace (rounded half-up to `places`)."""
    d = round_half_up(x, places)
    return str(d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize())
