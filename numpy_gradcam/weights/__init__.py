"""Weights files without torch, and without running pickles.

:func:`read` reads what PyTorch users have: ``torch.save`` checkpoints (the zip format since
torch 1.6, and the legacy one before it), safetensors files, and our ``.npz`` archives; it
returns a state dict of NumPy arrays (:class:`Weights`). :func:`write` writes ``.safetensors``
(readable by torch users) or ``.npz``. ``numpy_gradcam.io.load_state_dict`` and
``save_state_dict`` are the same, as one call each.

A ``torch.save`` file is a pickle, and ``pickle.load`` runs whatever a pickle names. Here a
pickle is read by an unpickler that answers every global from a short table of our own
stand-ins (:mod:`.unpickler`): the real ``torch._utils._rebuild_tensor_v2`` is never imported,
``os.system`` is refused by name. Every size a file declares is checked against the file before
anything is allocated (:mod:`.limits`).

Modules: ``reading`` (the formats, told by content), ``writing``; one a format (``torch_zip``,
``torch_legacy``, ``safetensors_file``, ``npz_file``); ``unpickler``; ``tensors`` (storages,
strides and the arrays they become); ``checkpoint`` (weights nested in a checkpoint, the
``module.`` prefix); ``dtypes``; ``limits``.
"""

from .limits import Refused
from .reading import FORMATS, Weights, read
from .writing import write

__all__ = ["FORMATS", "Refused", "Weights", "read", "write"]
