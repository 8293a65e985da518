r"""Sanity checks for saliency maps: cascading randomisation of the weights (Adebayo, Gilmer,
Muelly, Goodfellow, Hardt & Kim, "Sanity Checks for Saliency Maps", NeurIPS 2018, Sec. 3.1).

An explanation that explains *the model* must change when the model's learnt weights are
destroyed. Re-initialise the parameterised layers one by one **from the top (the logits) down**,
keeping earlier randomisations — a cascade — and after each step compare every method's map
with the trained model's map for the same image and class:

- **Spearman rank correlation** of the two maps' pixels (Adebayo et al. compare absolute-value
  maps; ours are already >= 0): ``ρ = Pearson(rank(a), rank(b))``, ties ranked by their average;
- **SSIM**, the structural similarity of Wang, Bovik, Sheikh & Simoncelli (2004), with a
  7 x 7 uniform window, data range 1 and their constants ``C1 = 0.01²``, ``C2 = 0.03²``, averaged
  over the windows that fit inside the map (no padding).

A method that passes stays near 1 only at step 0 and falls as the cascade proceeds; Adebayo et
al. found that Grad-CAM's maps decorrelate while guided backprop's stay similar (it mostly
recovers image edges, whatever the weights).

A block is a parameterised layer together with the BatchNorm that follows it (``conv4`` and
``bn4`` are randomised in one step); the random weights come from ``fresh``, an untrained model
of the same architecture (its BatchNorm has γ = 1, β = 0, running mean 0, variance 1). The target
class stays the trained model's (predicted) class throughout.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy import ndimage

from .. import _validate
from ..nn.batchnorm import BatchNorm2d

#: SSIM's window side and constants (Wang et al. 2004, for data range 1).
SSIM_WINDOW = 7
SSIM_C1 = 0.01**2
SSIM_C2 = 0.03**2


def blocks(model) -> list[list[str]]:
    """The parameterised layers of ``model`` grouped into blocks, **top first**: each
    BatchNorm joins the layer before it:
    ``[["fc"], ["conv4", "bn4"], …, ["conv1", "bn1"]]`` for tinycnn-gap."""
    owners = {key.split(".")[0] for key in model.state_dict()}
    groups: list[list[str]] = []
    for name, layer in model.layers.items():
        if name not in owners:
            continue
        if isinstance(layer, BatchNorm2d) and groups:
            groups[-1].append(name)
        else:
            groups.append([name])
    return groups[::-1]


def cascade(model, fresh):
    """Yield ``(label, randomised_model)`` for the cascade: first ``("trained", model)``, then
    after re-initialising each block of :func:`blocks` from ``fresh`` (top first) a deep copy of
    ``model`` with that block and all blocks above it random. ``model`` is not modified."""
    trained, random = model.state_dict(), fresh.state_dict()
    if trained.keys() != random.keys() or any(
            trained[k].shape != random[k].shape for k in trained):
        raise ValueError("fresh must be an untrained model of the same architecture as model "
                         "(the same state_dict names and shapes)")
    yield "trained", model
    state = dict(trained)
    for block in blocks(model):
        for key in state:
            if key.split(".")[0] in block:
                state[key] = random[key]
        randomised = copy.deepcopy(model)
        randomised.load_state_dict(state)
        yield "+".join(block), randomised


def spearman(a, b) -> np.ndarray:
    """Spearman rank correlation of each pair of maps ``a``, ``b`` ``(N, H, W)`` → ``(N,)``;
    NaN where either map is constant (it has no ranking to compare)."""
    a = _validate.float_array(a, "a", ndim=3)
    b = _validate.float_array(b, "b", ndim=3)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    # Imported here: scipy.stats costs 0.4 s of every command's start-up otherwise.
    from scipy.stats import rankdata

    ra = rankdata(a.reshape(len(a), -1), axis=1)                        # (N, H·W)
    rb = rankdata(b.reshape(len(b), -1), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denominator = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (ra * rb).sum(axis=1) / denominator, np.nan)


def ssim(a, b, window: int = SSIM_WINDOW) -> np.ndarray:
    r"""Mean structural similarity of each pair of maps ``a``, ``b`` ``(N, H, W)`` in [0, 1] →
    ``(N,)``:

    .. math::

        \text{SSIM} = \frac{(2 \mu_a \mu_b + C_1)(2 \sigma_{ab} + C_2)}
                           {(\mu_a^2 + \mu_b^2 + C_1)(\sigma_a^2 + \sigma_b^2 + C_2)}

    with local means, variances and covariance over ``window x window`` uniform windows
    (population statistics), averaged over the windows that fit inside the map.
    """
    a = _validate.float_array(a, "a", ndim=3).astype(np.float64)
    b = _validate.float_array(b, "b", ndim=3).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    window = _validate.positive_int(window, "window")
    if window > min(a.shape[1:]):
        raise ValueError(f"window must fit in the maps {a.shape[1:]}, got {window}")

    def local_mean(z):
        return ndimage.uniform_filter(z, size=(1, window, window), mode="constant")

    mu_a, mu_b = local_mean(a), local_mean(b)
    var_a = local_mean(a * a) - mu_a**2
    var_b = local_mean(b * b) - mu_b**2
    cov = local_mean(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + SSIM_C1) * (2 * cov + SSIM_C2)
         / ((mu_a**2 + mu_b**2 + SSIM_C1) * (var_a + var_b + SSIM_C2)))  # (N, H, W)
    half = window // 2
    inner = s[:, half:a.shape[1] - (window - 1 - half), half:a.shape[2] - (window - 1 - half)]
    return inner.mean(axis=(1, 2))
