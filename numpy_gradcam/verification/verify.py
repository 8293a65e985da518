"""``verify``: compare another implementation's stages with a golden case, and diagnose.

The user gives any subset of the stages of :data:`~numpy_gradcam.verification.vectors.STAGES`
(a dict or an ``.npz`` with those keys). Each is compared with the reference of the case; a
stage *matches* when

    max |theirs − reference| <= RTOL · max |reference| + ATOL        (RTOL = 1e-5, ATOL = 1e-12)

(relative to each stage's own scale, loose enough for a float32 implementation; ``targets`` must
be equal). The report gives, per stage, the max absolute error and the max relative error (the
max absolute error divided by the stage's largest reference magnitude), and the first stage, in
pipeline order, that diverges. A stage that differs but is a constant multiple ``r`` of the
reference has its measured ratio reported (``StageError.ratio``); a stage of values in [0, 1]
given with values above 1 gets a hint (``/ 255`` when that makes it match).

When a stage diverges, the reference is recomputed under each entry of the catalogue of known
mistakes (:mod:`numpy_gradcam.verification.mistakes`), and the entries whose stages match every
stage the user gave, by the same rule, are the diagnosis. Scale mistakes are recomputed like the
others, so each is named only at its own ratio: ``gradient-sum`` at ``Z = h·w``,
``repeated-backward`` at 2; any other constant ratio is reported, not named.

**Presets.** ``preset=`` compares with the case rendered under another library's conventions
(:mod:`numpy_gradcam.cam.presets`): "is my pytorch-grad-cam pipeline right?". The catalogue is
tried under that preset too (its mistakes before the map ``L`` under every preset; its rendering
mistakes where the preset's library allows them, e.g. pytorch-grad-cam's ``use_rgb=False``), and
the *other* presets are tried: one whose stages match every stage given is named in the
diagnosis as ``preset:NAME`` ("your numbers follow Captum's conventions"), and the report
suggests re-running with ``--preset NAME``.
"""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, field, replace

import numpy as np

from ..cam.presets import PRESETS
from ..io import load_npz
from . import mistakes
from .vectors import STAGES, get_case, reference

RTOL = 1e-5
ATOL = 1e-12
#: Stages at the input size: a heatmap resized to (W, H) gives them H and W swapped.
_IMAGE_SIZED = ("heatmap", "colored", "overlay")
#: Stages whose values lie in [0, 1]: values above 1 there are a 0–255 array, most likely.
_UNIT_STAGES = ("image", "probabilities", "cam_normalized", "heatmap", "colored", "overlay")
#: Stages before Grad-CAM: a difference there is the model, its weights or its input.
_MODEL_STAGES = ("image", "logits", "probabilities")
#: Where the catalogue is described, for a message that cannot list it in full.
CATALOGUE_PAGE = "docs/verification.md, section 'The catalogue'"


@dataclass
class StageError:
    """One stage's comparison. ``max_abs``/``max_rel`` are None when the shapes differ;
    ``ratio`` is the measured constant ``r`` when the stage differs but equals ``r ×`` the
    reference (None otherwise); ``hint`` a suggestion in words (e.g. divide by 255)."""

    max_abs: float | None
    max_rel: float | None
    matches: bool
    note: str = ""
    ratio: float | None = None
    hint: str = ""


@dataclass
class Report:
    """The result of :func:`verify`: per-stage errors, the first divergence, the diagnosis.

    ``diagnosis``: names of catalogue entries (and ``preset:NAME``) that explain the difference;
    ``details``: for some of them the case's specifics (``"conv4 instead of relu4"``, ``"ratio
    Z = h·w = 8·8 = 64"``); ``tried``: the names tried, under ``preset``.
    """

    case: str
    stages: dict[str, StageError]
    first_divergence: str | None
    diagnosis: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)
    preset: str = "paper"
    model: str = ""

    @property
    def matches(self) -> bool:
        return self.first_divergence is None

    def as_dict(self) -> dict:
        return {
            "case": self.case, "preset": self.preset, "matches": self.matches,
            "first_divergence": self.first_divergence,
            "stages": {name: vars(error) for name, error in self.stages.items()},
            "diagnosis": list(self.diagnosis), "details": dict(self.details),
            "tried": list(self.tried), "rtol": RTOL, "atol": ATOL,
        }

    def text(self) -> str:
        lines = [f"verify against case {self.case!r}"
                 f"{'' if self.preset == 'paper' else f' under preset {self.preset!r}'} (a stage "
                 f"matches when max abs error <= {RTOL:g} x its largest reference magnitude)",
                 f"  {'stage':<15} {'max abs err':>12} {'max rel err':>12}"]
        for name, error in self.stages.items():
            numbers = ("" if error.max_abs is None
                       else f"{error.max_abs:>12.3g} {error.max_rel:>12.3g}")
            verdict = "ok" if error.matches else "DIFFERS"
            note = f" ({error.note})" if error.note else ""
            lines.append(f"  {name:<15} {numbers:>25}  {verdict}{note}")
        lines += [f"hint: {name}: {error.hint}" for name, error in self.stages.items()
                  if error.hint]
        if self.matches:
            lines.append("MATCH: every stage given agrees with the reference")
            return "\n".join(lines)
        lines.append(f"MISMATCH: the first stage that diverges is {self.first_divergence!r}")
        if self.diagnosis:
            lines.append("diagnosis: the difference is explained by")
            lines += [f"  {self._named(name)}: {_describe(name)}" for name in self.diagnosis]
            lines += [f"re-run with --preset {name.removeprefix(PRESET_PREFIX)} to compare with "
                      f"that library's conventions stage by stage"
                      for name in self.diagnosis if name.startswith(PRESET_PREFIX)]
        else:
            lines += self._unexplained()
        return "\n".join(lines)

    def _named(self, name: str) -> str:
        detail = self.details.get(name)
        convention = (not name.startswith(PRESET_PREFIX) and mistakes.MISTAKES[name].convention)
        words = [w for w in (detail, "a convention, not a bug" if convention else "") if w]
        return f"{name} ({'; '.join(words)})" if words else name

    def _unexplained(self) -> list[str]:
        lines = [f"diagnosis: no single mistake of the catalogue explains it; start at stage "
                 f"{self.first_divergence!r}"]
        scaled = {name: error.ratio for name, error in self.stages.items()
                  if error.ratio is not None and name in ("gradients", "weights", "cam")}
        if scaled:
            ratios = ", ".join(f"{name} {ratio:.6g}" for name, ratio in scaled.items())
            lines.append(f"  a constant ratio to the reference ({ratios}): a scale mistake "
                         f"(gradient-sum gives Z = h·w, repeated-backward 2)")
        if self.first_divergence in _MODEL_STAGES:
            lines.append(f"  the difference starts before Grad-CAM: check the model's weights "
                         f"(the case's {self.model}), the preprocessing (the case's image as "
                         f"given: RGB, NCHW, in [0, 1], normalised only as the manifest's "
                         f"input_normalization says) and "
                         f"evaluation mode (model.eval(): BatchNorm's running statistics)")
        tried = ", ".join(self.tried)
        lines.append(textwrap.fill(
            f"tried, under preset {self.preset!r} ({CATALOGUE_PAGE} describes each): {tried}",
            width=100, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False))
        return lines


#: A diagnosis entry that names a preset rather than a mistake.
PRESET_PREFIX = "preset:"


def _describe(entry: str) -> str:
    if entry.startswith(PRESET_PREFIX):
        preset = PRESETS[entry.removeprefix(PRESET_PREFIX)]
        return f"the conventions of the preset {preset.name!r}: {preset.source}"
    return mistakes.MISTAKES[entry].description


def _swapped(shape: tuple[int, ...]) -> tuple[int, ...]:
    return (*shape[:-2], shape[-1], shape[-2])


def _shape_error(stage: str, value: np.ndarray, ref: np.ndarray) -> str:
    message = f"stage {stage!r} must have shape {ref.shape} for this case, got {value.shape}"
    if stage == "weights" and value.ndim == 3 and value.shape[0] == ref.shape[0]:
        message += (" (weights of the map's shape (N, h, w) are a mean over the channel axis "
                    "instead of the spatial axes, the catalogue's channel-mean: leave weights "
                    "out to have it diagnosed)")
    return message


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
            raise ValueError(_shape_error(stage, value, ref))
        if not np.isfinite(value).all():
            bad = int((~np.isfinite(value)).sum())
            raise ValueError(f"stage {stage!r} holds {bad} NaN or Inf value(s)")
        if stage == "targets" and value.dtype.kind == "f":
            raise ValueError(f"stage 'targets' must hold class indices (int), "
                             f"got dtype {value.dtype}")
        checked[stage] = value
    return checked


def _within(max_abs: float, scale: float) -> bool:
    """The tolerance rule, relative to the stage's scale ``max |reference|``."""
    return max_abs <= RTOL * scale + ATOL


def _ratio(value: np.ndarray, ref: np.ndarray) -> float | None:
    """``r`` when ``value`` is ``r ×`` ``ref`` within the tolerance, ``r > 0`` and ``r`` is not 1
    (a ratio of 1 is a match, not a scale mistake; a negative one a sign); else None."""
    r = float((value * ref).sum() / max((ref * ref).sum(), np.finfo(float).tiny))
    if r <= 0 or abs(r - 1) <= RTOL:
        return None
    scale = float(np.abs(r * ref).max(initial=0.0))
    return r if _within(float(np.abs(value - r * ref).max(initial=0.0)), scale) else None


def _unit_hint(stage: str, value: np.ndarray, ref: np.ndarray) -> str:
    """A hint for values above 1 in a stage of values in [0, 1]: a 0–255 array."""
    top = float(value.max(initial=0.0))
    if stage not in _UNIT_STAGES or top <= 1 + RTOL:
        return ""
    where = f"values up to {top:.6g} where the reference lies in [0, 1]"
    if top <= 2:                                # beyond 1, but too small for 0..255
        return f"{where}: not normalised to [0, 1] (or an overshooting resize)?"
    scaled = compare_stage(stage, value / 255.0, ref)
    verdict = ("divided by 255 it matches" if scaled.matches
               else f"divided by 255 its max abs error is {scaled.max_abs:.3g}")
    return f"{where}: a 0–255 (uint8) array? {verdict}"


def compare_stage(stage: str, value: np.ndarray, ref: np.ndarray) -> StageError:
    """Compare one stage with its reference by the tolerance rule (see the module docstring).

    ``value`` and ``ref`` are arrays; a shape mismatch does not match (``max_abs`` None).
    """
    if value.shape != ref.shape:
        return StageError(None, None, False, f"shape {value.shape}, expected {ref.shape}")
    if stage == "targets":
        same = bool(np.array_equal(value, ref))
        diff = float(np.abs(value.astype(np.int64) - ref).max(initial=0))
        return StageError(diff, diff, same)
    ref = ref.astype(np.float64)
    value = value.astype(np.float64)
    scale = float(np.abs(ref).max(initial=0.0))
    max_abs = float(np.abs(value - ref).max(initial=0.0))
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    error = StageError(max_abs, max_rel, _within(max_abs, scale))
    if not error.matches:
        error.ratio = _ratio(value, ref)
        error.note = "" if error.ratio is None else f"{error.ratio:.6g} x the reference"
        error.hint = _unit_hint(stage, value, ref)
    return error


def _explains(theirs: dict, recomputed: dict, errors: dict[str, StageError]) -> bool:
    """Do the ``recomputed`` stages (of a mistake or a preset) give every stage the user gave?"""
    for stage, value in theirs.items():
        stage_value = recomputed.get(stage)
        if stage_value is None:
            if not errors[stage].matches:
                return False                                 # it cannot explain that stage
            continue
        if not compare_stage(stage, value, stage_value).matches:
            return False
    return True


def _reference_conventions(options: dict, preset: str) -> mistakes.Conventions:
    base = mistakes.Conventions(score=options["score"], relu=options["relu"],
                                sign=-1 if options["counterfactual"] else 1)
    if preset != "paper":
        return base                                          # the preset renders: its own
    return replace(base, upsample=options["upsample"], align_corners=options["align_corners"])


def _diagnose(model, expected: dict, options: dict, theirs: dict[str, np.ndarray],
              errors: dict[str, StageError], preset: str) -> tuple[list[str], dict, list[str]]:
    """``(names, details, tried)``: the catalogue's mistakes that reproduce ``theirs`` (the
    case's reference is ``expected``, computed with ``options`` under ``preset``), their
    details, and the names of the mistakes tried."""
    base = _reference_conventions(options, preset)
    passes = mistakes.Passes(model, expected["image"], expected["targets"])
    rendering = ({"cmap": options["cmap"], "alpha": options["alpha"], "eps": options["eps"]}
                 if preset == "paper" else {})
    found, details, tried = [], {}, []
    for mistake in mistakes.CATALOGUE:
        variants = [(conventions, detail) for conventions, detail in
                    mistake.variants(base, passes)
                    if conventions != base and mistakes.can_render(conventions, preset)]
        if variants:
            tried.append(mistake.name)
        for conventions, detail in variants:
            recomputed = mistakes.stages(model, expected["image"], expected["targets"],
                                         conventions, preset=preset, passes=passes, **rendering)
            if _explains(theirs, recomputed, errors):
                if mistake.name not in found:
                    found.append(mistake.name)
                if detail:
                    details[mistake.name] = "; ".join(filter(None, [details.get(mistake.name),
                                                                    detail]))
    return found, details, tried


def _matching_presets(case, model, theirs: dict, errors: dict[str, StageError],
                      preset: str) -> list[str]:
    """``preset:NAME`` for every other preset whose stages give every stage the user gave."""
    found = []
    for name in PRESETS:
        if name == preset:
            continue
        recomputed, _ = reference(case, model, name)
        if _explains(theirs, recomputed, errors):
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
        ``.matches``, ``.first_divergence``, ``.stages`` (per-stage errors, with the measured
        ratio of a scaled stage and hints), ``.diagnosis`` (the names of the mistakes — or
        ``preset:NAME`` of the presets — that explain the difference), ``.details`` (the
        case's specifics of a diagnosis), ``.tried``, ``.text()``, ``.as_dict()``.

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
    model = case.load_model()
    expected, options = reference(case, model, preset)
    theirs = _check_theirs(theirs, expected, preset)
    errors = {stage: compare_stage(stage, value, expected[stage])
              for stage, value in theirs.items()}
    first = next((stage for stage, error in errors.items() if not error.matches), None)
    report = Report(case.name, errors, first, preset=preset, model=case.model_file)
    if first is not None:
        report.diagnosis, report.details, report.tried = _diagnose(
            model, expected, options, theirs, errors, preset)
        report.diagnosis += _matching_presets(case, model, theirs, errors, preset)
        report.tried += [PRESET_PREFIX + name for name in PRESETS if name != preset]
    return report
