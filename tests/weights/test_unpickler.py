"""The restricted unpickler: hostile pickles are refused by the name of their global, and
nothing they ask for is imported or run (a canary file proves it), in both torch formats.

Each payload is first shown to work: ``pickle.loads`` of the same bytes runs it and the canary
appears. So a test here fails if the reader ever runs the pickle as ``pickle.load`` would.
"""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict
from numpy_gradcam.weights import unpickler

from . import files
from .files import call, global_, pickled, value

FORMATS = ("zip", "legacy")


def _payloads(tmp_path, canary):
    """name → (module, name, args) of a global call that would touch ``canary``."""
    module = f"canary_{os.getpid()}_{tmp_path.name}".replace("-", "_")
    (tmp_path / f"{module}.py").write_text(
        f"import pathlib\npathlib.Path({str(canary)!r}).touch()\n")
    python = f"__import__('pathlib').Path({str(canary)!r}).touch()"
    evil = files.write_legacy(tmp_path / "evil.pth", pickled(call(
        global_(os.system.__module__, "system"), value(f"touch {canary}"))), {})
    return module, {
        "os.system": (os.system.__module__, "system", (f"touch {canary}",)),
        "eval": ("builtins", "eval", (python,)),
        "exec": ("builtins", "exec", (python,)),
        "subprocess.Popen": ("subprocess", "Popen", (["touch", str(canary)],)),
        "importlib.import_module": ("importlib", "import_module", (module,)),
        "torch.load": ("torch", "load", (str(evil),)),
        "torch.serialization.load": ("torch.serialization", "load", (str(evil),)),
    }


PAYLOADS = ("os.system", "eval", "exec", "subprocess.Popen", "importlib.import_module",
            "torch.load", "torch.serialization.load")


def _hostile(path, fmt, module, name, args):
    """A state dict whose value 'w' is ``module.name(*args)``."""
    obj = files.state_dict({"w": call(global_(module, name), *(value(a) for a in args))})
    return files.write_checkpoint(path, fmt, obj, {})


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_global_is_refused_by_name_and_nothing_runs(tmp_path, monkeypatch, fmt,
                                                               payload):
    canary = tmp_path / "canary"
    module_name, payloads = _payloads(tmp_path, canary)
    monkeypatch.syspath_prepend(str(tmp_path))
    module, name, args = payloads[payload]
    path = _hostile(tmp_path / "weights.pth", fmt, module, name, args)

    with pytest.raises(ValueError, match=rf"refers to the global {module}\.{name}, which a "
                                         r"state dict never needs.*Nothing was imported or "
                                         rf"called: {module}\.{name} was refused by name"):
        load_state_dict(path)
    assert not canary.exists()
    assert module_name not in sys.modules

    if module.startswith("torch"):
        return  # torch.load(weights_only=True), its default, would refuse the evil file too
    try:  # the control: the same pickle, run by pickle.loads, does touch the canary
        ran = pickle.loads(pickled(call(global_(module, name), *(value(a) for a in args))))
        if isinstance(ran, subprocess.Popen):
            ran.wait()
        assert canary.exists()
    finally:
        sys.modules.pop(module_name, None)


def test_reading_never_imports_torch_even_when_the_file_names_torch_load(tmp_path):
    """In a fresh interpreter: a refused torch.load, then a good checkpoint; torch stays out."""
    canary = tmp_path / "canary"
    _, payloads = _payloads(tmp_path, canary)
    hostile = _hostile(tmp_path / "hostile.pth", "zip", *payloads["torch.load"])
    obj, storages = files.float_state("zip")
    good = files.write_checkpoint(tmp_path / "good.pth", "zip", obj, storages)
    script = (
        "import sys\n"
        "from numpy_gradcam.io import load_state_dict\n"
        f"try:\n    load_state_dict({str(hostile)!r})\n"
        "except ValueError as error:\n    print('refused' if 'torch.load' in str(error) else "
        "error)\n"
        f"print(load_state_dict({str(good)!r})['w'].shape)\n"
        "print('torch imported' if 'torch' in sys.modules else 'torch not imported')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.stdout.split("\n")[:3] == ["refused", "(3, 4)", "torch not imported"], run.stderr
    assert not canary.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_global_of_a_module_not_imported_yet_is_not_imported(tmp_path, monkeypatch, fmt):
    imported, called = tmp_path / "imported", tmp_path / "called"
    module = f"canary_module_{fmt}"
    (tmp_path / f"{module}.py").write_text(
        f"import pathlib\npathlib.Path({str(imported)!r}).touch()\n"
        f"def touch():\n    pathlib.Path({str(called)!r}).touch()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = _hostile(tmp_path / "weights.pth", fmt, module, "touch", ())
    try:
        with pytest.raises(ValueError, match=rf"refers to the global {module}\.touch"):
            load_state_dict(path)
        assert not imported.exists() and not called.exists() and module not in sys.modules
        pickle.loads(pickled(call(global_(module, "touch"))))  # the control
        assert imported.exists() and called.exists()
    finally:
        sys.modules.pop(module, None)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("module, name", [("torchvision.models.resnet", "ResNet"),
                                          ("torch.nn.modules.conv", "Conv2d"),
                                          ("__main__", "Net")])
def test_a_whole_pickled_model_by_hand_says_to_save_the_state_dict(tmp_path, fmt, module, name):
    obj = call(global_("torch._utils", "_rebuild_parameter"),
               call(global_(module, name)), value(False), files.ordered_dict())
    path = files.write_checkpoint(tmp_path / "model.pth", fmt, obj, {})
    with pytest.raises(ValueError, match=rf"refers to {module}\.{name}, a class of a model: the "
                                         r"file holds a whole pickled model.*torch\.save\(model"
                                         r"\.state_dict\(\), path\)"):
        load_state_dict(path)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_whole_pickled_torch_module_says_to_save_the_state_dict(tmp_path, torch, fmt):
    path = tmp_path / "linear.pth"
    torch.save(torch.nn.Linear(2, 3), path, _use_new_zipfile_serialization=fmt == "zip")
    with pytest.raises(ValueError, match=r"refers to torch\.nn\.modules\.linear\.Linear, a "
                                         r"class of a model.*model\.state_dict\(\)"):
        load_state_dict(path)


# --- what a pickle may do with the globals it is allowed -------------------------------------

STORAGE_ID = files.storage("0", 12)
TENSOR = files.tensor(STORAGE_ID, 0, (12,), (1,))


@pytest.mark.parametrize("obj, match", [
    # REDUCE on a storage class: torch.save names it, never calls it
    (call(global_("torch", "FloatStorage"), value(3)), r"calls torch\.FloatStorage, which a "
                                                       r"state dict only names, never calls"),
    (call(global_("torch", "float32")), r"calls torch\.float32"),
    # BUILD (b) on a tensor, on a storage class, on OrderedDict with attributes it never has
    (TENSOR + value({"x": 1}) + b"b", r"sets the attributes of a tensor"),
    (global_("torch", "FloatStorage") + value({"x": 1}) + b"b", r"sets attributes of "
                                                                r"torch\.FloatStorage"),
    (files.ordered_dict() + value({"__class__": 1}) + b"b",
     r"sets attributes of an OrderedDict other than state_dict\(\)'s '_metadata'"),
    # NEWOBJ needs a class; a stand-in is none
    (global_("collections", "OrderedDict") + value(()) + b"\x81", r"pickle .* is malformed"),
    # the allowed functions check what they are given
    (call(global_("torch._utils", "_rebuild_tensor_v2"), value("0"), value(0), value((1,)),
          value((1,)), value(False), files.ordered_dict()), r"builds a tensor on of type str"),
    (call(global_("collections", "OrderedDict"), value("ab")), r"calls OrderedDict with "
                                                                r"something other than a list"),
    (call(global_("_codecs", "encode"), value("x"), value("rot13")),
     r"makes bytes from something other than latin-1"),
])
def test_allowed_globals_are_only_used_as_torch_uses_them(tmp_path, obj, match):
    path = files.write_zip(tmp_path / "w.pth", pickled(files.state_dict({"w": TENSOR}) + b"0"
                                                       + obj), {"0": bytes(48)})
    # the object is what the pickle returns: the state dict above is popped (0, POP)
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_state_dicts_metadata_and_plain_python_values_are_read(tmp_path):
    metadata = value({"_metadata": {"": {"version": 1}}})
    plain = files.dict_of({
        "epoch": value(90), "lr": value(0.1), "name": value("resnet"), "flags": value([True]),
        "set": call(global_("__builtin__", "set"), value([1, 2])),
        "bytes": call(global_("_codecs", "encode"), value("ab"), value("latin1")),
        "empty": call(global_("__builtin__", "bytes")),
        "complex": call(global_("__builtin__", "complex"), value(1.0), value(2.0)),
        "size": call(global_("torch", "Size"), value([2, 3])),
        "device": call(global_("torch", "device"), value("cuda"), value(0)),
        "dtype": global_("torch", "float32"),
    })
    obj = files.dict_of({"state_dict": files.state_dict({"w": TENSOR}) + metadata + b"b",
                         "meta": plain})
    path = files.write_zip(tmp_path / "w.pth", pickled(obj), {"0": np.arange(12, dtype="<f4")
                                                            .tobytes()})
    report = []
    assert load_state_dict(path, report=report)["w"].tolist() == list(range(12))
    assert report == ["took the weights from the checkpoint's 'state_dict' entry (beside: "
                      "meta)"]


# --- the scan: what a pickle declares is checked before the unpickler allocates it -----------


@pytest.mark.parametrize("opcodes, match", [
    # BINBYTES8 declaring 2**40 bytes: pickle.loads raises MemoryError here
    (b"\x8e" + (1 << 40).to_bytes(8, "little"), r"is truncated or corrupt: expected "
                                                r"1099511627776 bytes in a bytes8"),
    # LONG_BINPUT at memo index 2**31: pickle.loads allocates a memo that large
    (b"N" + b"r" + (1 << 31).to_bytes(4, "little"), r"stores memo entry 2147483648 at opcode 3"),
    (b"\xff", r"truncated or corrupt: at position 2, opcode b'\\xff' unknown"),
    (b"N", r"truncated or corrupt: pickle exhausted before seeing STOP"),
])
def test_the_scan_refuses_declared_sizes_before_unpickling(tmp_path, opcodes, match):
    path = files.write_zip(tmp_path / "w.pth", b"\x80\x04" + opcodes, {})
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_the_scan_counts_opcodes(tmp_path, monkeypatch):
    monkeypatch.setattr(unpickler, "MAX_PICKLE_OPCODES", 20)
    obj, storages = files.float_state("zip")
    path = files.write_checkpoint(tmp_path / "w.pth", "zip", obj, storages)
    with pytest.raises(ValueError, match=r"has more than 20 opcodes"):
        load_state_dict(path)
    monkeypatch.setattr(unpickler, "MAX_PICKLE_OPCODES", 100)
    assert load_state_dict(path)["w"].shape == (3, 4)


@pytest.mark.parametrize("pid, match", [
    (value(("module", "Net", "net.py", "class Net: ...")), r"holds a whole pickled model \(a "
                                                           r"'module' persistent id"),
    (value("0"), r"persistent id that is not a storage's"),
    (b"(" + value("storage") + value("FloatStorage") + value("0") + value("cpu") + value(3)
     + b"t", r"declares a storage of class 'FloatStorage', not a torch storage class"),
    (b"(" + value("storage") + global_("torch", "FloatStorage") + value("0") + value("cpu")
     + value(-3) + b"t", r"element count is not an integer >= 0"),
])
def test_persistent_ids_must_be_torch_storages(tmp_path, pid, match):
    obj = files.state_dict({"w": files.tensor(pid + b"Q", 0, (3,), (1,))})
    path = files.write_zip(tmp_path / "w.pth", pickled(obj), {})
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_one_storage_declared_twice_differently_is_refused(tmp_path):
    obj = files.state_dict({"a": files.tensor(files.storage("0", 12), 0, (3,), (1,)),
                            "b": files.tensor(files.storage("0", 6, "DoubleStorage"), 0, (3,),
                                              (1,))})
    path = files.write_zip(tmp_path / "w.pth", pickled(obj), {"0": bytes(48)})
    with pytest.raises(ValueError, match=r"declares the storage '0' twice, as 12 float32 and "
                                         r"as 6 float64 elements"):
        load_state_dict(path)
