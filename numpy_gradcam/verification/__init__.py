"""Verification: checking other implementations and students' code against the reference.

- :mod:`.vectors`: golden vectors of every stage for a documented set of cases;
- :mod:`.verify`: compare someone's stages with them and diagnose the difference;
- :mod:`.mistakes`: the catalogue of known mistakes and conventions the diagnosis tries;
- :mod:`.checker`, :mod:`.worker`: the assignment checker (``numpy-gradcam check``), with
  :mod:`.exercise` and :mod:`.exercises` (the exercises as data: :mod:`.exercises_gradcam`,
  :mod:`.exercises_backprop`, a course's own), :mod:`.comparison`, :mod:`.hints` (naming a
  mistake), :mod:`.guard` (refusing the reference), :mod:`.gradescope` (results.json) and
  :mod:`.release` (the student release, ``numpy-gradcam release``).

Nothing is imported here: the checker needs Hypothesis, a test dependency, and ``verify`` must
work without it. Import the submodule you need.
"""
