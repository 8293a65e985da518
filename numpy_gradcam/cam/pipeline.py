"""``explain()``: the paper's procedure, one step per module, every intermediate kept.

Data flows one way (source documents 000_9a7229aa0050670b.txt and 002_c7ec2f63d1f3de19.txt)::

    x ──forward──▶ A ──backward from y^c──▶ dy_dA ──method──▶ alpha
      ──combination──▶ L = ReLU(Σ_k alpha_k A^k) ──normalization──▶ L_norm ∈ [0, 1]
      ──upsampling──▶ heatmap (H, W) ──colormap──▶ colored ──blending──▶ overlay

Each arrow is a function of its own module in ``numpy_gradcam.cam``; no stage reaches back.
The options are checked once, before step 1 (:mod:`~numpy_gradcam.cam.options`).
The method (``numpy_gradcam.cam.methods``) decides only the ``alpha`` step; the input-space
methods (guided backprop, deconvnet, gradient saliency, occlusion) replace the first three
arrows with a ``saliency`` ``(N, C, H, W)`` at the input, whose per-pixel map is ``L`` (already
at the input size, so the upsampling is the identity).

**Multi-layer explanations** (``layers=[...]``, for the feature-space methods): the map ``L_l``
of each layer is computed as above and the maps are fused (:mod:`~numpy_gradcam.cam.fusion`); the
fused map is ``cam`` (at the input size). The per-layer ``activations``, ``gradients`` and
``weights`` differ in shape and are not kept (None); explain one layer at a time to see them.

**Speed.** The forward and backward passes run on the worker threads of
:mod:`numpy_gradcam.fast` (one chunk of the batch per thread, each chunk the reference engine's
own pass); ``numpy_gradcam.fast.set_threads(1)`` runs everything serially.

**Why the default layer is the last ReLU of the conv stack** (``model.target_layer``): Grad-CAM
needs a layer that still has a spatial layout *and* has seen enough of the image to respond to
whole objects. The last convolutional block is the best compromise between high-level semantics
and spatial detail (Selvaraju et al. §3). A deeper layer (after global pooling or in the fully
connected head) has no spatial extent left; a shallower one responds to edges and textures, not
to the class — the "using the wrong layer" pitfall of 004_eb38e0558e67099d.txt.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import fast
from ..nn.losses import softmax
from ..nn.sequential import Sequential
from . import combination
from . import fusion as fusions
from . import options as checked
from .explanation import Explanation
from .gradients import resolve_targets, seed
from .methods import Context, Method


def feature_stage(spec: Method, context: Context, layer: str):
    """Steps 2–3 at ``layer``: ``(A, dy_dA, alpha, L)``, ``L`` ``(N, h, w)`` before the ReLU."""
    A = context.trace.outputs[layer]                                   # (N, K, h, w)
    if A.ndim != 4:
        raise ValueError(f"layer {layer!r} has no spatial layout (output shape {A.shape}); "
                         f"choose a convolutional layer")
    dy_dA = context.trace.backward_to(context.dy, layer) if spec.needs_gradient else None
    context = replace(context, layer=layer, A=A, dy_dA=dy_dA)
    alpha = spec.weights(context)
    L = spec.cam(context, alpha) if spec.cam else combination.combine(alpha, A, relu=False)
    return A, dy_dA, alpha, L


def explain(model: Sequential, x, target=None, layer=None, method: str = "gradcam", *,
            layers=None, fusion: str | None = None, preset: str = "paper",
            counterfactual: bool = False, relu: bool | None = None, score: str | None = None,
            upsample: str | None = None, align_corners: bool | None = None,
            normalize: bool | None = None, eps: float | None = None, cmap=None,
            alpha: float | None = None, **method_options) -> Explanation:
    """Explain ``model``'s score for class ``target`` on ``x`` with ``method``.

    Parameters
    ----------
    model : a :class:`~numpy_gradcam.nn.Sequential` (e.g. from :func:`numpy_gradcam.load_model`).
    x : ``(C, H, W)`` one image or ``(N, C, H, W)`` a batch, float32/float64 RGB in [0, 1].
    target : None (each image's predicted class), a class index or name, or a list (one per image).
    layer : the layer whose activations ``A`` are explained; default ``model.target_layer``.
        Not for the input-space methods.
    method : one of ``numpy_gradcam.cam.methods.METHODS``: ``"gradcam"`` (default),
        ``"gradcam++"``, ``"xgradcam"``, ``"hirescam"``, ``"layercam"``, ``"scorecam"``,
        ``"ablationcam"``, ``"eigencam"``, ``"cam"``, ``"guided-backprop"``, ``"deconvnet"``,
        ``"saliency"``, ``"guided-gradcam"``, ``"occlusion"``.
    counterfactual : use ``-∂y^c/∂A``: regions whose removal would *raise* ``y^c`` (gradient
        methods only).
    relu : apply the ReLU of Eq. 2 (default ``True``; ``False`` keeps the signed map). This and
        the options down to ``alpha`` below default to None: the preset's value (the paper's is
        given for each).
    score : ``"logit"`` (``y^c`` before the softmax, the paper's) or ``"softmax"``; not for
        ``cam``, ``eigencam`` and ``scorecam`` (whose variant fixes its score).
    preset : ``"paper"`` (default; the paper's conventions, each option below applies) or a
        library whose conventions are reproduced exactly: ``"pytorch-grad-cam"``, ``"captum"``,
        ``"torchcam"``, ``"tf-keras-vis"``, ``"keras"`` (:mod:`numpy_gradcam.cam.presets`). A
        library preset fixes ``relu``, ``score``, ``upsample``, ``align_corners``,
        ``normalize``, ``eps``, ``cmap`` and ``alpha`` (leave them None), covers the methods it
        lists and one layer; stages its library lacks are None.
    upsample : ``"bilinear"`` (default), ``"nearest"`` or ``"bicubic"``.
    align_corners : ``False`` (half-pixel centres, default) or ``True`` (corner-aligned).
    normalize : min-max normalise ``L`` before upsampling (the source documents' order); with False
        the raw map is upsampled and clipped to [0, 1] only for colouring.
    eps : the normalisation's epsilon (default ``1e-8``): a map whose range is ``<= eps``
        normalises to zeros.
    cmap : a matplotlib colormap name (``"jet"`` default) or object.
    alpha : the overlay's weight of the coloured map, ``a`` in ``a·colored + (1 − a)·image``
        (default 0.4).
    layers, fusion : several layers fused into one map, ``fusion="mean"`` (default) or ``"max"``
        (see the module docstring); feature-space methods only, instead of ``layer``.
    **method_options : the method's own options, declared and checked by its module
        (``METHODS[method].options``): ``batch_size`` (forward passes per batch, default 64:
        ``scorecam``, ``ablationcam``, ``occlusion``), ``gradcampp_form`` (``gradcam++``),
        ``scorecam_variant`` (``scorecam``), ``eigencam_variant`` (``eigencam``),
        ``ablationcam_variant`` (``ablationcam``), each ``"paper"`` (default) or
        ``"pytorch-grad-cam"``; ``patch``, ``stride``, ``fill``
        (``occlusion``: patch size 8, stride 4, colour 0.0).

    Returns
    -------
    :class:`~numpy_gradcam.cam.explanation.Explanation` with every stage; arrays carry the batch
    axis only if ``x`` did. Input-space methods fill ``saliency`` ``(N, C, H, W)`` and have
    ``activations``, ``gradients`` and ``weights`` None; ``guided-gradcam`` keeps Grad-CAM's
    stages and its ``saliency`` is their product with guided backprop.
    """
    o = checked.resolve(model, x, method, layer, layers, fusion, preset, counterfactual, dict(
        relu=relu, score=score, upsample=upsample, align_corners=align_corners,
        normalize=normalize, eps=eps, cmap=cmap, alpha=alpha), method_options)
    spec, x = o.method, o.x                                            # x: (N, 3, H, W)

    # 1. the forward pass, the targets c, and the seed ∂y^c/∂logits (negated: counterfactual)
    trace = fast.trace(model, x, start=o.start)
    targets = resolve_targets(target, trace.logits, model.class_names)
    dy = seed(trace.logits, targets, o.score)                          # (N, classes)
    dy = -dy if o.counterfactual else dy
    context = Context(model, x, trace, None, targets, None, None, dy=dy, score=o.score,
                      counterfactual=o.counterfactual,
                      align_corners=o.looks["align_corners"], options=o.method_options)
    A = dy_dA = alpha_k = saliency = None
    if spec.space == "input":
        # 2–3. an input-space method: the saliency at the pixels, its map L (N, H, W)
        saliency = spec.saliency(context)                              # (N, C, H, W)
        L = spec.pixel_map(saliency)
    elif len(o.layers) == 1:
        # 2. ∂y^c/∂A at the layer, the method's weights alpha; 3. L = Σ_k alpha_k A^k
        A, dy_dA, alpha_k, L = feature_stage(spec, context, o.layers[0])
    else:
        # 2–3 at each layer, each map made comparable and fused at the input size
        maps = [feature_stage(spec, context, name)[3] for name in o.layers]
        L = fusions.fuse(maps, x.shape[2:], o.fusion, o.relu, o.looks)  # (N, H, W)
    L = np.maximum(L, 0) if o.relu else L                              # Eq. 2's ReLU

    # 4. normalise, 5. upsample to (H, W), 6. colour, 7. blend: as the preset renders them
    pictures = o.preset.render(L, x, o.looks)
    if spec.space == "feature" and spec.saliency is not None:
        # guided Grad-CAM: the input-space factor times the upsampled map, in every channel
        saliency = spec.saliency(context) * pictures.heatmap[:, None]  # (N, C, H, W)

    explanation = Explanation(
        method=method, layer="+".join(o.layers) or None, image=x, logits=trace.logits,
        probabilities=softmax(trace.logits), targets=targets, activations=A, gradients=dy_dA,
        weights=alpha_k, cam=L, cam_normalized=pictures.cam_normalized,
        heatmap=pictures.heatmap, colored=pictures.colored, overlay=pictures.overlay,
        saliency=saliency, class_names=model.class_names, options=o.record())
    return explanation.single() if o.single else explanation
