import numpy as np

import numpy_gradcam as ng


def test_is_guided_backprop_times_the_gradcam_heatmap(fc_model, images):
    """The serial reference traces every layer for both: the same Grad-CAM bits. By default
    Grad-CAM alone runs the layers below A compiled, so the two agree to rounding."""
    x, labels = images
    for threads in (1, None):
        with ng.fast.threads(threads):
            gg = ng.explain(fc_model, x, target=labels, method="guided-gradcam")
            guided = ng.explain(fc_model, x, target=labels, method="guided-backprop").saliency
            grad = ng.explain(fc_model, x, target=labels, method="gradcam")
        if threads == 1:
            np.testing.assert_array_equal(gg.heatmap, grad.heatmap)
        np.testing.assert_allclose(gg.heatmap, grad.heatmap, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(gg.saliency, guided * gg.heatmap[:, None], rtol=1e-15)


def test_is_zero_wherever_either_factor_is_zero(gap_model, images):
    x, labels = images
    gg = ng.explain(gap_model, x, target=labels, method="guided-gradcam")
    guided = ng.explain(gap_model, x, target=labels, method="guided-backprop").saliency
    heat_zero = np.broadcast_to(gg.heatmap[:, None] == 0, guided.shape)
    guided_zero = guided == 0
    assert heat_zero.any() and guided_zero.any() and (~(heat_zero | guided_zero)).any()
    assert (gg.saliency[heat_zero | guided_zero] == 0).all()
    assert (gg.saliency[~(heat_zero | guided_zero)] != 0).all()


def test_without_normalisation_the_raw_map_multiplies(gap_model, images):
    x, labels = images
    gg = ng.explain(gap_model, x, target=labels, method="guided-gradcam", normalize=False)
    guided = ng.explain(gap_model, x, target=labels, method="guided-backprop").saliency
    np.testing.assert_allclose(gg.saliency, guided * gg.heatmap[:, None], rtol=1e-15)
    assert gg.heatmap.max() != 1.0
