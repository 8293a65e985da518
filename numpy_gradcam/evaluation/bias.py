"""The biased-model investigation: is the model looking at the object or at the spurious cue?

The Grad-CAM paper's husky-vs-wolf experiment (Selvaraju et al., Sec. 6.3; source document
004_eb38e0558e67099d.txt): a model trained where a background cue co-occurs with a class learns
the cue, and its heatmaps show it. Here ``tinycnn-biased`` was trained on
``make_biased(split="train")``, where a checkerboard in a corner goes with class 0 (circle) 95 %
of the time; on the *cue-swapped* test split (``split="test"``) the cue appears on 95 % of the
*other* classes' images and on 5 % of the circles.

For each image we measure, with the energy pointing game
(:func:`~numpy_gradcam.evaluation.pointing_game.energy_pointing_game`, Wang et al. 2020), the
share of the Grad-CAM map's energy on the **cue** (its 8 x 8 checkerboard's pixels) and on the
**object** (its mask), explaining the model's predicted class, and group the images by whether
the prediction is correct. The two regions are small (the cue is 64 of 4,096 pixels, 1.6 %;
an object about 3-8 %), so a share of a few tens of per cent is a strong concentration. The
same images are explained by the unbiased ``tinycnn-gap`` for comparison.
"""

from __future__ import annotations

from .maps import method_maps
from .pointing_game import energy_pointing_game


def cue_shares(model, x, labels, masks, cue_masks, method: str = "gradcam") -> dict:
    """Per-image ``(N,)`` arrays for images ``x`` ``(N, C, H, W)``: ``cue`` and ``object`` (the
    map's energy shares on ``cue_masks`` and ``masks``, ``(N, H, W)`` bool; NaN where the image
    has no cue), ``correct`` (bool), ``predicted`` (int), and ``maps`` ``(N, H, W)``."""
    maps, e = method_maps(model, x, method)                             # explains the prediction
    return {
        "cue": energy_pointing_game(maps, cue_masks),
        "object": energy_pointing_game(maps, masks),
        "predicted": e.targets,
        "correct": e.targets == labels,
        "maps": maps,
    }
