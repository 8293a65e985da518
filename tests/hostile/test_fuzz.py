"""Hypothesis drives ``explain`` with arbitrary arrays and options, and ``load_image`` with
damaged files: each call either raises ``ValueError``/``TypeError`` with a message of our own,
or returns finite stages with the documented shapes and ranges — and never changes its input."""

import io
import warnings

import numpy as np
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image

import numpy_gradcam as ng
from numpy_gradcam.cam.methods import METHODS
from numpy_gradcam.cam.upsampling import MODES as UPSAMPLE_MODES
from numpy_gradcam.io import load_image

from .conftest import assert_good_explanation

MODELS = {name: ng.load_model(name) for name in ("tinycnn-gap", "tinycnn-fc")}
DTYPES = (np.float64, np.float32, np.float16, np.int64, np.uint8, np.bool_, np.complex128, object)
#: What a message of ours never looks like: Python's or NumPy's own words from deep inside.
FOREIGN = ("unhashable type", "could not be broadcast", "0-d array", "inhomogeneous",
           "index out of bounds", "object is not iterable", "not supported between")


@st.composite
def arrays(draw):
    """Mostly plausible images (3 channels, 8-12 pixels a side, values in [0, 1]); otherwise
    any shape, dtype and values, NaN and Inf included."""
    if draw(st.integers(0, 5)):
        batch = draw(st.sampled_from([(), (1,), (2,)]))
        shape = (*batch, 3, draw(st.integers(8, 12)), draw(st.integers(8, 12)))
    else:
        shape = tuple(draw(st.lists(st.integers(0, 9), max_size=5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(usually(st.sampled_from(["unit", "constant"]), st.just("wide")))
    if kind == "unit":
        x = rng.random(shape)
    elif kind == "constant":
        x = np.full(shape, draw(st.sampled_from([0.0, 1.0, 0.5, 1e-300])))
    else:
        x = rng.uniform(-2.0, 300.0, shape)
    if x.size and draw(st.integers(0, 9)) == 0:
        x.flat[draw(st.integers(0, x.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    dtype = draw(usually(st.sampled_from([np.float64, np.float32]), st.sampled_from(DTYPES)))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x.astype(dtype)


def usually(good, hostile, odds=10):
    """``good`` most of the time, ``hostile`` once in ``odds`` draws (so that some examples get
    all the way through and their results are checked). Hypothesis draws the bounds of a range
    more often than the inside: the hostile branch is an inside value."""
    return st.integers(0, odds).flatmap(lambda k: hostile if k == odds // 2 else good)


@st.composite
def options(draw):
    method = draw(st.sampled_from(sorted(METHODS)))
    spec = METHODS[method]
    chosen = dict(
        method=method,
        target=draw(usually(st.one_of(st.none(), st.integers(0, 3), st.just("circle")),
                            st.one_of(st.integers(-2, 5), st.just("dog"), st.just(1.0),
                                      st.lists(st.integers(0, 3), max_size=3)))),
        alpha=draw(usually(st.floats(0, 1), st.one_of(st.floats(allow_nan=True), st.just("0.4")))),
        cmap=draw(usually(st.sampled_from(["jet", "viridis", "gray"]),
                          st.sampled_from(["nope", None]))),
        upsample=draw(usually(st.sampled_from(UPSAMPLE_MODES), st.just("area"))),
        counterfactual=draw(usually(st.just(False), st.booleans()) if not spec.needs_gradient
                            else st.booleans()),
        relu=draw(st.booleans()),
        normalize=draw(st.booleans()),
        align_corners=draw(st.booleans()),
        score=draw(st.sampled_from(["logit", "softmax"]) if spec.uses_score
                   else usually(st.just("logit"), st.just("softmax"))),
        eps=draw(usually(st.sampled_from([1e-8, 0.0, 1e-3]), st.sampled_from([-1.0, np.nan]))),
    )
    if method == "occlusion":
        chosen.update(patch=draw(usually(st.integers(1, 8), st.integers(-1, 13))),
                      stride=draw(usually(st.integers(1, 6), st.integers(0, 6))))
    if draw(st.integers(0, 9)) == 0:
        chosen["layer"] = draw(st.sampled_from(["relu3", "conv1", "fc", "nope"]))
    return chosen


@settings(max_examples=200)
@given(x=arrays(), chosen=options(),
       model=usually(st.just("tinycnn-gap"), st.just("tinycnn-fc"), odds=5))
def test_explain_answers_clearly_or_correctly(x, chosen, model):
    before = x.copy()
    try:
        with np.errstate(all="raise"):             # an overflow or a 0/0 on the way is a defect
            e = ng.explain(MODELS[model], x, **chosen)
    except (ValueError, TypeError) as error:
        message = str(error)
        event(f"refused: {type(error).__name__}: {message[:40]}")
        assert len(message) > 15 and not any(f in message for f in FOREIGN), message
    else:
        event(f"explained with {chosen['method']}")
        assert x.dtype in (np.float32, np.float64)
        assert_good_explanation(e, x.shape)
    np.testing.assert_array_equal(x, before)


def _encoded(format):
    picture = Image.fromarray(np.random.default_rng(5).integers(0, 256, (12, 9, 3), np.uint8))
    buffer = io.BytesIO()
    picture.save(buffer, format=format)
    return buffer.getvalue()


ENCODED = {"PNG": _encoded("PNG"), "JPEG": _encoded("JPEG"), "GIF": _encoded("GIF")}


@given(format=st.sampled_from(sorted(ENCODED)), cut=st.integers(0, 10_000),
       damage=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4))
def test_load_image_of_damaged_bytes_answers_clearly_or_correctly(tmp_path_factory, format, cut,
                                                                  damage):
    data = bytearray(ENCODED[format])
    for position, value in damage:
        data[position % len(data)] = value
    data = bytes(data[: max(cut, 1)] if cut < len(data) else data)
    path = tmp_path_factory.mktemp("fuzz") / f"damaged.{format.lower()}"
    path.write_bytes(data)
    try:
        x = load_image(path)
    except ValueError as error:
        assert "cannot be read as an image" in str(error)
    else:
        assert x.ndim == 3 and x.shape[0] == 3 and np.isfinite(x).all()
        assert x.min() >= 0 and x.max() <= 1
    assert path.read_bytes() == data
