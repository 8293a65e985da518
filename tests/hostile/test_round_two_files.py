"""Hostile files, round two (issue 18): sizes a file declares, files that are not files, and
names as long as a file system allows.

Each read of a hostile file runs in a child process under a time limit and an address-space
limit (``RLIMIT_AS``), so that a regression fails fast (a ``MemoryError``, a timeout) instead of
hanging the suite or eating the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from numpy_gradcam import io

#: The address space a child may use: importing NumPy and Pillow takes ~300 MB of it.
MEMORY_LIMIT = 1 << 30


def _child(code: str, timeout: float = 60.0) -> dict:
    """Run ``code`` (it defines ``run()``) in a child limited to ``MEMORY_LIMIT`` bytes; return
    ``{"ok": True}`` or the exception it raised as ``{"error": name, "message": str}``."""
    program = textwrap.dedent(f"""
        import json, resource
        resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))
        {textwrap.indent(textwrap.dedent(code), ' ' * 8).strip()}
        try:
            run()
            print(json.dumps({{"ok": True}}))
        except BaseException as error:
            print(json.dumps({{"error": type(error).__name__, "message": str(error)}}))
    """)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=timeout, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _npy(header: dict) -> bytes:
    """An ``.npy`` header (version 1.0) and no data."""
    import io as stdio

    out = stdio.BytesIO()
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# 1. memory bounded by what the file holds


def test_a_declared_shape_the_file_does_not_hold_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("w.npy", _npy({"descr": "<f8", "fortran_order": False,
                                   "shape": (1 << 40,)}) + bytes(16))
    got = _child(f"""
        from numpy_gradcam.io import load_npz
        def run():
            load_npz({str(path)!r})
    """)
    assert got.get("error") == "ValueError", got
    assert "huge.npz" in got["message"] and "'w'" in got["message"], got
    assert "8796093022208 bytes" in got["message"] and "16 bytes" in got["message"], got


@pytest.fixture(scope="module")
def inflating_npz(tmp_path_factory):
    """An ``.npz`` of ~1 MB whose member 'unknown' inflates to 1 GiB of zeros."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.npz"
    header = _npy({"descr": "|u1", "fortran_order": False, "shape": (1 << 30,)})
    chunk = bytes(1 << 24)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("unknown.npy", "w", force_zip64=True) as member:
            member.write(header)
            for _ in range((1 << 30) // len(chunk)):
                member.write(chunk)
    assert path.stat().st_size < 4 << 20
    return path


def test_required_keys_are_checked_before_any_array_is_read(inflating_npz):
    got = _child(f"""
        from numpy_gradcam.io import load_npz
        def run():
            load_npz({str(inflating_npz)!r}, required=["fc.weight"])
    """)
    assert got.get("error") == "ValueError", got
    assert "lacks the required key(s) ['fc.weight']" in got["message"], got


def test_arrays_above_the_budget_are_refused_before_they_are_read(inflating_npz):
    got = _child(f"""
        from numpy_gradcam.io import load_npz
        def run():
            load_npz({str(inflating_npz)!r}, max_bytes=1 << 20)
    """)
    assert got.get("error") == "ValueError", got
    assert "bomb.npz" in got["message"] and "'unknown'" in got["message"], got
    assert str(1 << 30) in got["message"] and "max_bytes" in got["message"], got


def test_the_budget_is_validated(tmp_path):
    io.save_npz(tmp_path / "w.npz", {"a": np.ones(4)})
    with pytest.raises(ValueError, match="max_bytes"):
        io.load_npz(tmp_path / "w.npz", max_bytes=-1)
    assert io.load_npz(tmp_path / "w.npz", max_bytes=32)["a"].tolist() == [1.0] * 4
    with pytest.raises(ValueError, match=r"w\.npz.*'a'.*32 bytes.*max_bytes = 31"):
        io.load_npz(tmp_path / "w.npz", max_bytes=31)


# --------------------------------------------------------------------------------------------
# 2. files that are not regular files


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("reader", ["load_image", "load_image_uint8", "image_size", "load_npz"])
def test_a_fifo_is_refused_without_waiting_for_a_writer(fifo, reader):
    got = _child(f"""
        from numpy_gradcam import io
        def run():
            io.{reader}({str(fifo)!r})
    """, timeout=30)
    assert got.get("error") == "ValueError", got
    assert "pipe.png" in got["message"] and "not a regular file" in got["message"], got
    assert "save it to a file first" in got["message"], got


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("reader", ["load_npz", "load_image", "sha256_file", "load_json"])
def test_an_endless_device_is_refused_without_reading_it(reader):
    got = _child(f"""
        from numpy_gradcam import io
        def run():
            io.{reader}("/dev/zero")
    """, timeout=30)
    assert got.get("error") == "ValueError", got
    assert "/dev/zero" in got["message"] and "not a regular file" in got["message"], got


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_verify_refuses_an_endless_device():
    got = _child("""
        from numpy_gradcam.verification.verify import verify
        def run():
            verify("/dev/zero", "gap-predicted")
    """, timeout=30)
    assert got.get("error") == "ValueError", got
    assert "not a regular file" in got["message"], got


# --------------------------------------------------------------------------------------------
# 4. the longest legal names


@pytest.mark.parametrize("stem_bytes", [241, 242, 250, 255 - len(".json")])
def test_atomic_write_takes_a_name_of_up_to_255_bytes(tmp_path, stem_bytes):
    path = tmp_path / ("a" * stem_bytes + ".json")
    io.save_json(path, {"x": 1})
    assert io.load_json(path) == {"x": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left


def test_the_temporary_file_is_hidden_short_and_beside_its_target(tmp_path):
    path = tmp_path / ("é" * 127 + "a")  # 255 bytes in UTF-8
    assert len(os.fsencode(path.name)) == 255
    seen = set()
    for _ in range(2):
        with io.atomic_write(path, force=True) as tmp:
            assert tmp.parent == path.parent and tmp.name.startswith(".")
            assert len(os.fsencode(tmp.name)) <= 32
            seen.add(tmp.name)
            tmp.write_bytes(b"x")
    assert len(seen) == 2 and path.read_bytes() == b"x"
