"""What every method shares: the live feature maps, and the options a method declares."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.methods import METHODS, method_options
from numpy_gradcam.cam.methods.base import BATCH_SIZE, Method, Option, live_maps


def test_live_maps_are_the_maps_with_any_nonzero_value():
    A = np.zeros((2, 3, 4, 4))
    A[0, 1, 3, 3] = 1e-300                                      # one tiny value keeps a map live
    A[1, 0] = -2.0                                              # negative counts too
    A[1, 2, 0, 1] = 5.0
    assert live_maps(A).tolist() == [[0, 1], [1, 0], [1, 2]]
    assert live_maps(np.zeros((2, 3, 4, 4))).shape == (0, 2)


def test_options_are_checked_and_defaulted_by_the_method():
    assert method_options("occlusion", {}) == {"patch": (8, 8), "stride": (4, 4), "fill": 0.0,
                                               "batch_size": 64}
    assert method_options("occlusion", {"patch": 3, "fill": 1, "stride": None}) == {
        "patch": (3, 3), "stride": (4, 4), "fill": 1.0, "batch_size": 64}
    assert method_options("gradcam", {}) == {}
    assert method_options("scorecam", {"scorecam_variant": "pytorch-grad-cam"})[
        "scorecam_variant"] == "pytorch-grad-cam"


def test_an_option_of_another_method_names_the_methods_that_take_it():
    with pytest.raises(ValueError, match="batch_size applies to method 'scorecam', "
                                         "'ablationcam', 'occlusion', not to 'gradcam'"):
        method_options("gradcam", {"batch_size": 8})
    with pytest.raises(TypeError, match="unexpected keyword argument 'pach'"):
        ng.explain(ng.load_model("tinycnn-gap"), np.zeros((3, 64, 64)), method="occlusion",
                   pach=8)


def test_a_new_option_needs_only_its_method():
    """Adding an option edits the method's module only: explain hands it over, checked."""
    seen = {}

    def weights(context):
        seen.update(context.options)
        return context.dy_dA.mean(axis=(2, 3))

    def check(value, name):
        if value not in (1, 2):
            raise ValueError(f"{name} must be 1 or 2, got {value!r}")
        return value

    toy = Method("toy-gradcam", weights, options={"level": Option(1, check),
                                                  "batch_size": BATCH_SIZE})
    METHODS[toy.name] = toy
    try:
        model = ng.load_model("tinycnn-gap")
        x = np.full((3, 64, 64), 0.5)
        e = ng.explain(model, x, method="toy-gradcam", level=2)
        assert seen == {"level": 2, "batch_size": 64}
        assert e.options["level"] == 2 and e.options["batch_size"] == 64
        with pytest.raises(ValueError, match="level must be 1 or 2, got 3"):
            ng.explain(model, x, method="toy-gradcam", level=3)
    finally:
        del METHODS[toy.name]
