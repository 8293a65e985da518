"""A report as strict JSON: what ``verify --json`` and ``check --json`` print.

JSON has no numbers for infinity or NaN, and Python's ``json`` writes ``Infinity`` and ``NaN``
anyway, which strict parsers (``jq``, JavaScript's ``JSON.parse``) refuse. A relative error is
infinite where the reference is 0 and yours is not, so reports meet them: each non-finite number
is written as the string ``"inf"``, ``"-inf"`` or ``"nan"`` instead.
"""

from __future__ import annotations

import json
import math

import numpy as np


def finite_json(value):
    """``value`` (dicts, lists, numbers, strings) with every non-finite float as a string."""
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isnan(value):
            return "nan"
        return value if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_json(item) for item in value]
    return value


def dumps(report: dict) -> str:
    """``report`` as indented, strict JSON (see the module docstring)."""
    return json.dumps(finite_json(report), indent=2, allow_nan=False)
