"""The synthetic "shapes" data set, with ground-truth masks.

Every image holds one small object, a filled ``circle``, ``square``, ``triangle`` or ``cross``,
of random size, position, rotation and colour, drawn over a cluttered background: a smooth
colour gradient, faint stripes, soft blobs and thin straight lines, plus pixel noise. The mask
marks exactly the object's pixels, so that a heatmap can be scored against it (the pointing
game, :func:`numpy_gradcam.evaluation.pointing_game`). Three generators:

- :func:`make_shapes`: one object per image, the training and evaluation set;
- :func:`make_composites`: two objects of different classes per image (the paper's "cat and
  dog" image, Fig. 1): Grad-CAM for one class should light up that object only;
- :func:`make_biased`: a spurious cue (a checkered patch in a corner) that co-occurs with one
  class in the "train" split and not in the "test" split (the paper's husky-vs-wolf story,
  Sec. 6.3): a model that learnt the cue is unmasked by its heatmaps.

Conventions
-----------
- Arrays are NCHW, RGB, floats in [0, 1]; float64 by default, float32 on request. The pixel
  values are computed in float32 (twice as fast; these are inputs, not derivatives) and cast
  once at the end, so the float64 and float32 images of a seed hold the same values.
- Pixel ``(i, j)`` is row ``i`` (downwards), column ``j``; its centre is at ``(y, x) = (i, j)``.
  A pixel belongs to a shape when its centre does (no anti-aliasing on objects, so the mask is
  exact: every mask pixel has the object's colour before noise, and no other pixel has).
- Geometry is stated in pixels at the reference size 64 and scaled by ``size / 64``.
- Randomness comes from the ``seed`` argument only: an integer or a
  ``numpy.random.Generator``, never NumPy's global state. The same seed and arguments give
  bit-identical arrays. (The same seed with a different ``n`` gives different images.)
"""

from __future__ import annotations

import numpy as np

from . import _validate

CLASS_NAMES = ("circle", "square", "triangle", "cross")
NUM_CLASSES = len(CLASS_NAMES)

#: The smallest accepted image size. Below about 32 pixels the objects are only a few pixels
#: wide and the classes stop being distinguishable, but the generators still work.
MIN_SIZE = 16
#: The size at which the geometry below is stated in pixels; other sizes scale it.
REFERENCE_SIZE = 64

#: Object radius ``r`` in pixels at size 64, uniform in this range: a circle is 14-24 px across.
RADIUS_RANGE = (7.0, 12.0)
#: Smaller objects in composites, so that two of them fit side by side with a gap.
COMPOSITE_RADIUS_RANGE = (6.0, 10.0)

# Each shape in units of its radius r, in its own rotated frame (u, v):
SQUARE_HALF_SIDE = 0.75  # |u| <= a and |v| <= a: side 1.5 r
TRIANGLE_CIRCUMRADIUS = 1.15  # equilateral, centroid at the centre: side 2.0 r
CROSS_HALF_LENGTH = 1.0  # two bars |u| <= L, |v| <= w (and swapped): arms 2 r long
CROSS_HALF_WIDTH = 0.3  # ... and 0.6 r wide
#: Radius of the disc (centred on the object) that contains the whole shape, per class.
BOUNDING_RADIUS = (
    1.0,
    SQUARE_HALF_SIDE * np.sqrt(2.0),
    TRIANGLE_CIRCUMRADIUS,
    float(np.hypot(CROSS_HALF_LENGTH, CROSS_HALF_WIDTH)),
)

#: The object colour is the first of 16 random candidates at least this far (Euclidean, RGB)
#: from the mean background around the object; the farthest candidate if none is.
MIN_COLOUR_DISTANCE = 0.55
_COLOUR_CANDIDATES = 16

#: The spurious cue of :func:`make_biased`: a black-and-white checkerboard of 4 x 4 checks of
#: 2 px (an 8 px square at size 64), 2 px from the edges, in one of the four corners.
CUE_CHECK = 2
CUE_CHECKS = 4
CUE_OFFSET = 2

_SPLITS = ("train", "test")
_CHUNK = 64  # images rendered at once: bounds the memory of the (chunk, 3, size, size) arrays
_MAX_ROUNDS = 10_000


# --------------------------------------------------------------------------------------------
# Argument checks


def _check_common(n, seed, size, dtype):
    n = _validate.positive_int(n, "n")
    rng = _validate.rng(seed, "seed")
    size = _validate.positive_int(size, "size", minimum=MIN_SIZE)
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"dtype must be np.float32 or np.float64, got {_validate.describe(dtype)}"
        ) from None
    if dtype not in _validate.FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {dtype}")
    return n, rng, size, dtype


# --------------------------------------------------------------------------------------------
# Geometry


def shape_masks(labels, cy, cx, r, theta, size):
    """Rasterise filled shapes: which pixel centres lie inside each shape.

    Parameters
    ----------
    labels : int array ``(B,)``
        Class index into :data:`CLASS_NAMES`.
    cy, cx : float arrays ``(B,)``
        Centre in pixel coordinates (row, column).
    r : float array ``(B,)``
        Radius in pixels; each shape's extent in units of ``r`` is given by the module's
        constants (a circle has radius ``r``, a square half-side ``0.75 r``, ...).
    theta : float array ``(B,)``
        Rotation in radians.
    size : int
        Image height and width.

    Returns
    -------
    bool array ``(B, size, size)``.

    Each shape is an intersection (or, for the cross, a union) of half-planes written in the
    object's rotated frame ``u = cos θ dx + sin θ dy``, ``v = -sin θ dx + cos θ dy``, evaluated
    for all pixels at once by broadcasting.
    """
    labels = np.asarray(labels)
    grid = np.arange(size, dtype=np.float64)
    dy = grid[None, :, None] - np.asarray(cy, dtype=np.float64)[:, None, None]  # (B, S, 1)
    dx = grid[None, None, :] - np.asarray(cx, dtype=np.float64)[:, None, None]  # (B, 1, S)
    cos = np.cos(theta)[:, None, None]
    sin = np.sin(theta)[:, None, None]
    u = cos * dx + sin * dy  # (B, S, S)
    v = cos * dy - sin * dx  # (B, S, S)
    r = np.asarray(r, dtype=np.float64)[:, None, None]  # (B, 1, 1)

    masks = np.zeros((len(labels), size, size), dtype=bool)
    for k, inside in enumerate((_circle, _square, _triangle, _cross)):
        rows = labels == k
        if rows.any():
            masks[rows] = inside(u[rows], v[rows], r[rows])
    return masks


def _circle(u, v, r):
    return u * u + v * v <= r * r


def _square(u, v, r):
    a = SQUARE_HALF_SIDE * r
    return (np.abs(u) <= a) & (np.abs(v) <= a)


def _triangle(u, v, r):
    # An equilateral triangle is the intersection of three half-planes whose outward normals
    # are 120 degrees apart, each at the inradius (half the circumradius) from the centre.
    inradius = 0.5 * TRIANGLE_CIRCUMRADIUS * r
    inside = np.ones(np.broadcast_shapes(u.shape, v.shape), dtype=bool)
    for angle in (-np.pi / 2, np.pi / 6, 5 * np.pi / 6):
        inside &= np.cos(angle) * u + np.sin(angle) * v <= inradius
    return inside


def _cross(u, v, r):
    length = CROSS_HALF_LENGTH * r
    width = CROSS_HALF_WIDTH * r
    horizontal = (np.abs(u) <= length) & (np.abs(v) <= width)
    vertical = (np.abs(u) <= width) & (np.abs(v) <= length)
    return horizontal | vertical


def _balanced_labels(rng, n):
    """``(n,)`` int64: each class ``n // 4`` or ``n // 4 + 1`` times, in a seeded order."""
    return rng.permutation(np.arange(n, dtype=np.int64) % NUM_CLASSES)


def _radii(rng, shape, radius_range, scale):
    return rng.uniform(*radius_range, size=shape) * scale


def _bounding(labels, r):
    return np.asarray(BOUNDING_RADIUS)[labels] * r


def _rejection_sample(rng, n, propose, accept):
    """Draw ``n`` proposals, redrawing the rejected ones until all are accepted.

    ``propose(rng, rows)`` returns a tuple of arrays whose first axis has ``len(rows)`` items
    (``rows`` are the indices still to fill); ``accept(rows, *arrays)`` says which to keep.
    """
    rows = np.arange(n)
    result = None
    for _ in range(_MAX_ROUNDS):
        drawn = propose(rng, rows)
        keep = accept(rows, *drawn)
        if result is None:
            result = tuple(np.empty((n, *a.shape[1:]), dtype=a.dtype) for a in drawn)
        for out, a in zip(result, drawn, strict=True):
            out[rows[keep]] = a[keep]
        rows = rows[~keep]
        if rows.size == 0:
            return result
    raise RuntimeError("could not place the objects; this is a bug in numpy_gradcam.datasets")


# --------------------------------------------------------------------------------------------
# Rendering


def _draw_background_parameters(rng, n, size, scale):
    """Random parameters of the clutter for ``n`` images (drawn once, rendered in chunks)."""
    p = {}
    p["base"] = rng.uniform(0.15, 0.85, size=(n, 3))
    p["gradient_colour"] = rng.uniform(-0.3, 0.3, size=(n, 3))
    p["gradient_angle"] = rng.uniform(0, 2 * np.pi, size=n)
    p["stripe_amplitude"] = rng.uniform(0.03, 0.08, size=n) * (rng.random(n) < 0.5)
    p["stripe_period"] = rng.uniform(5.0, 12.0, size=n) * scale
    p["stripe_angle"] = rng.uniform(0, 2 * np.pi, size=n)
    p["stripe_phase"] = rng.uniform(0, 2 * np.pi, size=n)
    blobs, lines = 3, 3
    p["blob_alpha"] = rng.uniform(0.2, 0.45, size=(n, blobs)) * (rng.random((n, blobs)) < 0.6)
    p["blob_centre"] = rng.uniform(0, size, size=(n, blobs, 2))
    p["blob_sigma"] = rng.uniform(3.0, 8.0, size=(n, blobs)) * scale
    p["blob_colour"] = rng.random((n, blobs, 3))
    p["line_alpha"] = rng.uniform(0.25, 0.55, size=(n, lines)) * (rng.random((n, lines)) < 0.6)
    p["line_point"] = rng.uniform(0, size, size=(n, lines, 2))
    p["line_angle"] = rng.uniform(0, np.pi, size=(n, lines))
    p["line_half_width"] = rng.uniform(0.5, 1.0, size=(n, lines)) * max(scale, 1.0)
    p["line_colour"] = rng.random((n, lines, 3))
    p["noise_sigma"] = rng.uniform(0.01, 0.05, size=n)
    return {name: value.astype(np.float32) for name, value in p.items()}


def _render_backgrounds(p, rows, size):
    """Backgrounds ``(B, 3, size, size)`` in [0, 1] for the images ``rows``.

    The distractors are mixed in one step, ``I = (1 - Σ_k w_k) G + Σ_k w_k c_k``, with ``G``
    the gradient-and-stripes ground, ``w_k`` each distractor's per-pixel opacity and ``c_k`` its
    colour (opacities rescaled where they sum above 1). This is alpha compositing when the
    distractors do not overlap, and one batched matrix product instead of a pass over the
    image per distractor.
    """
    B = len(rows)
    grid = np.arange(size, dtype=np.float32) - (size - 1) / 2
    y = grid[None, :, None]  # (1, S, 1)
    x = grid[None, None, :]  # (1, 1, S)

    def column(name, *index):  # a per-image parameter, shaped to broadcast over (B, S, S)
        return p[name][(rows, *index)][:, None, None]

    def along(angle):  # coordinate along the direction ``angle``: (B, S, S)
        return np.cos(angle) * x + np.sin(angle) * y

    # Ground: a smooth colour gradient over the whole image plus faint grey stripes (texture).
    t = along(column("gradient_angle")) / size  # (B, S, S), in about [-0.7, 0.7]
    # sin(a x + b y + φ) = sin(a x + φ) cos(b y) + cos(a x + φ) sin(b y): sines of (B, 1, S)
    # and (B, S, 1) vectors instead of (B, S, S) arrays.
    frequency = 2 * np.pi / column("stripe_period")
    ax = frequency * np.cos(column("stripe_angle")) * x + column("stripe_phase")  # (B, 1, S)
    by = frequency * np.sin(column("stripe_angle")) * y  # (B, S, 1)
    stripes = column("stripe_amplitude") * (
        np.sin(ax) * np.cos(by) + np.cos(ax) * np.sin(by)
    )  # (B, S, S)
    ground = (
        p["base"][rows][:, :, None, None]
        + p["gradient_colour"][rows][:, :, None, None] * t[:, None]
        + stripes[:, None]
    )  # (B, 3, S, S)

    blobs = p["blob_alpha"].shape[1]
    lines = p["line_alpha"].shape[1]
    w = np.empty((B, blobs + lines, size, size), dtype=np.float32)  # opacities
    # Soft Gaussian blobs: fuzzy-edged, so they never look like a filled circle.
    for k in range(blobs):
        by = column("blob_centre", k, 0) - (size - 1) / 2
        bx = column("blob_centre", k, 1) - (size - 1) / 2
        two_sigma2 = 2 * column("blob_sigma", k) ** 2
        # A Gaussian is separable: exp(-(dy² + dx²) / 2σ²) = exp(-dy² / 2σ²) exp(-dx² / 2σ²).
        w[:, k] = (
            column("blob_alpha", k)
            * np.exp(-((y - by) ** 2) / two_sigma2)  # (B, S, 1)
            * np.exp(-((x - bx) ** 2) / two_sigma2)  # (B, 1, S)
        )
    # Thin straight lines crossing the whole image (anti-aliased by pixel coverage).
    for k in range(lines):
        ly = column("line_point", k, 0) - (size - 1) / 2
        lx = column("line_point", k, 1) - (size - 1) / 2
        angle = column("line_angle", k)
        distance = np.abs((y - ly) * np.cos(angle) - (x - lx) * np.sin(angle))
        coverage = np.clip(column("line_half_width", k) + 0.5 - distance, 0, 1)
        w[:, blobs + k] = column("line_alpha", k) * coverage
    total = w.sum(axis=1)  # (B, S, S)
    w /= np.maximum(total, 1.0)[:, None]
    colours = np.concatenate([p["blob_colour"][rows], p["line_colour"][rows]], axis=1)  # (B, K, 3)
    mixed = np.matmul(colours.transpose(0, 2, 1), w.reshape(B, blobs + lines, -1))  # (B, 3, S*S)
    image = ground * (1.0 - np.minimum(total, 1.0))[:, None] + mixed.reshape(B, 3, size, size)
    return np.clip(image, 0.0, 1.0)


def _object_colours(background, masks_near, candidates):
    """Pick each object's colour far from the background around it.

    background ``(B, 3, S, S)``, masks_near ``(B, S, S)`` (the neighbourhood of the object),
    candidates ``(B, C, 3)`` → ``(B, 3)``.
    """
    area = masks_near.sum(axis=(1, 2))[:, None]  # (B, 1)
    local = np.einsum("bcij,bij->bc", background, masks_near) / np.maximum(area, 1)  # (B, 3)
    distance = np.linalg.norm(candidates - local[:, None, :], axis=2)  # (B, C)
    far = distance >= MIN_COLOUR_DISTANCE
    pick = np.where(far.any(axis=1), far.argmax(axis=1), distance.argmax(axis=1))  # (B,)
    return candidates[np.arange(len(pick)), pick]


def _cue_masks(corners, size, present):
    """Checkerboard-cue pixels ``(B, S, S)`` bool, and the checkerboard's white squares."""
    side, offset = _cue_box(size)
    check = side // CUE_CHECKS
    # corners: 0 top left, 1 top right, 2 bottom left, 3 bottom right
    top = np.where(corners // 2 == 0, offset, size - offset - side)
    left = np.where(corners % 2 == 0, offset, size - offset - side)
    grid = np.arange(size)
    rows = grid[None, :, None] - top[:, None, None]  # (B, S, 1)
    cols = grid[None, None, :] - left[:, None, None]  # (B, 1, S)
    inside = (rows >= 0) & (rows < side) & (cols >= 0) & (cols < side)  # (B, S, S)
    inside &= np.asarray(present, dtype=bool)[:, None, None]
    white = ((rows // check + cols // check) % 2 == 0) & inside
    return inside, white


def _cue_box(size):
    """The cue's side and distance from the edges, in pixels."""
    scale = size / REFERENCE_SIZE
    check = max(1, round(CUE_CHECK * scale))
    return CUE_CHECKS * check, max(1, round(CUE_OFFSET * scale))


def _render(rng, size, dtype, labels, cy, cx, r, theta, cue_corner=None, has_cue=None):
    """Draw ``n`` images with ``k`` objects each (all arrays ``(n, k)``).

    Returns images ``(n, 3, S, S)`` of ``dtype``, masks ``(n, k, S, S)`` bool, cue masks
    ``(n, S, S)`` bool (all False without a cue).
    """
    n, k = labels.shape
    scale = size / REFERENCE_SIZE
    p = _draw_background_parameters(rng, n, size, scale)
    candidates = rng.random((n, k, _COLOUR_CANDIDATES, 3))
    images = np.empty((n, 3, size, size), dtype=dtype)
    masks = np.zeros((n, k, size, size), dtype=bool)
    cue_masks = np.zeros((n, size, size), dtype=bool)
    grid = np.arange(size, dtype=np.float64)
    for start in range(0, n, _CHUNK):
        rows = np.arange(start, min(start + _CHUNK, n))
        image = _render_backgrounds(p, rows, size)  # (B, 3, S, S)
        if cue_corner is not None:
            inside, white = _cue_masks(cue_corner[rows], size, has_cue[rows])
            np.copyto(image, white[:, None], where=inside[:, None], casting="unsafe")
            cue_masks[rows] = inside
        for j in range(k):
            masks[rows, j] = shape_masks(
                labels[rows, j], cy[rows, j], cx[rows, j], r[rows, j], theta[rows, j], size
            )
            # The object's surroundings: a disc 1.5 times its bounding radius.
            reach = 1.5 * _bounding(labels[rows, j], r[rows, j])[:, None, None]
            near = (grid[None, :, None] - cy[rows, j][:, None, None]) ** 2 + (
                grid[None, None, :] - cx[rows, j][:, None, None]
            ) ** 2 <= reach**2
            colour = _object_colours(image, near, candidates[rows, j])  # (B, 3)
            np.copyto(image, colour[:, :, None, None], where=masks[rows, j][:, None])
        # Uniform noise of standard deviation σ: U(-1/2, 1/2) has variance 1/12. (Uniform
        # rather than Gaussian because it is drawn five times faster.)
        uniform = rng.random(image.shape, dtype=np.float32) - 0.5
        noise = np.sqrt(12.0) * p["noise_sigma"][rows][:, None, None, None] * uniform
        images[rows] = np.clip(image + noise, 0.0, 1.0)
    return images, masks, cue_masks


def _place_anywhere(rng, labels, r, size):
    """Centres ``(n,)`` uniform over the positions that keep the whole object inside."""
    margin = _bounding(labels, r) + size / REFERENCE_SIZE
    cy = rng.uniform(margin, size - 1 - margin)
    cx = rng.uniform(margin, size - 1 - margin)
    return cy, cx


# --------------------------------------------------------------------------------------------
# The three generators


def make_shapes(n, seed=0, size=64, dtype=np.float64):
    """Images of one shape each over a cluttered background, with the shape's mask.

    Parameters
    ----------
    n : int
        Number of images, >= 1.
    seed : int or numpy.random.Generator
        The only source of randomness (never NumPy's global state): the same seed gives
        bit-identical arrays.
    size : int
        Height and width of the images, >= :data:`MIN_SIZE`. The geometry below is for
        ``size = 64`` and scales with ``size / 64``.
    dtype : np.float32 or np.float64
        dtype of the images.

    Returns
    -------
    images : ``(n, 3, size, size)`` array of ``dtype``
        NCHW, RGB, values in [0, 1].
    labels : ``(n,)`` int64
        Index into :data:`CLASS_NAMES`. Balanced: every class appears ``n // 4`` or
        ``n // 4 + 1`` times, in a seeded random order.
    masks : ``(n, size, size)`` bool
        True exactly on the object's pixels.

    Notes
    -----
    The object's radius ``r`` is uniform in :data:`RADIUS_RANGE` (7-12 px: a circle is
    14-24 px across, a square's side 1.5 r, a triangle's side 2 r, a cross's arms 2 r long and
    0.6 r wide); its rotation uniform in [0, 2π); its centre uniform over the positions that
    keep it whole, 1 px inside the border. Its colour is a flat random RGB colour at least
    :data:`MIN_COLOUR_DISTANCE` from the mean background around it. Under the object lie: a
    linear colour gradient, faint grey stripes (half of the images), up to 3 soft Gaussian
    blobs and up to 3 thin (2-3 px) semi-transparent straight lines crossing the whole image;
    none of them is a filled compact shape. Uniform pixel noise (standard deviation σ in
    [0.01, 0.05] per image, so never more than 0.087 from the clean value) is added last, and
    values are clipped to [0, 1].
    """
    n, rng, size, dtype = _check_common(n, seed, size, dtype)
    scale = size / REFERENCE_SIZE
    labels = _balanced_labels(rng, n)
    r = _radii(rng, n, RADIUS_RANGE, scale)
    theta = rng.uniform(0, 2 * np.pi, size=n)
    cy, cx = _place_anywhere(rng, labels, r, size)
    images, masks, _ = _render(
        rng, size, dtype, labels[:, None], cy[:, None], cx[:, None], r[:, None], theta[:, None]
    )
    return images, labels, masks[:, 0]


def make_composites(n, seed=0, size=64, dtype=np.float64):
    """Images of two shapes of different classes each, with one mask per shape.

    The two objects never overlap: their bounding discs are at least ``2 px`` (at size 64)
    apart, so each mask is the whole shape. Objects are a little smaller than in
    :func:`make_shapes` (radius in :data:`COMPOSITE_RADIUS_RANGE`); background, colours and
    noise are drawn as there (each object's colour is chosen against the background around it).

    Parameters
    ----------
    n, seed, size, dtype
        As in :func:`make_shapes`; ``seed`` (an int or a ``numpy.random.Generator``) is the
        only source of randomness.

    Returns
    -------
    images : ``(n, 3, size, size)`` array of ``dtype``
        NCHW, RGB, values in [0, 1].
    labels : ``(n, 2)`` int64
        The two classes of each image, always different. ``labels[:, 0]`` is balanced over the
        classes; ``labels[:, 1]`` is uniform over the other three.
    masks : ``(n, 2, size, size)`` bool
        ``masks[i, j]`` is True exactly on the pixels of the object of class ``labels[i, j]``;
        the two masks of an image are disjoint.
    """
    n, rng, size, dtype = _check_common(n, seed, size, dtype)
    scale = size / REFERENCE_SIZE
    first = _balanced_labels(rng, n)
    second = (first + rng.integers(1, NUM_CLASSES, size=n)) % NUM_CLASSES
    labels = np.stack([first, second], axis=1)  # (n, 2)
    r = _radii(rng, (n, 2), COMPOSITE_RADIUS_RANGE, scale)
    theta = rng.uniform(0, 2 * np.pi, size=(n, 2))
    bound = _bounding(labels, r)  # (n, 2)
    gap = 2.0 * scale

    def propose(rng, rows):
        cy0, cx0 = _place_anywhere(rng, labels[rows, 0], r[rows, 0], size)
        cy1, cx1 = _place_anywhere(rng, labels[rows, 1], r[rows, 1], size)
        return np.stack([cy0, cy1], axis=1), np.stack([cx0, cx1], axis=1)

    def accept(rows, cy, cx):
        distance = np.hypot(cy[:, 0] - cy[:, 1], cx[:, 0] - cx[:, 1])
        return distance >= bound[rows].sum(axis=1) + gap

    cy, cx = _rejection_sample(rng, n, propose, accept)
    images, masks, _ = _render(rng, size, dtype, labels, cy, cx, r, theta)
    return images, labels, masks


def make_composite(seed=0, size=64):
    """One composite image: ``make_composites(1, seed, size)`` without the batch axis.

    Returns
    -------
    image : ``(3, size, size)`` float64, RGB in [0, 1]
    labels : ``(2,)`` int64, two different classes
    masks : ``(2, size, size)`` bool, one per object, disjoint
    """
    images, labels, masks = make_composites(1, seed=seed, size=size)
    return images[0], labels[0], masks[0]


def make_biased(n, seed=0, size=64, split="train", cue_class=0, p=0.95, dtype=np.float64):
    """Shapes with a spurious cue that predicts ``cue_class`` in "train" but not in "test".

    The cue is a black-and-white checkerboard (4 x 4 checks of 2 px, an 8 px square at size
    64) 2 px from the edges in a random corner. It is easy for a CNN to detect and carries no
    information about the shape; a model trained on the "train" split may learn "checkerboard
    means ``cue_class``", and its Grad-CAM heatmap then points at the corner instead of the
    object. Objects are kept clear of all four corner regions (whether an image has a cue or
    not, so their position says nothing about the cue); otherwise images are drawn as in
    :func:`make_shapes`, and the cue is drawn over the background (never over the object).

    Which images carry the cue, exactly (counts rounded to the nearest integer, the images
    chosen by a seeded permutation within each class; K = 4 classes):

    ====== ============================== ================================
    split  fraction of ``cue_class``       fraction of each other class
    ====== ============================== ================================
    train  ``p``                           ``(1 - p) / (K - 1)``
    test   ``1 - p``                       ``p``
    ====== ============================== ================================

    As classes are balanced, in "train" ``P(cue | cue_class) = p`` and also
    ``P(cue_class | cue) = p``; in "test" the correlation is reversed (the cue now mostly
    appears on the other classes).

    Parameters
    ----------
    n, seed, size, dtype
        As in :func:`make_shapes`; ``seed`` (an int or a ``numpy.random.Generator``) is the
        only source of randomness.
    split : {"train", "test"}
    cue_class : int
        The class the cue goes with in "train", in ``0 .. 3``.
    p : float in [0, 1]
        Strength of the correlation.

    Returns
    -------
    images : ``(n, 3, size, size)`` array of ``dtype``, NCHW, RGB in [0, 1]
    labels : ``(n,)`` int64, balanced
    masks : ``(n, size, size)`` bool, the object's pixels
    cue_masks : ``(n, size, size)`` bool, the cue's pixels (all False where there is no cue;
        :func:`has_cue` tells which images have one)
    """
    n, rng, size, dtype = _check_common(n, seed, size, dtype)
    split = _validate.choice(split, "split", _SPLITS)
    p = _validate.fraction(p, "p")
    if isinstance(cue_class, bool) or not isinstance(cue_class, (int, np.integer)):
        raise TypeError(
            f"cue_class must be an integer in 0 .. {NUM_CLASSES - 1}, "
            f"got {_validate.describe(cue_class)}"
        )
    if not 0 <= cue_class < NUM_CLASSES:
        raise ValueError(f"cue_class must be an integer in 0 .. {NUM_CLASSES - 1}, got {cue_class}")
    cue_class = int(cue_class)
    scale = size / REFERENCE_SIZE

    labels = _balanced_labels(rng, n)
    if split == "train":
        rate = np.full(NUM_CLASSES, (1.0 - p) / (NUM_CLASSES - 1))
        rate[cue_class] = p
    else:
        rate = np.full(NUM_CLASSES, p)
        rate[cue_class] = 1.0 - p
    has_cue_ = np.zeros(n, dtype=bool)
    for k in range(NUM_CLASSES):
        members = rng.permutation(np.flatnonzero(labels == k))
        has_cue_[members[: round(rate[k] * members.size)]] = True
    cue_corner = rng.integers(0, 4, size=n)

    r = _radii(rng, n, RADIUS_RANGE, scale)
    theta = rng.uniform(0, 2 * np.pi, size=n)
    bound = _bounding(labels, r)
    side, offset = _cue_box(size)
    near, far = offset + side, size - offset - side  # the corner boxes' inner edges
    gap = 2.0 * scale

    def propose(rng, rows):
        return _place_anywhere(rng, labels[rows], r[rows], size)

    def accept(rows, cy, cx):
        # Distance from the centre to the nearest corner box, which spans rows and columns
        # [0, near) or [far, size): the object's bounding disc must stay ``gap`` away from it.
        dy = np.maximum(0.0, np.minimum(cy - (near - 0.5), (far - 0.5) - cy))
        dx = np.maximum(0.0, np.minimum(cx - (near - 0.5), (far - 0.5) - cx))
        return np.hypot(dy, dx) >= bound[rows] + gap

    cy, cx = _rejection_sample(rng, n, propose, accept)
    images, masks, cue_masks = _render(
        rng,
        size,
        dtype,
        labels[:, None],
        cy[:, None],
        cx[:, None],
        r[:, None],
        theta[:, None],
        cue_corner=cue_corner,
        has_cue=has_cue_,
    )
    return images, labels, masks[:, 0], cue_masks


def has_cue(cue_masks):
    """``(n,)`` bool: which images carry the cue, from ``cue_masks`` ``(n, H, W)``."""
    cue_masks = np.asarray(cue_masks)
    if cue_masks.dtype != bool or cue_masks.ndim != 3:
        raise ValueError(
            f"cue_masks must be a bool array (n, H, W), got {_validate.describe(cue_masks)}"
        )
    return cue_masks.any(axis=(1, 2))
