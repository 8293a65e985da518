"""Summaries with 95 % confidence intervals, and the tables written by ``numpy-gradcam evaluate``.

Intervals (documented choices):

- a **rate** (pointing-game hits, localisation errors, increases in confidence) gets the
  **Wilson score interval** (Wilson 1927), which stays inside [0, 1] and behaves near 0 % and
  100 %, where the normal ("Wald") interval collapses to a point;
- a **mean** of a continuous per-image value (energy share, IoU, AUC, drop, correlation) gets the
  **normal approximation** ``mean ± 1.96 · s / √n`` (``s`` the sample standard deviation), good
  for the n ≥ 100 images of our tables.

NaN values (images that cannot be scored: an empty mask, an all-zero map) are left out of the
statistic and counted in ``skipped``.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal


@dataclass(frozen=True)
class Estimate:
    """A statistic with its 95 % interval, over ``n`` scored images (``skipped`` left out)."""

    value: float
    low: float
    high: float
    n: int
    skipped: int = 0

    def text(self, scale: float = 1.0, digits: int = 1) -> str:
        if self.n == 0:
            return "n/a"
        v, lo, hi = (scale * t for t in (self.value, self.low, self.high))
        return f"{v:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def _split(values) -> tuple[np.ndarray, int]:
    values = np.asarray(values, dtype=np.float64).ravel()
    keep = ~np.isnan(values)
    return values[keep], int((~keep).sum())


def rate(hits) -> Estimate:
    """The share of True in ``hits`` ``(N,)`` (bool, or float with NaN for unscored images),
    with the Wilson 95 % interval ``(p̂ + z²/2n ± z·√(p̂(1-p̂)/n + z²/4n²)) / (1 + z²/n)``."""
    values, skipped = _split(hits)
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, skipped)
    p = values.mean()
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(float(p), max(0.0, centre - half), min(1.0, centre + half), n, skipped)


def mean(values) -> Estimate:
    """The mean of ``values`` ``(N,)`` with the normal 95 % interval ``± 1.96·s/√n``."""
    values, skipped = _split(values)
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, skipped)
    m = float(values.mean())
    half = Z95 * float(values.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return Estimate(m, m - half, m + half, n, skipped)


@dataclass(frozen=True)
class Column:
    """A table column: the metric's key, its header, how it is summarised (``rate`` or
    ``mean``), the scale shown (100 for per cent) and which direction is better."""

    key: str
    header: str
    summary: str = "mean"
    scale: float = 1.0
    digits: int = 3
    better: str = "higher"


def markdown(rows: dict[str, dict[str, Estimate]], columns: list[Column],
             notes: dict[str, str] | None = None) -> str:
    """A Markdown table, one row per name in ``rows`` (method), one column per metric; cells
    ``value [low, high]``; a method without a metric shows ``—``, with the reason in ``notes``."""
    arrows = {"higher": "↑", "lower": "↓"}
    head = ["method"] + [f"{c.header} {arrows[c.better]}" for c in columns] + ["images"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, cells in rows.items():
        shown = [c for c in columns if c.key in cells]
        counts = sorted({cells[c.key].n for c in shown})
        row = [name] + [cells[c.key].text(c.scale, c.digits) if c.key in cells else "—"
                        for c in columns]
        row.append("/".join(str(k) for k in counts) if counts else "—")
        lines.append("| " + " | ".join(row) + " |")
    for name, note in (notes or {}).items():
        lines.append(f"\n*{name}*: {note}")
    return "\n".join(lines) + "\n"


def csv_text(rows: dict[str, dict[str, Estimate]], columns: list[Column]) -> str:
    """The same table as CSV, long form: ``method, metric, value, low, high, n, skipped`` (values
    unscaled: rates as fractions)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["method", "metric", "value", "low", "high", "n", "skipped"])
    for name, cells in rows.items():
        for c in columns:
            if c.key in cells:
                e = cells[c.key]
                writer.writerow([name, c.key, f"{e.value:.6g}", f"{e.low:.6g}",
                                 f"{e.high:.6g}", e.n, e.skipped])
    return out.getvalue()
