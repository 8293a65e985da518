"""``verify``: compare another implementation's stages with a golden case, and diagnose.

The user gives any subset of the stages of :data:`~numpy_gradcam.verification.vectors.STAGES`
(a dict or an ``.npz`` with those keys). Each is compared with the reference of the case; a
stage *matches* when

    max |theirs − reference| <= RTOL · max |reference| + ATOL        (RTOL = 1e-5, ATOL = 1e-12)

(loose enough for a float32 implementation; ``targets`` must be equal). The report gives, per
stage, the max absolute error and the max relative error (the max absolute error divided by the
stage's largest reference magnitude), and the first stage, in pipeline order, that diverges.

When a stage diverges, the reference is recomputed under each entry of the catalogue of known
mistakes (:mod:`numpy_gradcam.verification.mistakes`), and the entries whose stages match every
stage the user gave, by the same rule, are the diagnosis. An entry marked ``scale_only``
(gradient-sum) matches ``weights`` and ``cam`` up to one constant positive factor other than 1.

**Presets.** ``preset=`` compares with the case rendered under another library's conventions
(:mod:`numpy_gradcam.cam.presets`): "is my pytorch-grad-cam pipeline right?". The mistakes of the
catalogue are departures from the paper, so they are tried only against ``preset="paper"``; with
any preset, the *other* presets are tried too, and one whose stages match every stage given is
named in the diagnosis as ``preset:NAME`` ("your numbers follow Captum's conventions").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..cam.presets import PRESETS
from ..io import load_npz
from ..models import load_model
from . import mistakes
from .vectors import STAGES, get_case, reference

RTOL = 1e-5
ATOL = 1e-12
#: Stages at the input size: a heatmap resized to (W, H) gives them H and W swapped.
_IMAGE_SIZED = ("heatmap", "colored", "overlay")


@dataclass
class StageError:
    """One stage's comparison. ``max_abs``/``max_rel`` are None when the shapes differ."""

    max_abs: float | None
    max_rel: float | None
    matches: bool
    note: str = ""


@dataclass
class Report:
    """The result of :func:`verify`: per-stage errors, the first divergence, the diagnosis."""

    case: str
    stages: dict[str, StageError]
    first_divergence: str | None
    diagnosis: list[str] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return self.first_divergence is None

    def as_dict(self) -> dict:
        return {
            "case": self.case, "matches": self.matches, "first_divergence": self.first_divergence,
            "stages": {name: vars(error) for name, error in self.stages.items()},
            "diagnosis": list(self.diagnosis), "rtol": RTOL, "atol": ATOL,
        }

    def text(self) -> str:
        lines = [f"verify against case {self.case!r} (a stage matches when max abs error <= "
                 f"{RTOL:g} x its largest reference magnitude)",
                 f"  {'stage':<15} {'max abs err':>12} {'max rel err':>12}"]
        for name, error in self.stages.items():
            numbers = ("" if error.max_abs is None
                       else f"{error.max_abs:>12.3g} {error.max_rel:>12.3g}")
            verdict = "ok" if error.matches else "DIFFERS"
            note = f" ({error.note})" if error.note else ""
            lines.append(f"  {name:<15} {numbers:>25}  {verdict}{note}")
        if self.matches:
            lines.append("MATCH: every stage given agrees with the reference")
            return "\n".join(lines)
        lines.append(f"MISMATCH: the first stage that diverges is {self.first_divergence!r}")
        if self.diagnosis:
            lines.append("diagnosis: the difference is explained by")
            lines += [f"  {name}: {_describe(name)}" for name in self.diagnosis]
        else:
            lines.append(f"diagnosis: no single mistake of the catalogue explains it; start at "
                         f"stage {self.first_divergence!r}")
        return "\n".join(lines)


#: A diagnosis entry that names a preset rather than a mistake.
PRESET_PREFIX = "preset:"


def _describe(entry: str) -> str:
    if entry.startswith(PRESET_PREFIX):
        preset = PRESETS[entry.removeprefix(PRESET_PREFIX)]
        return f"the conventions of the preset {preset.name!r}: {preset.source}"
    return mistakes.MISTAKES[entry].description


def _swapped(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (*shape[:-2], shape[-1], shape[-2])


def _check_theirs(theirs: dict, expected: dict[str, np.ndarray | None], preset: str
                  ) -> dict[str, np.ndarray]:
    """Validate the user's stages: known keys, numeric, finite, the case's shapes."""
    unknown = [key for key in theirs if key not in STAGES]
    if unknown or not theirs:
        what = f"unknown key(s) {unknown}" if unknown else "no stage"
        raise ValueError(f"theirs has {what}; the stage keys are: {', '.join(STAGES)} "
                         f"(give any subset)")
    checked = {}
    for stage in STAGES:
        if stage not in theirs:
            continue
        value = np.asarray(theirs[stage])
        if value.dtype.kind not in "biuf":
            raise ValueError(f"stage {stage!r} must be a numeric array, got dtype {value.dtype}")
        ref = expected[stage]
        if ref is None:
            raise ValueError(f"stage {stage!r} does not exist in preset {preset!r} (its library "
                             f"does not compute it); give the other stages")
        if value.shape == ref.shape[1:] and ref.shape[0] == 1:
            value = value[None]                                # one image without the batch axis
        swapped = (stage in _IMAGE_SIZED and ref.shape[-1] != ref.shape[-2]
                   and value.shape == _swapped(ref.shape))
        if value.shape != ref.shape and not swapped:
            raise ValueError(f"stage {stage!r} must have shape {ref.shape} for this case, "
                             f"got {value.shape}")
        if not np.isfinite(value).all():
            bad = int((~np.isfinite(value)).sum())
            raise ValueError(f"stage {stage!r} holds {bad} NaN or Inf value(s)")
        if stage == "targets" and value.dtype.kind == "f":
            raise ValueError(f"stage 'targets' must hold class indices (int), "
                             f"got dtype {value.dtype}")
        checked[stage] = value
    return checked


def _compare(stage: str, value: np.ndarray, ref: np.ndarray, scale_free: bool = False
             ) -> StageError:
    if value.shape != ref.shape:
        return StageError(None, None, False, f"shape {value.shape}, expected {ref.shape}")
    if stage == "targets":
        same = bool(np.array_equal(value, ref))
        diff = float(np.abs(value.astype(np.int64) - ref).max(initial=0))
        return StageError(diff, diff, same)
    ref = ref.astype(np.float64)
    value = value.astype(np.float64)
    note = ""
    if scale_free:
        ratio = float((value * ref).sum() / max((ref * ref).sum(), np.finfo(float).tiny))
        ref = ratio * ref
        note = f"ratio {ratio:.6g}"
    scale = float(np.abs(ref).max(initial=0.0))
    max_abs = float(np.abs(value - ref).max(initial=0.0))
    matches = max_abs <= RTOL * scale + ATOL
    if scale_free and (ratio <= 0 or abs(ratio - 1) <= RTOL):
        matches = False                          # a ratio of 1 is no scale mistake, < 0 a sign
    return StageError(max_abs, max_abs / max(scale, np.finfo(float).tiny), matches, note)


def _explains(theirs: dict, recomputed: dict, expected: dict, errors: dict[str, StageError],
              scale_only: bool = False) -> bool:
    """Do the ``recomputed`` stages (of a mistake or a preset) give every stage the user gave?
    ``scale_only``: ``weights`` and ``cam`` need to match only up to a constant factor."""
    for stage, value in theirs.items():
        stage_value = recomputed.get(stage)
        if stage_value is None:
            if not errors[stage].matches:
                return False                                 # it cannot explain that stage
            continue
        scale_free = scale_only and stage in ("weights", "cam")
        if scale_free:
            stage_value = expected[stage]                    # any constant times the reference
        if not _compare(stage, value, stage_value, scale_free).matches:
            return False
    return True


def _reference_conventions(options: dict) -> mistakes.Conventions:
    return mistakes.Conventions(
        score=options["score"], sign=-1 if options["counterfactual"] else 1,
        upsample=options["upsample"], align_corners=options["align_corners"])


def _diagnose(model, expected: dict, options: dict, theirs: dict[str, np.ndarray],
              errors: dict[str, StageError]) -> list[str]:
    """The names of the catalogue's mistakes that reproduce ``theirs`` (the case's reference
    is ``expected``, computed with ``options``)."""
    base = _reference_conventions(options)
    passes = mistakes.Passes(model, expected["image"], expected["targets"])
    found = []
    for mistake in mistakes.CATALOGUE:
        conventions = mistake.conventions(base)
        if conventions.upsample == "nearest" and conventions.align_corners:
            continue                                         # not a defined resize
        recomputed = mistakes.stages(model, expected["image"], expected["targets"], conventions,
                                     cmap=options["cmap"], alpha=options["alpha"],
                                     eps=options["eps"], passes=passes)
        if _explains(theirs, recomputed, expected, errors, mistake.scale_only):
            found.append(mistake.name)
    return found


def _matching_presets(case, model, theirs: dict, errors: dict[str, StageError],
                      preset: str) -> list[str]:
    """``preset:NAME`` for every other preset whose stages give every stage the user gave."""
    found = []
    for name in PRESETS:
        if name == preset:
            continue
        recomputed, _ = reference(case, model, name)
        if _explains(theirs, recomputed, recomputed, errors):
            found.append(PRESET_PREFIX + name)
    return found


def verify(theirs, case: str, preset: str = "paper") -> Report:
    """Compare ``theirs`` with the golden case ``case`` and diagnose a difference.

    Parameters
    ----------
    theirs : dict[str, array_like] or path of an ``.npz``
        Any subset of the stages (keys of :data:`~numpy_gradcam.verification.vectors.STAGES`),
        each with the case's shape (the batch axis may be left out for a one-image case).
    case : str
        A name of :data:`~numpy_gradcam.verification.vectors.CASE_NAMES`.
    preset : str, default "paper"
        Whose conventions render the reference (:data:`numpy_gradcam.cam.presets.PRESETS`).

    Returns
    -------
    Report
        ``.matches``, ``.first_divergence``, ``.stages`` (per-stage errors), ``.diagnosis``
        (the names of the mistakes — or ``preset:NAME`` of the presets — that explain the
        difference), ``.text()``, ``.as_dict()``.

    Raises
    ------
    ValueError
        An unknown case or preset (the valid ones are listed), a key that is not a stage (the
        stage names are listed), a stage the preset's library does not have, a wrong shape or
        NaN (the stage is named), a file that is not an ``.npz`` or holds pickled objects.
    """
    case = get_case(case)
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; valid presets: {', '.join(PRESETS)}")
    if isinstance(theirs, (str, os.PathLike)):
        theirs = load_npz(theirs)
    if not isinstance(theirs, dict):
        raise TypeError(f"theirs must be a dict of stage name → array or an .npz path, "
                        f"got {type(theirs).__name__}")
    model = load_model(case.model)
    expected, options = reference(case, model, preset)
    theirs = _check_theirs(theirs, expected, preset)
    errors = {stage: _compare(stage, value, expected[stage]) for stage, value in theirs.items()}
    first = next((stage for stage, error in errors.items() if not error.matches), None)
    diagnosis = []
    if first is not None:
        if preset == "paper":
            diagnosis = _diagnose(model, expected, options, theirs, errors)
        diagnosis += _matching_presets(case, model, theirs, errors, preset)
    return Report(case.name, errors, first, diagnosis)
