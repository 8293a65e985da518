"""``explain()``'s options, checked once, into one :class:`Options`.

Three kinds, each checked where it belongs and gathered here:

- the **method** and its own options (declared by the method:
  :func:`~numpy_gradcam.cam.methods.method_options`);
- the **conventions** of the rendering and of the score (``relu``, ``score``, ``upsample``,
  ``align_corners``, ``normalize``, ``eps``, ``cmap``, ``alpha``): the ``paper`` preset takes
  each from the caller or its default (:data:`~numpy_gradcam.cam.presets.paper.DEFAULTS`);
  another library's preset fixes them all (and may select a method's variant);
- the **inputs**: the images ``x`` ``(N, 3, H, W)`` in [0, 1] and the layer (or layers) explained.

Every error names the option, what was given, and what is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate
from ..nn.module import Module
from .gradients import SCORES
from .methods import METHODS, Method, method_options
from .presets import PRESETS, Preset
from .presets.paper import DEFAULTS
from .upsampling import MODES

FUSIONS = ("mean", "max")


@dataclass(frozen=True)
class Options:
    """Everything ``explain`` was asked, checked.

    ``x`` ``(N, 3, H, W)`` (``single``: one image ``(3, H, W)`` was given); ``layers``: the layer
    explained, several to fuse (``fusion``), or none for an input-space method; ``start``: the
    first layer the forward pass must keep with every later cache (None: every layer, for the
    methods that differentiate down to the input; :func:`numpy_gradcam.fast.trace`); ``looks``: the
    rendering conventions, as the ``paper`` preset's ``render`` reads them; ``method_options``:
    the method's own options, defaults filled in.
    """

    method: Method
    preset: Preset
    x: np.ndarray
    single: bool
    layers: tuple[str, ...]
    start: str | None
    fusion: str | None
    counterfactual: bool
    relu: bool
    score: str
    looks: dict
    method_options: dict

    def record(self) -> dict:
        """What ``Explanation.options`` keeps: the preset's conventions (the paper's, each with
        its value), the score's, and the method's own options."""
        if self.preset.name == "paper":
            conventions = dict(self.looks, cmap=getattr(self.looks["cmap"], "name",
                                                        self.looks["cmap"]))
        else:
            conventions = dict(self.preset.conventions)
        fused = dict(layers=self.layers, fusion=self.fusion) if self.fusion else {}
        return {**conventions, "counterfactual": self.counterfactual, "relu": self.relu,
                "score": self.score, "preset": self.preset.name, **self.method_options, **fused}


def _preset(name, method: Method, conventions: dict, given: dict, layers) -> Preset:
    """The preset named ``name``, its conventions filled into ``conventions`` (None where not
    given) and the method variants it selects into ``given``, in place."""
    preset = PRESETS[_validate.choice(name, "preset", tuple(PRESETS))]
    if preset.name == "paper":
        conventions.update({k: DEFAULTS[k] if v is None else v for k, v in conventions.items()})
        return preset
    fixed = [k for k, v in conventions.items() if v is not None]
    if fixed:
        raise ValueError(f"preset {name!r} fixes {', '.join(fixed)} (its library's conventions: "
                         f"see numpy_gradcam.cam.presets); leave them unset, or use "
                         f"preset='paper' and choose each convention yourself")
    if method.name not in preset.methods:
        raise ValueError(f"preset {name!r} covers the methods {', '.join(preset.methods)}; "
                         f"got method={method.name!r}")
    if layers is not None:
        raise ValueError(f"preset {name!r} explains one layer; layers=[...] (several, fused) "
                         f"needs preset='paper'")
    for option, value in preset.method_options.items():
        if option in method.options:
            if given.get(option, value) not in (None, value):
                raise ValueError(f"preset {name!r} uses {option}={value!r}, "
                                 f"got {given[option]!r}")
            given[option] = value
    conventions.update(DEFAULTS, relu=preset.relu)
    return preset


def _check_applicable(method: Method, counterfactual: bool, score: str, layer, layers):
    """The general options that only some methods take: clear errors instead of silence."""
    name = method.name
    if counterfactual and not method.needs_gradient:
        raise ValueError(f"counterfactual negates the gradient ∂y^c/∂A, but method {name!r} "
                         f"uses no gradient; use a gradient method such as 'gradcam'")
    if score != "logit" and not method.uses_score:
        raise ValueError(f"score={score!r} does not apply to method {name!r}, which does not "
                         f"differentiate or evaluate a chosen score (leave score='logit')")
    if method.space == "input" and (layer is not None or layers is not None):
        raise ValueError(f"method {name!r} explains the input pixels; it takes no layer or "
                         f"layers (got layer={layer!r}, layers={layers!r})")
    if layer is not None and layers is not None:
        raise ValueError("give either layer (one layer) or layers (several, fused), not both")


def _layers(model: Module, method: Method, layer, layers, fusion) -> tuple[str, ...]:
    """The names of the layers explained: ``(layer,)``, ``layers``, or ``()`` at the input."""
    if fusion is not None:
        if layers is None:
            raise ValueError("fusion applies to several layers: give layers=[...] as well")
        _validate.choice(fusion, "fusion", FUSIONS)
    if method.space == "input":
        return ()
    if layers is None:
        return (model.resolve_layer(layer),)
    if isinstance(layers, str) or not isinstance(layers, (list, tuple)) or not layers:
        raise TypeError(f"layers must be a non-empty list of layer names, "
                        f"got {_validate.describe(layers)}")
    return tuple(model.resolve_layer(name) for name in layers)


def _images(model: Module, x) -> tuple[np.ndarray, bool]:
    x4, single = _validate.images(x, "x", channels=model.in_channels)
    if x4.shape[1] != 3:
        raise ValueError(f"x must be RGB (3 channels) to be overlaid, got shape {x4.shape}")
    if x4.min() < 0 or x4.max() > 1:
        raise ValueError(f"x must hold images in [0, 1], got values in "
                         f"{_validate.value_range(x4)} (divide uint8 images by 255)")
    return x4, single


def resolve(model: Module, x, method: str, layer, layers, fusion, preset: str,
            counterfactual, conventions: dict, given: dict) -> Options:
    """Check every option of ``explain`` (``conventions``: its eight convention keywords, None
    where not given; ``given``: the method's own options) and gather them."""
    if not isinstance(model, Module):
        raise TypeError(f"model must be a numpy_gradcam model (nn.Module: a Sequential or an "
                        f"architecture), "
                        f"got {_validate.describe(model)}")
    spec = METHODS[_validate.choice(method, "method", tuple(METHODS))]
    given = dict(given)
    chosen = _preset(preset, spec, conventions, given, layers)
    own = method_options(method, given)
    score = _validate.choice(conventions["score"], "score", SCORES)
    counterfactual = _validate.flag(counterfactual, "counterfactual")
    looks = dict(upsample=_validate.choice(conventions["upsample"], "upsample", MODES),
                 align_corners=_validate.flag(conventions["align_corners"], "align_corners"),
                 normalize=_validate.flag(conventions["normalize"], "normalize"),
                 eps=_validate.nonnegative(conventions["eps"], "eps"),
                 cmap=conventions["cmap"], alpha=_validate.fraction(conventions["alpha"], "alpha"))
    relu = _validate.flag(conventions["relu"], "relu")
    _check_applicable(spec, counterfactual, score, layer, layers)
    names = _layers(model, spec, layer, layers, fusion)
    x4, single = _images(model, x)
    start = None if spec.saliency or not names else min(names, key=model.layer_names.index)
    return Options(spec, chosen, x4, single, names, start, (fusion or "mean") if layers else None,
                   counterfactual, relu, score, looks, own)
