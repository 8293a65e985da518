"""Unknown names, out-of-range targets and invalid options through the Python API."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import datasets

from .conftest import assert_good_explanation

EXPLAIN_REFUSED = {
    # names
    "unknown-layer": (dict(layer="conv9"), ValueError,
                      r"layer must be one of conv1, .* got 'conv9'"),
    "layer-as-list": (dict(layer=["relu4"]), ValueError,
                      r"layer must be one of .*\['relu4'\] \(list\)"),
    "layer-as-dict": (dict(layer={}), ValueError, r"layer must be one of .*got \{\} \(dict\)"),
    "layer-without-space": (dict(layer="fc"), ValueError, r"layer 'fc' has no spatial layout"),
    "layers-with-a-list-inside": (dict(layers=["relu4", ["x"]]), ValueError,
                                  r"layer must be one of .*\['x'\] \(list\)"),
    "unknown-method": (dict(method="magic"), ValueError,
                       r"method must be one of 'gradcam',.*'magic'"),
    "method-as-list": (dict(method=["gradcam"]), ValueError, r"method must be one of"),
    "unknown-preset": (dict(preset="no-such-preset"), ValueError, r"preset must be one of 'paper'"),
    "unknown-class-name": (dict(target="dog"), ValueError,
                           r"target 'dog' is not a class name; known: circle, square"),
    "empty-class-name": (dict(target=""), ValueError, r"target '' is not a class name"),
    # targets
    "target-too-large": (dict(target=4), ValueError,
                         r"target must be a class index in \[0, 3\], got 4"),
    "target-negative": (dict(target=-1), ValueError, r"class index in \[0, 3\], got -1"),
    "target-huge": (dict(target=2**63 - 1), ValueError, r"class index in \[0, 3\]"),
    "target-float": (dict(target=1.0), TypeError,
                     r"target must be an int, a class name or None, got 1.0"),
    "target-bool": (dict(target=True), TypeError, r"target must be an int.*got True \(bool\)"),
    "target-list-too-long": (dict(target=[0, 1]), ValueError,
                             r"a list of 1 \(one per image\), got 2"),
    "target-empty-list": (dict(target=[]), ValueError, r"got 0 targets"),
    # overlay options
    "alpha-nan": (dict(alpha=float("nan")), ValueError, r"alpha must be in \[0, 1\], got nan"),
    "alpha-negative": (dict(alpha=-0.1), ValueError, r"alpha must be in \[0, 1\], got -0.1"),
    "alpha-above-1": (dict(alpha=1.5), ValueError, r"alpha must be in \[0, 1\], got 1.5"),
    "alpha-str": (dict(alpha="0.4"), TypeError, r"alpha must be a number in \[0, 1\], got '0.4'"),
    "alpha-bool": (dict(alpha=True), TypeError, r"alpha must be a number"),
    "cmap-unknown": (dict(cmap="jett"), ValueError,
                     r"cmap must be a matplotlib colormap name, got 'jett'. Did you mean 'jet'"),
    "cmap-int": (dict(cmap=3), TypeError, r"cmap must be .*got 3 \(int\)"),
    "upsample-unknown": (dict(upsample="area"), ValueError,
                         r"upsample must be one of 'bilinear'.*'area'"),
    "eps-nan": (dict(eps=float("nan")), ValueError, r"eps must be a finite number >= 0, got nan"),
    "eps-negative": (dict(eps=-1.0), ValueError, r"eps must be a finite number >= 0, got -1\.0"),
    "eps-inf": (dict(eps=float("inf")), ValueError, r"eps must be a finite number >= 0, got inf"),
    "flag-not-bool": (dict(counterfactual="yes"), TypeError,
                      r"counterfactual must be True or False, got 'yes'"),
    "score-unknown": (dict(score="prob"), ValueError, r"score must be one of 'logit', 'softmax'"),
    "unknown-keyword": (dict(colour="red"), TypeError, r"unexpected keyword argument 'colour'"),
    # sizes and method options
    "patch-zero": (dict(method="occlusion", patch=0), ValueError,
                   r"patch must be an integer >= 1, got 0"),
    "patch-bigger-than-image": (dict(method="occlusion", patch=100), ValueError,
                                r"patch must fit in the image of size \(H, W\) = \(64, 64\)"),
    "patch-three-sides": (dict(method="occlusion", patch=(2, 2, 2)), ValueError,
                          r"patch must be an int or a pair \(h, w\)"),
    "stride-zero": (dict(method="occlusion", stride=0), ValueError,
                    r"stride must be an integer >= 1, got 0"),
    "fill-nan": (dict(method="occlusion", fill=float("nan")), ValueError,
                 r"fill must be a finite number"),
    "batch-size-zero": (dict(method="scorecam", batch_size=0), ValueError,
                        r"batch_size must be an integer >= 1, got 0"),
    "option-of-another-method": (dict(patch=8), ValueError,
                                 r"patch applies to method 'occlusion', not to 'gradcam'"),
    "fusion-without-layers": (dict(fusion="max"), ValueError, r"fusion applies to several layers"),
    "counterfactual-without-gradient": (dict(method="eigencam", counterfactual=True), ValueError,
                                        r"method 'eigencam' uses no gradient"),
    "layer-for-input-space-method": (dict(method="saliency", layer="relu3"), ValueError,
                                     r"method 'saliency' explains the input pixels; "
                                     r"it takes no layer"),
}


@pytest.mark.parametrize("case", EXPLAIN_REFUSED)
def test_bad_options_are_refused_with_a_message_naming_them(model, image, case):
    options, error, match = EXPLAIN_REFUSED[case]
    with pytest.raises(error, match=match):
        ng.explain(model, image, **options)


@pytest.mark.parametrize("eps", [np.float32(1e-8), np.int64(0)])
def test_numpy_scalar_eps_is_a_number(model, image, eps):
    assert_good_explanation(ng.explain(model, image, eps=eps), image.shape)


def test_cam_on_a_model_without_a_gap_head_is_refused():
    with pytest.raises(ValueError, match=r"method 'cam' needs a global-average-pool → linear head"):
        ng.explain(ng.load_model("tinycnn-fc"), np.zeros((3, 64, 64)), method="cam")


def test_a_0d_array_target_means_that_class(model, image):
    e = ng.explain(model, image, target=np.array(2))
    assert int(e.targets) == 2
    assert_good_explanation(e, image.shape)


@pytest.mark.parametrize("name, error, match", [
    ("resnet50", ValueError,
     r"name_or_path must be one of the shipped models 'tinycnn-gap', 'tinycnn-fc', "
     r"'tinycnn-biased' or the path of a weights file .*got 'resnet50', which is neither"),
    ("", ValueError, r"name_or_path must be one of .*got '' \(str\)"),
    (None, ValueError, r"name_or_path must be one of .*got None"),
    (["tinycnn-gap"], ValueError, r"name_or_path must be one of .*\(list\)"),
])
def test_unknown_model_names_are_refused(name, error, match):
    with pytest.raises(error, match=match):
        ng.load_model(name)


def test_explain_wants_a_model(image):
    with pytest.raises(TypeError, match=r"model must be a numpy_gradcam model \(nn\.Module: a "
                                         r"Sequential or an architecture\), got 'tinycnn-gap'"):
        ng.explain("tinycnn-gap", image)


@pytest.mark.parametrize("call, error, match", [
    (lambda m, x: ng.gradients(m, x, target=9), ValueError, r"class index in \[0, 3\], got 9"),
    (lambda m, x: ng.gradients(m, x, layer="nope"), ValueError, r"layer must be one of .*'nope'"),
    (lambda m, x: ng.gradients(m, x[None, :1]), ValueError, r"x must have 3 channel\(s\)"),
    (lambda m, x: m.forward(x[None], keep=["relu4", "nope"]), ValueError, r"layer must be one of"),
])
def test_gradients_and_forward_check_their_arguments(model, image, call, error, match):
    with pytest.raises(error, match=match):
        call(model, image)


@pytest.mark.parametrize("call, error, match", [
    (lambda: datasets.make_shapes(0), ValueError, r"n must be an integer >= 1, got 0"),
    (lambda: datasets.make_shapes(-3), ValueError, r"n must be an integer >= 1, got -3"),
    (lambda: datasets.make_shapes(2.5), TypeError, r"n must be an integer >= 1, got 2.5"),
    (lambda: datasets.make_shapes(2, size=4), ValueError, r"size must be an integer >= 16, got 4"),
    (lambda: datasets.make_shapes(2, seed="zero"), TypeError,
     r"seed must be a numpy.random.Generator"),
])
def test_dataset_sizes_are_checked(call, error, match):
    with pytest.raises(error, match=match):
        call()
