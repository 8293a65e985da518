"""A photo as the model sees it: the crop box, and the map put back onto the photo.

A model takes a fixed input size ``(H_in, W_in)`` (224×224 for the ImageNet architectures); a
photo has its own size ``(H0, W0)`` and aspect ratio. How one becomes the other is a
convention, chosen by ``fit``:

* ``"center-crop"`` (default): the largest centred region of the photo with the input's
  aspect ratio, times ``crop_fraction`` on each side, is resized to the input size. With
  ``crop_fraction=1`` (default) this is "resize the short side to the input size, then crop
  the centre": a square photo is seen whole, a 3:2 photo loses a sixth at each long end.
  ``crop_fraction=224/256`` (:data:`TORCHVISION_CROP_FRACTION`) is torchvision's ImageNet
  evaluation transform, ``Resize(256)`` then ``CenterCrop(224)`` (``ImageClassification(
  crop_size=224, resize_size=256)`` in ``torchvision/transforms/_presets.py``, the
  ``transforms`` of every ``ResNet18_Weights`` …): the accuracy the pretrained weights report
  was measured on that crop. It is not the default because it drops 1/16 of every side even
  of a square photo, and an explanation should cover as much of the photo as the model can see;
  the shipped tiny CNNs were trained on whole scenes.
* ``"squash"``: the whole photo resized to the input size, aspect ratio not kept (this
  package's behaviour before the crop existed).

The region is the **crop box** ``(top, left, height, width)`` in the photo's pixels (integers:
the map is put back pixel for pixel). Its side lengths are rounded to the nearest pixel (at
least 1) and it is centred with the spare pixel, if any, below and to the right:
``top = (H0 - height) // 2``. A 1×1 photo is a defined case: its box is the one pixel, resized to
a constant input.

The map ``L`` (model-input coordinates) is upsampled to the box's size with
:func:`numpy_gradcam.cam.upsampling.upsample` and placed at the box; outside the box the model
saw nothing, so there is no heat there: :func:`overlay_on_photo` leaves those pixels as the
photo's own (inside the box a zero of the map is coloured, jet's dark blue: the box shows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate
from .cam import explain
from .cam.presets import PRESETS
from .cam.presets.paper import color_and_blend
from .cam.upsampling import upsample
from .io import image_size, load_image

FITS = ("center-crop", "squash")

#: torchvision's ImageNet evaluation crop: ``CenterCrop(224)`` of ``Resize(256)``.
TORCHVISION_CROP_FRACTION = 224 / 256

#: Rows of the photo coloured and blended at a time (bounds the float64 working memory).
ROWS_PER_STRIP = 256


@dataclass(frozen=True)
class CropBox:
    """The region of the photo the model sees: ``top``, ``left``, ``height``, ``width`` in
    the upright photo's pixels (``photo[:, top:top + height, left:left + width]``)."""

    top: int
    left: int
    height: int
    width: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.top, self.left, self.height, self.width)

    def slices(self) -> tuple[slice, slice]:
        """Row and column slices of the box in the photo."""
        return (slice(self.top, self.top + self.height),
                slice(self.left, self.left + self.width))


def crop_box(photo_size, input_size, fit: str = "center-crop",
             crop_fraction: float = 1.0) -> CropBox:
    """The crop box of a photo of ``photo_size`` ``(H0, W0)`` for a model input ``(H_in, W_in)``.

    ``center-crop``: ``s = crop_fraction · min(H0 / H_in, W0 / W_in)`` photo pixels per input
    pixel; ``height = max(1, round(H_in · s))``, ``width = max(1, round(W_in · s))``;
    ``top = (H0 - height) // 2``, ``left = (W0 - width) // 2``. ``squash``: the whole photo
    (``crop_fraction`` must then be 1). See the module docstring for the conventions' sources.
    """
    H0, W0 = _validate.pair(photo_size, "photo_size")
    H_in, W_in = _validate.pair(input_size, "input_size")
    _validate.choice(fit, "fit", FITS)
    crop_fraction = _validate.fraction(crop_fraction, "crop_fraction")
    if crop_fraction == 0:
        raise ValueError("crop_fraction must be in (0, 1], got 0")
    if fit == "squash":
        if crop_fraction != 1:
            raise ValueError(f"crop_fraction must be 1 with fit='squash' (the whole photo), "
                             f"got {crop_fraction}")
        return CropBox(0, 0, H0, W0)
    s = crop_fraction * min(H0 / H_in, W0 / W_in)
    height = min(H0, max(1, round(H_in * s)))
    width = min(W0, max(1, round(W_in * s)))
    return CropBox((H0 - height) // 2, (W0 - width) // 2, height, width)


def explain_photo(model, path, fit: str = "center-crop", crop_fraction: float = 1.0,
                  **explain_options):
    """:func:`numpy_gradcam.explain` of the photo file ``path``, as the model sees it.

    The crop box (:func:`crop_box` for ``model.card["input_size"]``) is read from the upright
    photo and resized to the model's input (:func:`numpy_gradcam.io.load_image` with ``box``:
    a large JPEG is decoded at a reduced scale and never held whole). ``explain_options`` go to
    ``explain``. The Explanation's ``image`` is the model's input; ``options["preprocessing"]``
    records ``fit``, ``crop_fraction``, ``photo_size`` ``(H0, W0)`` and ``crop_box``
    ``(top, left, height, width)`` in the photo's pixels.
    """
    input_size = tuple(model.card["input_size"][1:])
    photo_size = image_size(path)
    box = crop_box(photo_size, input_size, fit, crop_fraction)
    x = load_image(path, size=input_size, box=box.as_tuple())          # (3, H_in, W_in)
    e = explain(model, x, **explain_options)
    e.options["preprocessing"] = dict(fit=fit, crop_fraction=crop_fraction,
                                      photo_size=photo_size, crop_box=box.as_tuple())
    return e


def overlay_on_photo(explanation, photo: np.ndarray) -> np.ndarray:
    """The overlay of :func:`explain_photo`'s map on the photo at its own size, as uint8.

    ``photo`` ``(3, H0, W0)`` uint8 (:func:`numpy_gradcam.io.load_image_uint8`). Returns
    ``(3, H0, W0)`` uint8: inside the crop box the preset's overlay rounded to 8 bits,
    ``round(255 · (a·colored + (1 − a)·photo))`` for the paper's; outside it the photo as it is.
    The paper preset colours and blends :data:`ROWS_PER_STRIP` rows at a time (float64 copies
    of a large photo are never made whole); a library preset renders the whole box at once,
    with its own resize.
    """
    e = explanation
    box = CropBox(*e.options["preprocessing"]["crop_box"])
    rows, cols = box.slices()
    out = photo.copy()                                                 # (3, H0, W0) uint8
    if e.options["preset"] != "paper":
        region = photo[None, :, rows, cols] / 255.0                    # (1, 3, height, width)
        overlay = PRESETS[e.options["preset"]].render(e.cam[None], region, e.options).overlay
        out[:, rows, cols] = np.round(overlay[0] * 255.0).astype(np.uint8)
        return out
    heatmap = upsample(e.cam_normalized, (box.height, box.width), mode=e.options["upsample"],
                       align_corners=e.options["align_corners"])      # (height, width)
    for start in range(0, box.height, ROWS_PER_STRIP):
        strip = slice(start, min(start + ROWS_PER_STRIP, box.height))
        photo_rows = slice(box.top + strip.start, box.top + strip.stop)
        image = photo[None, :, photo_rows, cols] / 255.0               # (1, 3, rows, width)
        _, blended = color_and_blend(heatmap[None, strip], image, e.options["cmap"],
                                     e.options["alpha"])
        out[:, photo_rows, cols] = np.round(blended[0] * 255.0).astype(np.uint8)
    return out
