"""The repr of an :class:`~numpy_gradcam.cam.explanation.Explanation`: a short summary (method,
layer, targets, preset, each stage's shape and dtype), never the arrays themselves."""

import dataclasses

import pytest

import numpy_gradcam as ng
from numpy_gradcam.datasets import make_shapes


@pytest.fixture(scope="module")
def batch():
    """64 shapes images, each explained for its true class."""
    x, labels, _ = make_shapes(64, seed=11)
    return x, [int(c) for c in labels]


def test_a_batch_repr_is_a_few_lines_not_the_arrays(gap_model, batch):
    x, labels = batch
    e = ng.explain(gap_model, x, target=labels)
    text = repr(e)
    assert len(text.splitlines()) < 20 and len(text) < 1500
    assert text.startswith("Explanation(method='gradcam', layer='relu4',")
    assert "preset='paper'" in text
    # the first targets by name, the rest counted
    first = ", ".join(repr(name) for name in e.target_names[:4])
    assert f"targets=[{first}, ... 60 more]" in text
    assert "image=(64, 3, 64, 64) float64" in text
    assert "activations=(64, 64, 8, 8) float64" in text
    assert "weights=(64, 64) float64" in text
    assert "overlay=(64, 3, 64, 64) float64" in text
    assert "saliency=None" in text


def test_a_single_image_repr_has_a_scalar_target_and_no_batch_axis(gap_model, batch):
    x, labels = batch
    e = ng.explain(gap_model, x[:1], target=labels[:1]).single()
    name = gap_model.class_names[labels[0]]
    assert repr(e) == (
        f"Explanation(method='gradcam', layer='relu4', targets={name!r}, preset='paper',\n"
        "            image=(3, 64, 64) float64, logits=(4,) float64, probabilities=(4,) float64,\n"
        "            activations=(64, 8, 8) float64, gradients=(64, 8, 8) float64, "
        "weights=(64,) float64,\n"
        "            cam=(8, 8) float64, cam_normalized=(8, 8) float64, "
        "heatmap=(64, 64) float64,\n"
        "            colored=(3, 64, 64) float64, overlay=(3, 64, 64) float64, saliency=None)"
    )


def test_an_input_space_method_lists_its_missing_stages_as_none(gap_model, batch):
    x, labels = batch
    text = repr(ng.explain(gap_model, x[:2], target=labels[:2], method="saliency"))
    assert text.startswith("Explanation(method='saliency', layer=None,")
    for stage in ("activations", "gradients", "weights"):
        assert f"{stage}=None" in text
    assert "saliency=(2, 3, 64, 64) float64" in text
    assert "cam=(2, 64, 64) float64" in text                # already at the input's size


def test_a_library_preset_is_named_and_its_float32_stages_shown(gap_model, batch):
    x, labels = batch
    text = repr(ng.explain(gap_model, x[:2], target=labels[:2], preset="pytorch-grad-cam"))
    assert "preset='pytorch-grad-cam'" in text
    assert "heatmap=(2, 64, 64) float32" in text


def test_without_class_names_the_targets_are_indices(gap_model, batch):
    x, labels = batch
    e = dataclasses.replace(ng.explain(gap_model, x[:2], target=labels[:2]), class_names=None)
    assert f"targets={labels[:2]!r}," in repr(e)
