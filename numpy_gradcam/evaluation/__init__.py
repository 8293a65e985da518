"""Scores of a heatmap against ground truth.

- :func:`pointing_game`: does the heatmap's peak land on the object (Zhang et al. 2016)?
"""

from .pointing_game import pointing_game

__all__ = ["pointing_game"]
