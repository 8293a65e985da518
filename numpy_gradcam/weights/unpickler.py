"""A pickle reader that rebuilds state dicts and nothing else.

Unpickling runs code: a pickle names globals (``os.system``) and calls them (the ``REDUCE``
opcode). ``torch.load(weights_only=False)``, and any plain ``pickle.load``, will import and call
whatever a file names. This reader never imports or calls a global. :meth:`Unpickler.find_class`
answers each name the pickle asks for from a fixed table of stand-ins (:class:`Global`) that we
wrote: the tensor rebuild functions of ``torch._utils`` become our :func:`tensors.rebuild`,
``torch.FloatStorage`` becomes a marker holding float32, ``collections.OrderedDict`` becomes a
plain dict. Any other name is refused before anything runs, with the name in the message.

So the only code a pickle can call is ours: ``REDUCE`` (and ``INST``/``OBJ``) can reach only a
stand-in, which refuses unless it is a rebuild function; ``NEWOBJ`` needs a real class and gets
none; ``BUILD`` finds a ``__setstate__`` on every object we make, which refuses, except on the
dict ``OrderedDict`` becomes, which takes ``state_dict()``'s ``_metadata`` and nothing else
(Python's own values, the lists, dicts and strings the opcodes make, have no attributes to set).

Before it runs, a pickle is scanned (:func:`scan`): every length it declares must fit in the
bytes it has, its opcodes are counted, its memo indices bounded (``pickle.loads`` allocates
what a declared length or memo index says before it reads: 2**40 is a ``MemoryError``).
"""

from __future__ import annotations

import io
import pickle
import pickletools
from collections.abc import Callable

from .dtypes import TORCH_DTYPES, TORCH_STORAGES, DType
from .limits import MAX_PICKLE_OPCODES, Refused
from .tensors import Storage, Tensor, rebuild

__all__ = ["STATE_DICT_GLOBALS", "Global", "StateDict", "Storages", "Unpickler", "load", "scan"]

_MEMO_OPCODES = ("PUT", "BINPUT", "LONG_BINPUT")

# Modules whose classes make a whole model: a pickle naming one holds ``torch.save(model)``.
_MODEL_MODULES = ("torchvision", "timm", "__main__", "efficientnet_pytorch",
                  "efficientnet_lite_pytorch", "transformers", "pretrainedmodels",
                  "segmentation_models_pytorch")


class StateDict(dict):
    """What ``collections.OrderedDict`` becomes: a dict (in insertion order, as every dict is).

    ``module.state_dict()`` pickles its ``_metadata`` attribute (the modules' versions) with a
    ``BUILD``; that is taken and dropped, any other attribute refused.
    """

    def __setstate__(self, state):
        if not isinstance(state, dict) or set(state) - {"_metadata"}:
            raise Refused("its pickle sets attributes of an OrderedDict other than "
                          "state_dict()'s '_metadata'")


class Global:
    """What a global the pickle names becomes: a stand-in of ours, never the real object.

    Attributes
    ----------
    module, name : str
        The global's name, as the pickle gives it.
    storage : DType or None
        For a storage class (``torch.FloatStorage``): its element type.
    dtype : DType or None
        For a dtype (``torch.float32``): the element type.
    function : callable or None
        For a function the pickle may call (the tensor rebuilders, ``OrderedDict``…): our own
        version of it. A stand-in without one refuses to be called.
    """

    __slots__ = ("dtype", "function", "module", "name", "storage")

    def __init__(self, module: str, name: str, storage: DType | None = None,
                 dtype: DType | None = None, function: Callable | None = None):
        self.module, self.name = module, name
        self.storage, self.dtype, self.function = storage, dtype, function

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"

    def __call__(self, *args):  # the REDUCE opcode (and INST, OBJ) calls it
        if self.function is None:
            raise Refused(f"its pickle calls {self!r}, which a state dict only names, never "
                          "calls: refused (nothing was called)")
        return self.function(*args)

    def __setstate__(self, state):
        raise Refused(f"its pickle sets attributes of {self!r} (a BUILD opcode), which "
                      "torch.save never does")


# --------------------------------------------------------------------------------------------
# our versions of the functions a state dict's pickle calls


def _ordered_dict(items=None) -> StateDict:
    if items is None:
        return StateDict()
    if not isinstance(items, list) or not all(
            isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in items):
        raise Refused("its pickle calls OrderedDict with something other than a list of "
                      "(key, value) pairs")
    return StateDict(items)


def _hooks(requires_grad, backward_hooks) -> None:
    """torch pickles ``requires_grad`` and an empty ``OrderedDict`` of hooks: check, drop."""
    if not isinstance(requires_grad, bool) or not isinstance(backward_hooks, dict):
        raise Refused("its pickle rebuilds a tensor with requires_grad and backward_hooks that "
                      "are not a bool and a dict")


def _no_metadata(metadata) -> None:
    if metadata:  # set_tensor_metadata's conjugate/negative bits: no real weights have them
        raise Refused("its pickle rebuilds a tensor with metadata "
                      f"{sorted(map(str, metadata)) if isinstance(metadata, dict) else '?'}, "
                      "which is not read")


def _rebuild_tensor(storage, offset, size, stride) -> Tensor:
    return rebuild(storage, offset, size, stride)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks,
                       metadata=None) -> Tensor:
    _hooks(requires_grad, backward_hooks)
    _no_metadata(metadata)
    return rebuild(storage, offset, size, stride)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, backward_hooks, dtype,
                       metadata=None) -> Tensor:
    """torch's rebuild for the dtypes without a storage class (uint16…): bytes + a dtype."""
    _hooks(requires_grad, backward_hooks)
    _no_metadata(metadata)
    if not isinstance(dtype, Global) or dtype.dtype is None:
        raise Refused(f"its pickle rebuilds a tensor of dtype {dtype!r}, not a torch dtype")
    return rebuild(storage, offset, size, stride, dtype=dtype.dtype)


def _rebuild_parameter(data, requires_grad, backward_hooks, state=None) -> Tensor:
    """A ``torch.nn.Parameter`` is its tensor here (``state``: its Python attributes, dropped)."""
    _hooks(requires_grad, backward_hooks)
    if not isinstance(data, Tensor):
        raise Refused("its pickle rebuilds a parameter from something other than a tensor")
    return data


def _size(dims=()) -> tuple:
    if not isinstance(dims, (list, tuple)) or not all(
            isinstance(n, int) and not isinstance(n, bool) for n in dims):
        raise Refused("its pickle calls torch.Size with something other than integers")
    return tuple(dims)


def _device(kind, index=None) -> str:
    if not isinstance(kind, str) or not (index is None or isinstance(index, int)):
        raise Refused("its pickle calls torch.device with something other than a name")
    return kind if index is None else f"{kind}:{index}"


def _collection(kind: type) -> Callable:
    def make(items=None):
        if items is None:
            return kind()
        if not isinstance(items, list):
            raise Refused(f"its pickle calls {kind.__name__} with something other than a list")
        return kind(items)
    return make


def _bytes(*args) -> bytes:
    """Protocol 2 pickles ``b''`` as ``bytes()`` and other bytes as
    ``_codecs.encode(text, 'latin1')``."""
    if args == ():
        return b""
    if len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return args[0].encode("latin1")
    raise Refused("its pickle makes bytes from something other than latin-1 text")


def _complex(real=0.0, imag=0.0) -> complex:
    if not all(isinstance(x, (int, float)) for x in (real, imag)):
        raise Refused("its pickle calls complex with something other than numbers")
    return complex(real, imag)


def _globals() -> dict[tuple[str, str], Global]:
    """Every global a state dict's pickle may name, as ``(module, name)`` → stand-in. These are
    what ``torch.save`` writes for tensors, parameters, storages of every dtype, dtypes, sizes,
    devices and plain Python values (protocol 2 names ``builtins`` ``__builtin__``)."""
    functions = {
        ("collections", "OrderedDict"): _ordered_dict,
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
        ("torch", "Size"): _size,
        ("torch", "device"): _device,
        ("_codecs", "encode"): _bytes,
    }
    for builtins in ("builtins", "__builtin__"):
        functions[(builtins, "set")] = _collection(set)
        functions[(builtins, "frozenset")] = _collection(frozenset)
        functions[(builtins, "bytes")] = _bytes
        functions[(builtins, "complex")] = _complex
    table = {key: Global(*key, function=function) for key, function in functions.items()}
    for name, dtype in TORCH_STORAGES.items():
        table[("torch", name)] = Global("torch", name, storage=dtype)
    table[("torch.storage", "UntypedStorage")] = Global("torch.storage", "UntypedStorage",
                                                        storage=TORCH_STORAGES["UntypedStorage"])
    for name, dtype in TORCH_DTYPES.items():
        table[("torch", name)] = Global("torch", name, dtype=dtype)
    return table


STATE_DICT_GLOBALS = _globals()


def refusal(module: str, name: str) -> str:
    """Why the global ``module.name`` is refused, for the error message."""
    dotted = f"{module}.{name}"
    if module.split(".")[0] in _MODEL_MODULES or module == "torch.nn" \
            or module.startswith("torch.nn."):
        return (f"its pickle refers to {dotted}, a class of a model: the file holds a whole "
                "pickled model (torch.save(model)), not a state dict. Save the weights alone, "
                "torch.save(model.state_dict(), path), and load that file. (Nothing was "
                f"imported or called: {dotted} was refused by name.)")
    return (f"its pickle refers to the global {dotted}, which a state dict never needs (it may "
            "name only tensors, their storages and dtypes, OrderedDict and plain Python "
            "values): refused, as loading it would import and call code. (Nothing was "
            f"imported or called: {dotted} was refused by name.)")


class Storages:
    """The storages a ``torch.save`` pickle declares in its persistent ids, one record a key.

    Called with each persistent id (it is the unpickler's ``persistent_load``):
    ``("storage", storage class, key, location, numel)``, and in the legacy format a sixth
    entry, a storage view (``None`` since torch 1.0; views are not read). The location
    (``"cpu"``, ``"cuda:0"``) is dropped: every array is read onto the CPU.
    """

    def __init__(self):
        self.by_key: dict[str, Storage] = {}

    def __call__(self, pid) -> Storage:
        kind = pid[0] if isinstance(pid, tuple) and pid else None
        kind = kind.decode("ascii", "replace") if isinstance(kind, bytes) else kind
        if kind == "module":
            raise Refused("its pickle holds a whole pickled model (a 'module' persistent id, "
                          "as torch.save(model) writes), not a state dict. Save the weights "
                          "alone, torch.save(model.state_dict(), path), and load that file")
        if kind != "storage" or len(pid) not in (5, 6):
            raise Refused("its pickle holds a persistent id that is not a storage's "
                          "('storage', class, key, location, numel)")
        storage_class, key, _location, numel = pid[1:5]
        if len(pid) == 6 and pid[5] is not None:
            raise Refused("its pickle holds a storage view (written by torch before 1.0), "
                          "which is not read")
        if not isinstance(storage_class, Global) or storage_class.storage is None:
            raise Refused(f"its pickle declares a storage of class {storage_class!r}, not a "
                          "torch storage class")
        if not isinstance(key, str) or isinstance(numel, bool) or not isinstance(numel, int) \
                or numel < 0:
            raise Refused("its pickle declares a storage whose key is not a string or whose "
                          "element count is not an integer >= 0")
        storage = self.by_key.setdefault(key, Storage(key, storage_class.storage, numel))
        if (storage.dtype, storage.numel) != (storage_class.storage, numel):
            raise Refused(f"its pickle declares the storage {key!r} twice, as {storage.numel} "
                          f"{storage.dtype.name} and as {numel} {storage_class.storage.name} "
                          "elements")
        return storage


class Unpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that answers globals from ``allowed`` and persistent ids with
    ``persistent_id`` (a format's storage records), and refuses everything else."""

    def __init__(self, data: bytes, allowed: dict[tuple[str, str], Global],
                 persistent_id: Callable | None = None):
        super().__init__(io.BytesIO(data))
        self._allowed = allowed
        self._persistent_id = persistent_id

    def find_class(self, module, name):
        found = self._allowed.get((module, name))
        if found is None:
            raise Refused(refusal(str(module), str(name)))
        return found

    def persistent_load(self, pid):
        if self._persistent_id is None:
            raise Refused("its pickle holds a persistent id where none belongs")
        return self._persistent_id(pid)


def scan(data: bytes, what: str) -> int:
    """Where the pickle at the start of ``data`` ends (one past its STOP opcode).

    Runs nothing: it walks the opcodes (``pickletools.genops``), which reads each declared
    length from the bytes there are, so a length longer than the rest is refused rather than
    allocated. The opcodes are counted (at most ``MAX_PICKLE_OPCODES``) and memo indices must
    be below that count (a pickler numbers its memo from 0; ``pickle.loads`` would allocate a
    memo as large as the index). ``what`` names the pickle in messages.
    """
    count = 0
    try:
        for opcode, arg, position in pickletools.genops(data):
            count += 1
            if count > MAX_PICKLE_OPCODES:
                raise Refused(f"{what} has more than {MAX_PICKLE_OPCODES} opcodes (a state "
                              "dict takes ~30 a tensor)")
            if opcode.name in _MEMO_OPCODES and arg >= count:
                raise Refused(f"{what} stores memo entry {arg} at opcode {count}: a pickler "
                              "numbers its memo from 0, so the pickle is corrupt or hostile")
            if opcode.name == "STOP":
                return position + 1
    except ValueError as error:  # genops: a length past the end, an unknown opcode
        if isinstance(error, Refused):
            raise
        raise Refused(f"{what} is truncated or corrupt: {error}") from error
    raise Refused(f"{what} is truncated: it ends without a STOP opcode")


def load(data: bytes, what: str, allowed: dict[tuple[str, str], Global],
         persistent_id: Callable | None = None):
    """Unpickle the pickle that ``data`` starts with: ``(value, end)``, ``end`` one past it.

    The pickle is scanned first (:func:`scan`); then ``Unpickler`` runs it with ``allowed``
    globals. A malformed pickle is refused with ``what`` named.
    """
    end = scan(data, what)
    try:
        return Unpickler(data[:end], allowed, persistent_id).load(), end
    except Refused:
        raise
    except (pickle.UnpicklingError, EOFError, TypeError, AttributeError, KeyError, IndexError,
            ValueError, OverflowError) as error:
        raise Refused(f"{what} is malformed: {type(error).__name__}: {error}") from error
