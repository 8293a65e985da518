"""Torch interop: a ``.pt`` ``state_dict`` of a supported architecture ↔ a numpy-gradcam model.

For users with a torch model of the same architecture as a shipped one (``to_torch(model)`` is
that architecture in torch, its submodule names our layer names)::

    torch.save(torch_model.state_dict(), "weights.pt")
    model = load_torch_state_dict("weights.pt", "tinycnn-gap")   # numpy-gradcam, same weights
    save_torch_state_dict(model, "back.pt")                      # and the reverse

The names and layouts of a numpy-gradcam ``state_dict`` are PyTorch's already, so nothing is
transposed. The file is read by :func:`numpy_gradcam.io.load_state_dict`, without torch and
without running its pickle (tensors and plain containers only; any other global is refused by
name); torch is imported only to write one.
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..io import as_path, atomic_write, load_state_dict
from ..models import MODEL_NAMES, load_model
from ..nn.sequential import Sequential
from .torch_model import _import_torch


def load_torch_state_dict(path, model_name: str) -> Sequential:
    """A ``model_name`` model (one of ``MODEL_NAMES``) with the weights of a ``.pt`` state dict.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by ``torch.save(torch_model.state_dict(), path)``; float32 or float64
        tensors (converted to float64, the reference precision).
    model_name : str
        The architecture, e.g. ``"tinycnn-gap"``; its class names come from the shipped card.

    Returns
    -------
    Sequential
        The model; its ``card`` is the shipped card with ``weights`` naming ``path``.

    Raises
    ------
    ValueError
        The file is not a state dict (:func:`numpy_gradcam.io.load_state_dict` says why); or
        the keys/shapes/values do not fit the architecture (the message of
        ``Module.load_state_dict``: every missing or unexpected key, every wrong shape).
    """
    _validate.choice(model_name, "model_name", MODEL_NAMES)
    path = as_path(path)
    arrays = load_state_dict(path)          # without torch; ValueError names the file and why
    model = load_model(model_name)
    try:
        model.load_state_dict(arrays)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{str(path)!r} does not fit {model_name!r}: {error}") from error
    model.card = dict(model.card, weights=str(path), sha256=None)
    return model


def save_torch_state_dict(model: Sequential, path, force: bool = False) -> None:
    """Write ``model.state_dict()`` as a torch ``.pt`` file (float64 tensors), atomically.

    ``to_torch(model).load_state_dict(torch.load(path, weights_only=True))`` loads it, as does
    any torch module of the same architecture. An existing file needs ``force=True``.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a numpy_gradcam model (Sequential), "
                        f"got {_validate.describe(model)}")
    torch = _import_torch()
    state = {key: torch.from_numpy(np.array(value)) for key, value in model.state_dict().items()}
    with atomic_write(path, force=force) as tmp:
        torch.save(state, tmp)
