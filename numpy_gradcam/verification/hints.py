"""Naming a student's mistake: only when a known mistake explains *every* example, not one.

Hypothesis shrinks a failure to the smallest input that still fails, and on so small an input
several mistakes can give the same numbers: a normaliser that uses one min and max for the
whole batch looks, on the shrunk ``[[[0.25]], [[1.0]]]``, exactly like one that forgot to
subtract the minimum. So a known mistake of the catalogue (``Exercise.mistakes``) is named only
when

1. on the shrunk counterexample it differs from the reference and the student's answer equals
   it, and
2. on each of :data:`CONFIRMATIONS` further examples drawn from the exercise's strategy (the
   same ones every run), the student's answer equals it too (an example the mistake cannot
   handle, a shape it does not apply to, is left out; one where the student's function raises
   is a disagreement).

The first mistake that passes both, in the catalogue's order, is named; none is named when
none does: no hint is better than a wrong one.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from .comparison import compare

#: Examples, beyond the shrunk counterexample, on which a mistake must match the student's answer.
CONFIRMATIONS = 20


def _copy(args):
    return tuple(a.copy() if hasattr(a, "copy") else a for a in args)


def confirming_examples(exercise, n: int = CONFIRMATIONS) -> list[tuple]:
    """``n`` argument tuples of ``exercise``'s strategy, the same every run."""
    drawn = []

    @settings(max_examples=n, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), phases=["generate"])
    @given(exercise.strategy())
    def collect(args):
        drawn.append(args)

    collect()
    return drawn[:n]


def _equal(a, b, exercise) -> bool:
    return compare(a, b, names=exercise.result_names, equal_nan=True) is None


def _output(function, args):
    """``function(*args)``, or ``None`` when it raises."""
    try:
        return function(*_copy(args))
    except Exception:
        return None


def diagnose(exercise, student, args, actual) -> list[str]:
    """``[description]`` of the known mistake that explains the student's answers (see the
    module docstring), or ``[]``. ``student(*args)`` calls the student's function."""
    expected = exercise.reference(*_copy(args))
    candidates = []
    for description, wrong in exercise.mistakes:
        mistaken = _output(wrong, args)
        if mistaken is not None and not _equal(mistaken, expected, exercise) and \
                _equal(actual, mistaken, exercise):
            candidates.append((description, wrong))
    if not candidates:
        return []
    examples = [(e, _output(student, e)) for e in confirming_examples(exercise)]
    for description, wrong in candidates:
        if all(_confirms(wrong, e, answer, exercise) for e, answer in examples):
            return [description]
    return []


def _confirms(wrong, args, answer, exercise) -> bool:
    mistaken = _output(wrong, args)
    if mistaken is None:
        return True                                     # the mistake does not apply here
    return answer is not None and _equal(answer, mistaken, exercise)
