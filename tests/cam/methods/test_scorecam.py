import numpy as np
import pytest

import numpy_gradcam as ng

from .conftest import toy_image, toy_model

SIGMOID_QUARTER = 1 / (1 + np.exp(-0.25))                              # softmax([0, 1/4])[1]


def toy_case():
    """Masks H^0 = R = [[0, 1], [0, 0]] and H^1 = G = [[1, 1], [0, 0]] (already in [0, 1], the
    map size is the input size so Up is the identity). The logits are [mean R, mean G]:
    X ∘ H^0 → [1/4, 1/4]; X ∘ H^1 → [1/4, 1/2]; the black baseline → [0, 0]."""
    return toy_model(), toy_image([[0, 1], [0, 0]], [[1, 1], [0, 0]])


def test_paper_weights_of_a_hand_computed_toy():
    """α_k = softmax(f(X ∘ H^k))_c - softmax(f(0))_c, class 1:
    α_0 = 1/2 - 1/2 = 0, α_1 = σ(1/4) - 1/2."""
    model, x = toy_case()
    e = ng.explain(model, x, target=1, method="scorecam")
    np.testing.assert_allclose(e.weights, [0.0, SIGMOID_QUARTER - 0.5], atol=1e-15)


def test_pytorch_grad_cam_weights_of_a_hand_computed_toy():
    """α = softmax over the channels of the logits y^1: softmax([1/4, 1/2]) (its mask
    normalisation's eps 1e-8 moves the 8th digit)."""
    model, x = toy_case()
    e = ng.explain(model, x, target=1, method="scorecam", scorecam_variant="pytorch-grad-cam")
    np.testing.assert_allclose(e.weights, [1 - SIGMOID_QUARTER, SIGMOID_QUARTER], rtol=1e-7)


def test_batch_size_does_not_change_the_weights(gap_model, images):
    x, labels = images
    one = ng.explain(gap_model, x[:1], target=labels[:1], method="scorecam", batch_size=1)
    many = ng.explain(gap_model, x[:1], target=labels[:1], method="scorecam", batch_size=1000)
    np.testing.assert_allclose(one.weights, many.weights, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bad", [0, -3])
def test_batch_size_must_be_positive(gap_model, images, bad):
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        ng.explain(gap_model, images[0][0], method="scorecam", batch_size=bad)


def test_gradient_options_are_refused(gap_model, images):
    x = images[0][0]
    with pytest.raises(ValueError, match=r"counterfactual .* 'scorecam' uses no gradient"):
        ng.explain(gap_model, x, method="scorecam", counterfactual=True)
    with pytest.raises(ValueError, match="score='softmax' does not apply to method 'scorecam'"):
        ng.explain(gap_model, x, method="scorecam", score="softmax")
    with pytest.raises(ValueError, match="scorecam_variant must be one of"):
        ng.explain(gap_model, x, method="scorecam", scorecam_variant="torchcam")


@pytest.mark.parametrize("variant", ["paper", "pytorch-grad-cam"])
def test_threads_do_not_change_the_weights(gap_model, images, variant):
    """Two worker threads (one batch of masked inputs each) against the serial reference."""
    x, labels = images
    kwargs = dict(target=labels, method="scorecam", scorecam_variant=variant, batch_size=48)
    with ng.fast.threads(1):
        serial = ng.explain(gap_model, x, **kwargs)
    with ng.fast.threads(2):
        threaded = ng.explain(gap_model, x, **kwargs)
    np.testing.assert_allclose(threaded.weights, serial.weights, rtol=1e-12, atol=1e-15)
