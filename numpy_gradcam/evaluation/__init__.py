"""Scores of a heatmap against ground truth, and of its faithfulness to the model.

One module per metric family (each docstring states the protocol and cites the paper):

- :mod:`.pointing_game`: :func:`pointing_game` (Zhang et al. 2016) and
  :func:`energy_pointing_game` (Wang et al. 2020, Score-CAM);
- :mod:`.localization`: the Grad-CAM paper's localisation (15 % threshold, largest connected
  segment's box, IoU >= 0.5);
- :mod:`.deletion`: deletion / insertion curves and their AUC (Petsiuk et al. 2018, RISE);
- :mod:`.confidence`: average drop / increase in confidence (Chattopadhay et al. 2018);
- :mod:`.sanity`: cascading randomisation, Spearman and SSIM (Adebayo et al. 2018);
- :mod:`.baselines`: a centre Gaussian map and a random map;
- :mod:`.bias`: the biased-model investigation (cue vs object energy);
- :mod:`.report`: estimates with 95 % intervals, Markdown and CSV tables;
- :mod:`.suite`: the streamed evaluation behind ``numpy-gradcam evaluate``.
"""

from .confidence import confidence_change, drop_and_increase, explanation_images
from .deletion import auc, perturbation_curve
from .localization import bounding_boxes, box_iou
from .maps import method_maps
from .pointing_game import PAPER_TOLERANCE_64, energy_pointing_game, pointing_game
from .sanity import cascade, spearman, ssim
from .suite import METRICS, evaluate

__all__ = [
    "METRICS", "PAPER_TOLERANCE_64", "auc", "bounding_boxes", "box_iou", "cascade",
    "confidence_change", "drop_and_increase", "energy_pointing_game", "evaluate",
    "explanation_images", "method_maps", "perturbation_curve", "pointing_game",
    "spearman", "ssim",
]
