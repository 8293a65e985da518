"""Verification: the assignment checker (``numpy-gradcam check``) and its exercises.

- :mod:`.exercises`: each exercise's reference, the inputs Hypothesis draws, known mistakes;
- :mod:`.checker`: :func:`check_file` runs a student's module, one child process per function;
- :mod:`.worker`: what runs in that child.
"""

from .checker import FunctionReport, Report, check_file
from .exercises import ATOL, EXERCISES, RTOL

__all__ = ["ATOL", "EXERCISES", "RTOL", "FunctionReport", "Report", "check_file"]
