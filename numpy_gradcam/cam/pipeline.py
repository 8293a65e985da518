"""``explain()``: the paper's procedure, one step per module, every intermediate kept.

Data flows one way (source documents 000_9a7229aa0050670b.txt and 002_c7ec2f63d1f3de19.txt)::

    x ──forward──▶ A ──backward from y^c──▶ dy_dA ──method──▶ alpha
      ──combination──▶ L = ReLU(Σ_k alpha_k A^k) ──normalization──▶ L_norm ∈ [0, 1]
      ──upsampling──▶ heatmap (H, W) ──colormap──▶ colored ──blending──▶ overlay

Each arrow is a function of its own module in ``numpy_gradcam.cam``; no stage reaches back.
The method (``numpy_gradcam.cam.methods``) decides only the ``alpha`` step; the input-space
methods (guided backprop, deconvnet, gradient saliency, occlusion) replace the first three
arrows with a ``saliency`` ``(N, C, H, W)`` at the input, whose per-pixel map is ``L`` (already
at the input size, so the upsampling is the identity).

**Multi-layer explanations** (``layers=[...]``, for the feature-space methods; LayerCAM's
hierarchical fusion, pytorch-grad-cam's ``target_layers``): the map ``L_l`` of each layer is
computed as above, min-max normalised (unless ``normalize=False``) and upsampled to ``(H, W)``;
the maps are fused pixel by pixel, ``fusion="mean"`` (default; pytorch-grad-cam's
``aggregate_multi_layers``) or ``"max"`` (a pixel is as salient as in its most salient layer);
the fused map is ``cam`` (at the input size) and is normalised again. The per-layer
``activations``, ``gradients`` and ``weights`` differ in shape and are not kept (None); explain
one layer at a time to see them.

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

from .. import _validate
from ..nn.losses import softmax
from ..nn.sequential import Sequential
from . import combination, normalization, upsampling
from .explanation import Explanation
from .gradients import SCORES, resolve_targets, seed
from .methods import METHODS, Context, eigencam, gradcam_plusplus, scorecam
from .presets import PRESETS, Preset
from .presets.paper import DEFAULTS, color_and_blend

UPSAMPLE_MODES = ("bilinear", "nearest", "bicubic")
FUSIONS = ("mean", "max")
#: Method-specific options and their accepted values (None: validated on its own).
VARIANT_OPTIONS = {
    "gradcampp_form": gradcam_plusplus.FORMS,
    "scorecam_variant": scorecam.VARIANTS,
    "eigencam_variant": eigencam.VARIANTS,
}
METHOD_OPTIONS = ("batch_size", "patch", "stride", "fill", *VARIANT_OPTIONS)


def _takers(option: str) -> str:
    return ", ".join(repr(name) for name, m in METHODS.items() if option in m.options)


def _method_options(method: str, spec, given: dict) -> dict:
    """Check the method-specific options given (not None) and return them, normalised."""
    options = {}
    for name, value in given.items():
        if value is None:
            continue
        if name not in spec.options:
            raise ValueError(f"{name} applies to method {_takers(name)}, not to {method!r}")
        if name in VARIANT_OPTIONS:
            value = _validate.choice(value, name, VARIANT_OPTIONS[name])
        elif name == "batch_size":
            value = _validate.positive_int(value, "batch_size")
        elif name in ("patch", "stride"):
            value = _validate.pair(value, name)
        elif name == "fill":
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                    or not np.isfinite(value):
                raise ValueError(f"fill must be a finite number (the colour of the occluding "
                                 f"patch), got {_validate.describe(value)}")
            value = float(value)
        options[name] = value
    return options


def _check_applicable(method: str, spec, counterfactual: bool, score: str, layer, layers):
    """The general options that only some methods take: clear errors instead of silence."""
    if counterfactual and not spec.needs_gradient:
        raise ValueError(f"counterfactual negates the gradient ∂y^c/∂A, but method {method!r} "
                         f"uses no gradient; use a gradient method such as 'gradcam'")
    if score != "logit" and not spec.uses_score:
        raise ValueError(f"score={score!r} does not apply to method {method!r}, which does not "
                         f"differentiate or evaluate a chosen score (leave score='logit')")
    if spec.space == "input" and (layer is not None or layers is not None):
        raise ValueError(f"method {method!r} explains the input pixels; it takes no layer or "
                         f"layers (got layer={layer!r}, layers={layers!r})")
    if layer is not None and layers is not None:
        raise ValueError("give either layer (one layer) or layers (several, fused), not both")


def _layer_list(model: Sequential, layers) -> list[str]:
    if isinstance(layers, str) or not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"layers must be a non-empty list of layer names, "
                        f"got {_validate.describe(layers)}")
    return [model._layer_name(name) for name in layers]


def _feature_stage(spec, context: Context, layer: str):
    """``(A, dy_dA, alpha, L)`` of a feature-space method at ``layer``; ``L`` signed."""
    A = context.trace.outputs[layer]                                   # (N, K, h, w)
    if A.ndim != 4:
        raise ValueError(f"layer {layer!r} has no spatial layout (output shape {A.shape}); "
                         f"choose a convolutional layer")
    dy_dA = None
    if spec.needs_gradient:
        dy_dA = context.model.backward_to(context.trace, context.dy, layer)
    context = replace(context, layer=layer, A=A, dy_dA=dy_dA)
    alpha = spec.weights(context)
    if spec.cam is not None:
        L = spec.cam(context, alpha)
    else:
        L = combination.combine(alpha, A, relu=False)                  # (N, h, w)
    return A, dy_dA, alpha, L


def _resolve_preset(name: str, method: str, spec, conventions: dict, options: dict,
                    layers) -> Preset:
    """The preset named ``name``; fills ``conventions`` (explain's options that a preset fixes,
    None when not given) and the method variants it selects into ``options``, in place."""
    preset = PRESETS[_validate.choice(name, "preset", tuple(PRESETS))]
    if preset.name == "paper":
        conventions.update({k: DEFAULTS[k] if v is None else v for k, v in conventions.items()})
        return preset
    given = [k for k, v in conventions.items() if v is not None]
    if given:
        raise ValueError(f"preset {name!r} fixes {', '.join(given)} (its library's conventions: "
                         f"see numpy_gradcam.cam.presets); leave them unset, or use "
                         f"preset='paper' and choose each convention yourself")
    if method not in preset.methods:
        raise ValueError(f"preset {name!r} covers the methods {', '.join(preset.methods)}; "
                         f"got method={method!r}")
    if layers is not None:
        raise ValueError(f"preset {name!r} explains one layer; layers=[...] (several, fused) "
                         f"needs preset='paper'")
    for option, value in preset.method_options.items():
        if option not in spec.options:
            continue
        if options.get(option, value) != value:
            raise ValueError(f"preset {name!r} uses {option}={value!r}, got {options[option]!r}")
        options[option] = value
    conventions.update(DEFAULTS, relu=preset.relu)
    return preset


def explain(model: Sequential, x, target=None, layer=None, method: str = "gradcam", *,
            counterfactual: bool = False, relu: bool | None = None, score: str | None = None,
            preset: str = "paper", upsample: str | None = None, align_corners: bool | None = None,
            normalize: bool | None = None, eps: float | None = None, cmap=None,
            alpha: float | None = None, layers=None, fusion: str | None = None,
            batch_size: int | None = None, gradcampp_form: str | None = None,
            scorecam_variant: str | None = None, eigencam_variant: str | None = None,
            patch=None, stride=None, fill: float | None = None) -> Explanation:
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
    batch_size : forward passes per batch for ``scorecam``, ``ablationcam``, ``occlusion``
        (default 64).
    gradcampp_form : ``"paper"`` (default) or ``"pytorch-grad-cam"`` (``gradcam++`` only).
    scorecam_variant : ``"paper"`` (default) or ``"pytorch-grad-cam"`` (``scorecam`` only).
    eigencam_variant : ``"paper"`` (default) or ``"pytorch-grad-cam"`` (``eigencam`` only).
    patch, stride, fill : ``occlusion``'s patch size (default 8), stride (default 4) and
        colour (default 0.0).

    Returns
    -------
    :class:`~numpy_gradcam.cam.explanation.Explanation` with every stage; arrays carry the batch
    axis only if ``x`` did. Input-space methods fill ``saliency`` ``(N, C, H, W)`` and have
    ``activations``, ``gradients`` and ``weights`` None; ``guided-gradcam`` keeps Grad-CAM's
    stages and its ``saliency`` is their product with guided backprop.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a numpy_gradcam model (Sequential), "
                        f"got {_validate.describe(model)}")
    _validate.choice(method, "method", tuple(METHODS))
    spec = METHODS[method]
    options = _method_options(method, spec, dict(
        batch_size=batch_size, gradcampp_form=gradcampp_form, scorecam_variant=scorecam_variant,
        eigencam_variant=eigencam_variant, patch=patch, stride=stride, fill=fill))
    conventions = dict(relu=relu, score=score, upsample=upsample, align_corners=align_corners,
                       normalize=normalize, eps=eps, cmap=cmap, alpha=alpha)
    chosen = _resolve_preset(preset, method, spec, conventions, options, layers)
    score = _validate.choice(conventions["score"], "score", SCORES)
    upsample = _validate.choice(conventions["upsample"], "upsample", UPSAMPLE_MODES)
    counterfactual = _validate.flag(counterfactual, "counterfactual")
    relu = _validate.flag(conventions["relu"], "relu")
    align_corners = _validate.flag(conventions["align_corners"], "align_corners")
    normalize = _validate.flag(conventions["normalize"], "normalize")
    alpha = _validate.fraction(conventions["alpha"], "alpha")
    eps = _validate.nonnegative(conventions["eps"], "eps")
    cmap = conventions["cmap"]
    looks = dict(upsample=upsample, align_corners=align_corners, normalize=normalize, eps=eps,
                 cmap=cmap, alpha=alpha)                     # what the paper's rendering reads
    _check_applicable(method, spec, counterfactual, score, layer, layers)
    if fusion is not None:
        if layers is None:
            raise ValueError("fusion applies to several layers: give layers=[...] as well")
        _validate.choice(fusion, "fusion", FUSIONS)
    x4, single = _validate.images(x, "x", channels=model.in_channels)
    if x4.shape[1] != 3:
        raise ValueError(f"x must be RGB (3 channels) to be overlaid, got shape {x4.shape}")
    if x4.min() < 0 or x4.max() > 1:
        raise ValueError(f"x must hold images in [0, 1], got values in "
                         f"[{x4.min():.3g}, {x4.max():.3g}] (divide uint8 images by 255)")
    names = None if layers is None else _layer_list(model, layers)
    if names is None:
        layer = model._layer_name(model.target_layer if layer is None else layer)
    H, W = x4.shape[2:]

    # 1. forward, the targets and the seed ∂y^c/∂logits (the backward passes start from it)
    trace = model.trace(x4)
    targets = resolve_targets(target, trace.logits, model.class_names)
    dy = seed(trace.logits, targets, score)                            # (N, classes)
    dy = -dy if counterfactual else dy
    first = layer if names is None else names[0]
    context = Context(model, x4, trace, first, targets, trace.outputs[first], None, dy=dy,
                      score=score, counterfactual=counterfactual,
                      options=dict(options, upsample=upsample, align_corners=align_corners))
    A = dy_dA = alpha_k = saliency = None
    if spec.space == "input":
        # 2-3. the input-space map: saliency (N, C, H, W) and one value per pixel
        saliency = spec.saliency(context)
        L = spec.pixel_map(saliency)                                   # (N, H, W)
        L = np.maximum(L, 0) if relu else L
        L_norm = normalization.normalize(L, eps=eps) if normalize else L
        heatmap, layer = L_norm, None                                  # already (H, W)
        colored, overlay = color_and_blend(heatmap, x4, cmap, alpha)   # 6. colour, 7. blend
    elif names is None:
        # 2. the gradient at the layer and the method's weights, 3. the combination
        A, dy_dA, alpha_k, L = _feature_stage(spec, context, layer)
        L = np.maximum(L, 0) if relu else L                            # (N, h, w)
        # 4. normalisation, 5. upsampling to the input size, 6. colour, 7. blend (the preset's)
        rendering = chosen.render(L, x4, looks)
        L_norm, heatmap = rendering.cam_normalized, rendering.heatmap
        colored, overlay = rendering.colored, rendering.overlay
    else:
        # 2-5 for each layer, then the fusion of the upsampled maps
        maps = []
        for name in names:
            L_layer = _feature_stage(spec, context, name)[3]
            L_layer = np.maximum(L_layer, 0) if relu else L_layer
            L_layer = normalization.normalize(L_layer, eps=eps) if normalize else L_layer
            maps.append(upsampling.upsample(L_layer, (H, W), mode=upsample,
                                            align_corners=align_corners))
        stacked = np.stack(maps)                                       # (layers, N, H, W)
        L = stacked.mean(axis=0) if (fusion or "mean") == "mean" else stacked.max(axis=0)
        L_norm = normalization.normalize(L, eps=eps) if normalize else L
        heatmap, layer = L_norm, "+".join(names)
        colored, overlay = color_and_blend(heatmap, x4, cmap, alpha)   # 6. colour, 7. blend
        options.update(layers=tuple(names), fusion=fusion or "mean")
    if spec.space == "feature" and spec.saliency is not None:
        # guided Grad-CAM: the input-space factor times the upsampled map, in every channel
        saliency = spec.saliency(context) * heatmap[:, None]           # (N, C, H, W)

    explanation = Explanation(
        method=method, layer=layer, image=x4, logits=trace.logits,
        probabilities=softmax(trace.logits), targets=targets, activations=A, gradients=dy_dA,
        weights=alpha_k, cam=L, cam_normalized=L_norm, heatmap=heatmap, colored=colored,
        overlay=overlay, saliency=saliency, class_names=model.class_names,
        options={**(dict(looks, cmap=getattr(cmap, "name", cmap)) if chosen.name == "paper"
                    else chosen.conventions),
                 **dict(counterfactual=counterfactual, relu=relu, score=score, preset=preset),
                 **options},
    )
    return explanation.single() if single else explanation
