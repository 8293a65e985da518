"""Verification: checking other implementations and students' code against the reference.

- :mod:`.vectors`: golden vectors of every stage for a documented set of cases;
- :mod:`.verify`: compare someone's stages with them and diagnose the difference;
- :mod:`.mistakes`: the catalogue of known mistakes and conventions the diagnosis tries;
- :mod:`.checker`, :mod:`.exercises`, :mod:`.worker`: the assignment checker
  (``numpy-gradcam check``).

Nothing is imported here: the checker needs Hypothesis, a test dependency, and ``verify`` must
work without it. Import the submodule you need.
"""
