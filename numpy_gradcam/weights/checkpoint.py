"""Where a checkpoint keeps its weights, and the names they were saved under.

``torch.save(model.state_dict(), path)`` writes the weights alone, a dict of tensors. Training
scripts often save more: ``{"epoch": 90, "state_dict": …, "optimizer": …}``, with the weights
under ``"state_dict"``, ``"model_state_dict"`` or ``"model"`` (:data:`WEIGHT_ENTRIES`, tried in
that order). A model wrapped in ``torch.nn.DataParallel`` saves every key with the prefix
``module.``. Each of these is taken as the weights and said in a note, so that nothing is
changed silently.
"""

from __future__ import annotations

from .limits import Refused

__all__ = ["WEIGHT_ENTRIES", "find_state_dict", "strip_data_parallel"]

#: The entries of a checkpoint that may hold its weights, in the order they are tried.
WEIGHT_ENTRIES = ("state_dict", "model_state_dict", "model")

_PREFIX = "module."


def _listed(keys, most: int = 8) -> str:
    # a key that is not a string is shown by its type: its repr could be any size
    keys = [key[:60] if isinstance(key, str) else f"<{type(key).__name__}>" for key in keys]
    shown = ", ".join(keys[:most])
    return shown if len(keys) <= most else f"{shown}, … ({len(keys) - most} more)"


def _is_weights(value, tensor_type: type) -> bool:
    return isinstance(value, dict) and all(isinstance(v, tensor_type) for v in value.values())


def find_state_dict(content, tensor_type: type, notes: list[str]) -> dict:
    """The dict of tensors in ``content``, what a file's pickle holds: ``content`` itself, or
    its first entry in :data:`WEIGHT_ENTRIES` that is one (said in ``notes``).

    Parameters
    ----------
    content : object
        The unpickled file.
    tensor_type : type
        What a tensor is in ``content``.
    notes : list of str
        Appended to: where the weights were found.

    Returns
    -------
    dict
        name → tensor, keys checked to be strings.
    """
    if not isinstance(content, dict):
        what = "a single tensor" if isinstance(content, tensor_type) else \
            f"a {type(content).__name__}"
        raise Refused(f"it holds {what}, not a dict of tensors (a state dict: save "
                      "model.state_dict())")
    if _is_weights(content, tensor_type):
        weights = content
    else:
        entry = next((key for key in WEIGHT_ENTRIES
                      if _is_weights(content.get(key), tensor_type)), None)
        if entry is None:
            others = [key for key, value in content.items()
                      if not isinstance(value, tensor_type)]
            raise Refused(f"it holds a dict whose entries {_listed(others)} are not tensors, "
                          f"and none of its entries {', '.join(map(repr, WEIGHT_ENTRIES))} "
                          "is a dict of tensors (a checkpoint's weights are looked for there)")
        weights = content[entry]
        beside = [key for key in content if key != entry]
        notes.append(f"took the weights from the checkpoint's {entry!r} entry (beside: "
                     f"{_listed(beside) or 'nothing'})")
    bad = [key for key in weights if not isinstance(key, str) or not key]
    if bad:
        raise Refused(f"its state dict has keys that are not names (non-empty strings): "
                      f"{_listed(bad)}")
    return weights


def strip_data_parallel(state: dict, notes: list[str]) -> dict:
    """``state`` without ``torch.nn.DataParallel``'s ``module.`` prefix, when every key has it
    (said in ``notes``); otherwise ``state`` itself."""
    if not state or not all(key.startswith(_PREFIX) and key != _PREFIX for key in state):
        return state
    notes.append(f"removed DataParallel's {_PREFIX!r} prefix from {len(state)} keys")
    return {key[len(_PREFIX):]: value for key, value in state.items()}
