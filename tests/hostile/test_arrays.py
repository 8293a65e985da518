"""Hostile arrays through ``explain``: wrong dtype, ndim, channels, sizes, values; odd images."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import nn

from .conftest import assert_good_explanation

RNG = np.random.default_rng(0)
GOOD = RNG.random((3, 64, 64))


def _with(value, index=(0, 10, 10)):
    x = GOOD.copy()
    x[index] = value
    return x


REFUSED = {
    # dtype: refused, never cast (a uint8 image in [0, 255] is the classic mistake)
    "int64": (GOOD.astype(np.int64), TypeError, r"x must have dtype float32 or float64, got int64"),
    "uint8": ((GOOD * 255).astype(np.uint8), TypeError, r"got uint8 \(convert images with"),
    "bool": (GOOD > 0.5, TypeError, r"x must have dtype float32 or float64, got bool"),
    "complex": (GOOD.astype(complex), TypeError, r"got complex128"),
    "object": (GOOD.astype(object), TypeError, r"got object"),
    "float16": (GOOD.astype(np.float16), TypeError, r"got float16"),
    "str": ("image.png", TypeError, r"x must be a NumPy array, got 'image.png' \(str\)"),
    "none": (None, TypeError, r"x must be a NumPy array, got None"),
    "ragged-list": ([[[0.0, 1.0], [0.0]]], ValueError, r"x must be a rectangular nested list"),
    # ndim and layout
    "1-d": (GOOD.ravel(), ValueError, r"x must have 3 or 4 dimensions, got shape \(12288,\)"),
    "2-d": (GOOD[0], ValueError, r"x must have 3 or 4 dimensions, got shape \(64, 64\)"),
    "5-d": (GOOD[None, None], ValueError, r"got shape \(1, 1, 3, 64, 64\)"),
    "grey-1-channel": (GOOD[:1], ValueError, r"x must have 3 channel\(s\) in axis 1"),
    "rgba-4-channels": (np.concatenate([GOOD, GOOD[:1]]), ValueError, r"got shape \(1, 4, 64"),
    "hwc-layout": (GOOD.transpose(1, 2, 0), ValueError, r"3 channel\(s\).*\(1, 64, 64, 3\)"),
    # empty
    "empty": (np.zeros(0), ValueError, r"x must have 3 or 4 dimensions, got shape \(0,\)"),
    "batch-of-zero": (np.zeros((0, 3, 64, 64)), ValueError, r"x must hold at least one image"),
    "zero-height": (np.zeros((3, 0, 64)), ValueError, r"non-empty height and width"),
    # values
    "nan": (_with(np.nan), ValueError, r"x must be finite, got 1 NaN or Inf value\(s\)"),
    "inf": (_with(np.inf), ValueError, r"x must be finite"),
    "-inf": (_with(-np.inf), ValueError, r"x must be finite"),
    "all-nan": (np.full((3, 64, 64), np.nan), ValueError, r"got 12288 NaN or Inf"),
    "0-255-range": (GOOD * 255, ValueError, r"x must hold images in \[0, 1\].*divide uint8"),
    "negative": (GOOD - 0.5, ValueError, r"x must hold images in \[0, 1\], got values in \[-0.5"),
    # sizes the model cannot take (3 max-pools: H, W >= 8)
    "1x1": (GOOD[:, :1, :1], ValueError,
            r"x of shape \(1, 3, 1, 1\) cannot go through layer 'pool1'"),
    "7x7": (GOOD[:, :7, :7], ValueError, r"x of shape \(1, 3, 7, 7\) cannot go through layer"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_bad_arrays_are_refused_with_a_message_naming_x(model, case):
    x, error, match = REFUSED[case]
    before = x.copy() if isinstance(x, np.ndarray) else None
    with pytest.raises(error, match=match):
        ng.explain(model, x)
    if before is not None:
        np.testing.assert_array_equal(x, before)             # the caller's array is untouched


ACCEPTED = {
    "all-black": np.zeros((3, 64, 64)),
    "all-white": np.ones((3, 64, 64)),
    "constant-grey": np.full((3, 64, 64), 0.5),
    "smallest-8x8": GOOD[:, :8, :8].copy(),                  # relu4 is 1x1: a constant map
    "non-square-8x40": GOOD[:, :8, :40].copy(),
    "float32": GOOD.astype(np.float32),
    "batch-with-constants": np.stack([GOOD, np.zeros_like(GOOD), np.ones_like(GOOD)]),
    "fortran-order": np.asfortranarray(GOOD),
    "strided-view": RNG.random((3, 128, 128))[:, ::2, ::2],
    "nested-list": GOOD[:, :8, :8].tolist(),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_odd_but_valid_images_give_finite_maps(model, case):
    x = ACCEPTED[case]
    shape = np.shape(x)
    before = np.array(x, copy=True)
    e = ng.explain(model, x)
    assert_good_explanation(e, shape)
    np.testing.assert_array_equal(np.asarray(x), before)
    if case == "float32":
        assert e.overlay.dtype == np.float32                   # kept, not promoted


def test_a_read_only_image_is_explained_and_left_alone(model):
    x = GOOD.copy()
    x.setflags(write=False)
    assert_good_explanation(ng.explain(model, x, method="gradcam++"), x.shape)


@pytest.mark.parametrize("method", ["gradcam", "hirescam", "layercam", "xgradcam"])
def test_constant_map_normalises_to_zeros_not_nan(model, method):
    e = ng.explain(model, GOOD[:, :8, :8].copy(), method=method)
    assert e.cam.shape == (1, 1)
    assert (e.cam_normalized == 0).all() and (e.heatmap == 0).all()


@pytest.fixture(scope="module")
def negative_model():
    """A model whose class 0 has an all-negative map: positive A, negative head weights.

    ``A = relu(conv(x)) > 0`` everywhere (positive kernel and bias, x >= 0) and
    ``y^0 = -GAP(A).sum()``, so ``dy_dA < 0``, ``alpha < 0`` and ``L = Σ alpha_k A^k < 0``.
    """
    conv, fc = nn.Conv2d(3, 2, 3, padding=1, rng=0), nn.Linear(2, 2, rng=0)
    model = nn.Sequential([("conv", conv), ("relu", nn.ReLU()), ("gap", nn.GlobalAvgPool2d()),
                           ("fc", fc)], class_names=["minus", "plus"], target_layer="relu")
    model.load_state_dict({"conv.weight": np.full((2, 3, 3, 3), 0.1), "conv.bias": np.full(2, 0.1),
                           "fc.weight": np.array([[-1.0, -1.0], [1.0, 1.0]]),
                           "fc.bias": np.zeros(2)})
    return model


def test_an_all_negative_cam_becomes_zeros_never_nan(negative_model):
    x = RNG.random((3, 16, 16))
    signed = ng.explain(negative_model, x, target="minus", relu=False)
    assert signed.cam.max() < 0                               # the map is negative everywhere
    e = ng.explain(negative_model, x, target="minus")
    assert_good_explanation(e, x.shape)
    assert (e.cam == 0).all() and (e.cam_normalized == 0).all() and (e.heatmap == 0).all()


def test_the_counterfactual_of_a_confident_class_is_finite(model, image):
    e = ng.explain(model, image, counterfactual=True)
    assert_good_explanation(e, image.shape)


# --------------------------------------------------------------------------------------------
# Round two (issue 18, also noticed): decided and pinned


def test_a_value_just_above_one_is_printed_as_it_is(model):
    """``:g`` printed 1.0000001 as 1: "values in [..., 1]" for an image refused for being > 1."""
    with pytest.raises(ValueError, match=r"x must hold images in \[0, 1\], got values in "
                                         r"\[[0-9.e-]+, 1\.0000001\]"):
        ng.explain(model, _with(1.0000001))
    with pytest.raises(ValueError, match=r"got values in \[1\.0000001, 1\.0000001\]"):
        ng.io.save_png("never.png", np.full((4, 4), 1.0000001))
    with pytest.raises(ValueError, match=r"got values in \[-1e-20, "):
        ng.cam.blending.blend(_with(-1e-20)[None], GOOD[None], 0.5)


@pytest.mark.parametrize("dtype", [">f4", ">f8"])
def test_a_big_endian_image_gives_the_native_images_maps(model, dtype):
    """A byte swap changes no value: accepted (it was refused as "dtype >f8")."""
    swapped = GOOD.astype(dtype)
    assert not swapped.dtype.isnative
    native = GOOD.astype(np.dtype(dtype).newbyteorder("="))
    theirs, ours = ng.explain(model, swapped), ng.explain(model, native)
    for name, value in ours.arrays().items():
        assert theirs.arrays()[name].dtype == value.dtype
        np.testing.assert_array_equal(theirs.arrays()[name], value, err_msg=name)
    assert swapped.dtype == np.dtype(dtype), "the caller's array is left as it was"


def test_a_masked_array_is_refused_since_its_mask_would_be_ignored(model):
    masked = np.ma.masked_array(GOOD, mask=GOOD > 0.5)
    with pytest.raises(TypeError, match=r"x is a masked array: its mask would be ignored; fill "
                                        r"the masked values first, e\.g\. x\.filled\(0\.0\)"):
        ng.explain(model, masked)
