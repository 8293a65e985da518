"""Tests of the synthetic shapes data set (numpy_gradcam.datasets).

Expected values are literal: shape areas and moments worked out by hand for the continuous
shapes, class counts for a given ``n``, cue counts from the documented rates.
"""

import numpy as np
import pytest
from scipy import ndimage

from numpy_gradcam import datasets
from numpy_gradcam.evaluation import pointing_game

# Uniform noise of standard deviation at most 0.05 is at most sqrt(3) * 0.05 = 0.087 away from
# the clean value; the object's pixels are one flat colour before noise.
NOISE_BOUND = 0.09


@pytest.fixture(scope="module")
def shapes():
    return datasets.make_shapes(400, seed=7)


def shape_features(masks):
    """Rotation- and scale-invariant descriptors of each mask ``(N, H, W)``.

    - ``A / R²``: area over squared largest distance from the centroid: π for a disc, 2 for
      a square, 3√3/4 = 1.30 for an equilateral triangle, 2.04 / 1.09 = 1.87 for our cross;
    - ``J / A²``: polar moment of inertia about the centroid over squared area: 1/(2π) = 0.159
      for a disc, 1/6 = 0.167 for a square, √3/9 = 0.192 for a triangle, 0.204 for our cross;
    - ``|Σ (x + iy)³| / A^2.5``: the 3-fold moment, 0 for the centrally symmetric shapes
      (disc, square, cross), about 0.07 for a triangle.
    """
    _, H, W = masks.shape
    i = np.arange(H)[None, :, None]
    j = np.arange(W)[None, None, :]
    A = masks.sum(axis=(1, 2)).astype(float)
    ci = (masks * i).sum(axis=(1, 2)) / A
    cj = (masks * j).sum(axis=(1, 2)) / A
    dy = i - ci[:, None, None]
    dx = j - cj[:, None, None]
    d2 = dx**2 + dy**2
    R2 = np.where(masks, d2, 0).max(axis=(1, 2))
    J = (masks * d2).sum(axis=(1, 2))
    threefold = np.abs((masks * (dx + 1j * dy) ** 3).sum(axis=(1, 2))) / A**2.5
    return A / R2, J / A**2, threefold


def classify_masks(masks):
    """Name the shape of each mask from its descriptors (thresholds between the values above)."""
    area_ratio, inertia, threefold = shape_features(masks)
    return np.select(
        [threefold > 0.04, area_ratio > 2.9, inertia < 0.18],
        [2, 0, 1],
        default=3,
    )


# --------------------------------------------------------------------------------------------
# Geometry


def test_class_names():
    assert datasets.CLASS_NAMES == ("circle", "square", "triangle", "cross")


def test_circle_mask_counts_pixel_centres_by_hand():
    mask = datasets.shape_masks([0], [5.0], [5.0], [2.0], [0.3], size=11)[0]
    # dy² + dx² <= 4: the centre row and column 5 pixels each, minus the shared centre, plus
    # the 4 diagonal neighbours (1 + 1 <= 4): 5 + 5 - 1 + 4 = 13.
    assert mask.sum() == 13
    assert mask[5, 3] and mask[5, 7] and mask[4, 4] and not mask[3, 3]


def test_square_and_cross_masks_by_hand():
    square = datasets.shape_masks([1], [10.0], [10.0], [4.0], [0.0], size=21)[0]
    # half-side 0.75 * 4 = 3: rows and columns 7..13, a 7 x 7 block
    expected = np.zeros((21, 21), dtype=bool)
    expected[7:14, 7:14] = True
    np.testing.assert_array_equal(square, expected)

    cross = datasets.shape_masks([3], [10.0], [10.0], [10.0], [0.0], size=21)[0]
    # arms: half-length 10, half-width 3 → two 21 x 7 bars sharing a 7 x 7 centre
    assert cross.sum() == 2 * 21 * 7 - 7 * 7
    assert cross[10, 0] and cross[0, 10] and cross[13, 20] and not cross[14, 20]
    assert not cross[0, 0] and not cross[6, 6]


def test_triangle_mask_by_hand():
    r = 11.0 / datasets.TRIANGLE_CIRCUMRADIUS  # circumradius 11 px, inradius 5.5 px
    tri = datasets.shape_masks([2], [12.25], [12.0], [r], [0.0], size=25)[0]
    rows = np.flatnonzero(tri.any(axis=1))
    # unrotated, one edge is flat 5.5 px above the centre (y = 6.75) and the apex 11 px below
    # it (y = 23.25): rows 7 to 23
    assert rows.tolist() == list(range(7, 24))
    # row 7 (dy = -5.25) lies between the slanted edges cos30° |dx| + sin30° dy <= 5.5, so
    # |dx| <= (5.5 + 2.625) / 0.866 = 9.38: 19 pixels; the apex row 23 (dy = 10.75): |dx| <= 0.14
    assert tri[7].sum() == 19 and tri[7, 3] and tri[7, 21]
    assert tri[23].sum() == 1 and tri[23, 12]
    # both slanted edges shorten the rows by the same amount: left-right symmetric
    np.testing.assert_array_equal(tri, tri[:, ::-1])


def test_rotation_turns_the_square():
    flat = datasets.shape_masks([1], [20.0], [20.0], [10.0], [0.0], size=41)[0]
    diamond = datasets.shape_masks([1], [20.0], [20.0], [10.0], [np.pi / 4], size=41)[0]
    # half-side 7.5: the flat square reaches 7 px up, the diamond its half-diagonal 10.6 px
    assert np.flatnonzero(flat.any(axis=1))[0] == 13
    assert np.flatnonzero(diamond.any(axis=1))[0] == 10
    assert abs(int(flat.sum()) - int(diamond.sum())) < 15  # both ≈ 15² = 225


# --------------------------------------------------------------------------------------------
# make_shapes


def test_shapes_types_and_range(shapes):
    images, labels, masks = shapes
    assert images.shape == (400, 3, 64, 64) and images.dtype == np.float64
    assert labels.shape == (400,) and labels.dtype == np.int64
    assert masks.shape == (400, 64, 64) and masks.dtype == bool
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert set(np.unique(labels)) == {0, 1, 2, 3}


def test_class_balance():
    _, labels, _ = datasets.make_shapes(10, seed=0, size=32)
    np.testing.assert_array_equal(np.bincount(labels, minlength=4), [3, 3, 2, 2])
    _, labels, _ = datasets.make_shapes(400, seed=1, size=32)
    np.testing.assert_array_equal(np.bincount(labels, minlength=4), [100, 100, 100, 100])


def test_labels_are_shuffled(shapes):
    _, labels, _ = shapes
    assert not np.array_equal(labels, np.arange(400) % 4)


def test_determinism():
    a = datasets.make_shapes(20, seed=3, size=32)
    b = datasets.make_shapes(20, seed=3, size=32)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    c = datasets.make_shapes(20, seed=4, size=32)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[2], c[2])


def test_generator_is_accepted_and_consumed():
    by_seed = datasets.make_shapes(6, seed=11, size=32)
    by_rng = datasets.make_shapes(6, seed=np.random.default_rng(11), size=32)
    np.testing.assert_array_equal(by_seed[0], by_rng[0])
    rng = np.random.default_rng(11)
    first = datasets.make_shapes(6, seed=rng, size=32)
    second = datasets.make_shapes(6, seed=rng, size=32)
    assert not np.array_equal(first[0], second[0])


def test_does_not_touch_global_state():
    # the legacy global state is what must stay untouched
    state = np.random.get_state()[1].copy()  # noqa: NPY002
    datasets.make_shapes(4, seed=1, size=32)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_float32_is_kept_and_holds_the_same_values():
    x32, y32, m32 = datasets.make_shapes(8, seed=2, size=32, dtype=np.float32)
    x64, y64, m64 = datasets.make_shapes(8, seed=2, size=32)
    assert x32.dtype == np.float32
    np.testing.assert_array_equal(x32, x64.astype(np.float32))
    np.testing.assert_array_equal(y32, y64)
    np.testing.assert_array_equal(m32, m64)


def test_labels_match_the_drawn_shapes(shapes):
    _, labels, masks = shapes
    np.testing.assert_array_equal(classify_masks(masks), labels)


@pytest.mark.parametrize("size", [48, 96])
def test_labels_match_the_drawn_shapes_at_other_sizes(size):
    _, labels, masks = datasets.make_shapes(80, seed=8, size=size)
    np.testing.assert_array_equal(classify_masks(masks), labels)


def test_mask_areas_match_the_object_sizes(shapes):
    _, labels, masks = shapes
    area = masks.sum(axis=(1, 2))
    # r in [7, 12] px; continuous areas (r² times): circle π → [154, 452], square 1.5² = 2.25
    # → [110, 324], triangle 1.718 → [84, 247], cross 8 L w - 4 w² = 2.04 → [100, 294];
    # pixel counts differ from these by less than a perimeter's worth of half-pixels.
    bounds = {0: (140, 470), 1: (95, 345), 2: (70, 265), 3: (85, 315)}
    for k, (low, high) in bounds.items():
        assert low <= area[labels == k].min() and area[labels == k].max() <= high, k
    # objects are small: about 5 % of the image on average, never more than 12 %
    assert 0.03 < area.mean() / 64**2 < 0.07
    assert area.max() / 64**2 < 0.12


@pytest.mark.parametrize("size", [32, 48, 96])
def test_object_size_scales_with_image_size(size):
    _, _, masks = datasets.make_shapes(200, seed=9, size=size)
    fraction = masks.sum(axis=(1, 2)) / size**2
    assert 0.04 < fraction.mean() < 0.065


def test_objects_are_fully_inside(shapes):
    _, _, masks = shapes
    border = masks[:, 0, :].any() or masks[:, -1, :].any()
    border = border or masks[:, :, 0].any() or masks[:, :, -1].any()
    assert not border


def test_object_pixels_are_one_flat_colour(shapes):
    images, _, masks = shapes
    for image, mask in zip(images, masks, strict=True):
        inside = image[:, mask]  # (3, area)
        centre = np.median(inside, axis=1, keepdims=True)
        assert np.abs(inside - centre).max() <= 2 * NOISE_BOUND


def test_mask_is_where_the_object_colour_is(shapes):
    # The ring of pixels just outside the mask is background: far from the object's colour.
    images, _, masks = shapes
    far_fractions = []
    for image, mask in zip(images, masks, strict=True):
        colour = np.median(image[:, mask], axis=1)
        ring = ndimage.binary_dilation(mask, iterations=2) & ~mask
        distance = np.linalg.norm(image[:, ring] - colour[:, None], axis=0)
        far_fractions.append(np.mean(distance > 0.3))
        # and on average the background around it is at least 0.4 away
        assert np.linalg.norm(image[:, ring].mean(axis=1) - colour) > 0.4
    assert np.min(far_fractions) > 0.8
    assert np.mean(far_fractions) > 0.97


def test_background_is_cluttered(shapes):
    # Backgrounds vary at low frequency (gradient, stripes, blobs, lines): the grey level of
    # 8 x 8 blocks away from the object spreads over more than noise alone would give (the
    # mean of 64 pixels of noise σ <= 0.05 varies by about 0.006).
    images, _, masks = shapes
    grey = images.mean(axis=1).reshape(-1, 8, 8, 8, 8).mean(axis=(2, 4))  # (N, 8, 8)
    touched = masks.reshape(-1, 8, 8, 8, 8).any(axis=(2, 4))
    spread = [np.ptp(g[~t]) for g, t in zip(grey, touched, strict=True)]
    assert np.median(spread) > 0.07


def test_centre_map_loses_the_pointing_game():
    _, _, masks = datasets.make_shapes(2000, seed=12345)
    i, j = np.mgrid[:64, :64]
    centre = -((i - 31.5) ** 2 + (j - 31.5) ** 2).astype(np.float64)  # peak at the centre
    maps = np.broadcast_to(centre, masks.shape).copy()
    assert pointing_game(maps, masks).mean() < 0.40
    random_maps = np.random.default_rng(0).random(masks.shape)
    assert pointing_game(random_maps, masks).mean() < 0.15


# --------------------------------------------------------------------------------------------
# make_composites


@pytest.fixture(scope="module")
def composites():
    return datasets.make_composites(200, seed=5)


def test_composites_types(composites):
    images, labels, masks = composites
    assert images.shape == (200, 3, 64, 64) and images.dtype == np.float64
    assert labels.shape == (200, 2) and labels.dtype == np.int64
    assert masks.shape == (200, 2, 64, 64) and masks.dtype == bool
    assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_array_equal(np.bincount(labels[:, 0], minlength=4), [50, 50, 50, 50])


def test_composites_hold_two_different_classes(composites):
    _, labels, masks = composites
    assert (labels[:, 0] != labels[:, 1]).all()
    for j in range(2):
        np.testing.assert_array_equal(classify_masks(masks[:, j]), labels[:, j])


def test_composite_masks_are_disjoint_with_a_gap(composites):
    _, _, masks = composites
    assert masks.any(axis=(2, 3)).all()
    for first, second in masks:
        distance_to_first = ndimage.distance_transform_edt(~first)
        assert distance_to_first[second].min() >= 2.0


def test_composite_objects_are_flat_colours(composites):
    images, _, masks = composites
    for image, pair in zip(images, masks, strict=True):
        for mask in pair:
            inside = image[:, mask]
            assert (
                np.abs(inside - np.median(inside, axis=1, keepdims=True)).max() <= 2 * NOISE_BOUND
            )


def test_make_composite_is_one_of_make_composites():
    image, labels, masks = datasets.make_composite(seed=4, size=48)
    assert image.shape == (3, 48, 48) and labels.shape == (2,) and masks.shape == (2, 48, 48)
    images, labels_n, masks_n = datasets.make_composites(1, seed=4, size=48)
    np.testing.assert_array_equal(image, images[0])
    np.testing.assert_array_equal(labels, labels_n[0])
    np.testing.assert_array_equal(masks, masks_n[0])


def test_composites_determinism():
    a = datasets.make_composites(5, seed=1, size=32)
    b = datasets.make_composites(5, seed=1, size=32)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


# --------------------------------------------------------------------------------------------
# make_biased


def cue_counts(labels, cue_masks):
    present = datasets.has_cue(cue_masks)
    return [int(present[labels == k].sum()) for k in range(4)]


def test_biased_train_cue_goes_with_the_cue_class():
    _, labels, _, cue_masks = datasets.make_biased(2000, seed=1, size=32, cue_class=2, p=0.95)
    np.testing.assert_array_equal(np.bincount(labels), [500, 500, 500, 500])
    # 0.95 * 500 = 475 on the cue class; 0.05 / 3 * 500 = 8.3 → 8 on each other class
    assert cue_counts(labels, cue_masks) == [8, 8, 475, 8]
    present = datasets.has_cue(cue_masks)
    assert abs(np.mean(labels[present] == 2) - 0.95) < 0.01


def test_biased_test_split_reverses_the_correlation():
    _, labels, _, cue_masks = datasets.make_biased(
        2000, seed=1, size=32, split="test", cue_class=2, p=0.95
    )
    # 0.05 * 500 = 25 on the cue class, 0.95 * 500 = 475 on each other class
    assert cue_counts(labels, cue_masks) == [475, 475, 25, 475]


def test_biased_extreme_p():
    _, labels, _, cue_masks = datasets.make_biased(40, seed=2, size=32, cue_class=0, p=1.0)
    assert cue_counts(labels, cue_masks) == [10, 0, 0, 0]
    _, labels, _, cue_masks = datasets.make_biased(40, seed=2, size=32, split="test", p=1.0)
    assert cue_counts(labels, cue_masks) == [0, 10, 10, 10]


@pytest.fixture(scope="module")
def biased():
    return datasets.make_biased(200, seed=3, split="test", p=0.5)


def test_biased_types(biased):
    images, labels, masks, cue_masks = biased
    assert images.shape == (200, 3, 64, 64) and images.dtype == np.float64
    assert labels.shape == (200,) and labels.dtype == np.int64
    assert masks.shape == cue_masks.shape == (200, 64, 64)
    assert masks.dtype == cue_masks.dtype == bool
    assert images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_array_equal(classify_masks(masks), labels)


def test_cue_masks_mark_the_checkerboard(biased):
    images, _, masks, cue_masks = biased
    present = datasets.has_cue(cue_masks)
    assert 50 < present.sum() < 150
    for image, mask, cue in zip(images[present], masks[present], cue_masks[present], strict=True):
        # an 8 x 8 square, 2 px from the edges, in a corner
        rows = np.flatnonzero(cue.any(axis=1))
        cols = np.flatnonzero(cue.any(axis=0))
        assert cue.sum() == 64
        assert rows.tolist() in (list(range(2, 10)), list(range(54, 62)))
        assert cols.tolist() in (list(range(2, 10)), list(range(54, 62)))
        # black and white checks of 2 px, grey in all channels
        values = image[:, cue]  # (3, 64)
        white = values.mean(axis=0) > 0.5
        assert white.sum() == 32
        assert (values[:, white] >= 1 - NOISE_BOUND).all()
        assert (values[:, ~white] <= NOISE_BOUND).all()
        top, left = rows[0], cols[0]
        assert white.reshape(8, 8)[0, :4].tolist() == [True, True, False, False]
        assert image[:, top : top + 2, left : left + 2].min() >= 1 - NOISE_BOUND
        # never on the object
        assert not (mask & cue).any()


def test_objects_stay_clear_of_the_corners(biased):
    # The cue's possible places: rows and columns 2..9 or 54..61; objects keep 2 px away
    # from the 10 x 10 corner squares that hold them (whether there is a cue or not).
    _, _, masks, _ = biased
    corners = np.zeros((64, 64), dtype=bool)
    for rows in (slice(0, 10), slice(54, 64)):
        for cols in (slice(0, 10), slice(54, 64)):
            corners[rows, cols] = True
    distance = ndimage.distance_transform_edt(~corners)
    assert distance[masks.any(axis=0)].min() >= 2.0


def test_no_cue_means_empty_cue_mask():
    _, labels, _, cue_masks = datasets.make_biased(12, seed=0, size=32, p=0.0, cue_class=1)
    # train with p = 0: never on the cue class; on 1/3 of each other class (3 images → 1)
    assert cue_counts(labels, cue_masks) == [1, 0, 1, 1]
    assert not cue_masks[~datasets.has_cue(cue_masks)].any()


def test_biased_determinism():
    a = datasets.make_biased(6, seed=9, size=32, split="test")
    b = datasets.make_biased(6, seed=9, size=32, split="test")
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


# --------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: datasets.make_shapes(0), ValueError, ["n", ">= 1", "0"]),
        (lambda: datasets.make_shapes(-3), ValueError, ["n", "-3"]),
        (lambda: datasets.make_shapes(2.5), TypeError, ["n", "2.5"]),
        (lambda: datasets.make_shapes(True), TypeError, ["n"]),
        (lambda: datasets.make_shapes(2, size=15), ValueError, ["size", ">= 16", "15"]),
        (lambda: datasets.make_shapes(2, seed="x"), TypeError, ["seed", "'x'"]),
        (lambda: datasets.make_shapes(2, seed=1.5), TypeError, ["seed"]),
        (lambda: datasets.make_shapes(2, dtype=np.int64), TypeError, ["dtype", "int64"]),
        (lambda: datasets.make_shapes(2, dtype="nonsense"), TypeError, ["dtype", "nonsense"]),
        (lambda: datasets.make_composites(0), ValueError, ["n"]),
        (lambda: datasets.make_composite(size=8), ValueError, ["size", "8"]),
        (lambda: datasets.make_biased(2, split="val"), ValueError, ["split", "'train'", "'val'"]),
        (lambda: datasets.make_biased(2, p=1.5), ValueError, ["p", "[0, 1]", "1.5"]),
        (lambda: datasets.make_biased(2, p=-0.1), ValueError, ["p", "-0.1"]),
        (lambda: datasets.make_biased(2, p="high"), TypeError, ["p"]),
        (lambda: datasets.make_biased(2, cue_class=4), ValueError, ["cue_class", "0 .. 3", "4"]),
        (lambda: datasets.make_biased(2, cue_class=-1), ValueError, ["cue_class", "-1"]),
        (lambda: datasets.make_biased(2, cue_class=1.0), TypeError, ["cue_class"]),
        (lambda: datasets.has_cue(np.zeros((2, 4, 4))), ValueError, ["cue_masks"]),
    ],
)
def test_bad_input_is_named(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)
