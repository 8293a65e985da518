"""Hostile inputs, round two (issue 18, item 6): a run's several files appear together or not
at all — ``evaluate``'s ``results.*``/``sanity.*``, ``train``'s weights and model card.

A Ctrl-C is simulated two ways: a ``KeyboardInterrupt`` raised inside the work (what Python
raises when SIGINT arrives there), and a real SIGINT sent to this process while the files are
being moved into place (held back until the last one is in).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal

import pytest

from numpy_gradcam import io
from numpy_gradcam.cli import main
from numpy_gradcam.evaluation import suite

EVALUATE = ["evaluate", "--n", "4", "--batch-size", "2", "--steps", "2", "--sanity-n", "2",
            "--methods", "gradcam", "--metrics", "pointing,energy,sanity", "--quiet"]
TRAIN = ["train", "--model", "tinycnn-gap", "--epochs", "1", "--n-train", "8",
         "--n-heldout", "4", "--batch-size", "8", "--widths", "4,4,4,4", "--quiet"]


def _snapshot(folder) -> dict[str, str]:
    """Every entry of ``folder`` (hidden ones included) → the sha256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(folder.iterdir())}


# --------------------------------------------------------------------------------------------
# io.write_together


def test_files_appear_together_when_the_block_ends(tmp_path):
    with io.write_together(tmp_path, ["a.txt", "b.txt"]) as folder:
        (folder / "a.txt").write_text("A")
        assert not (tmp_path / "a.txt").exists(), "nothing is visible before the block ends"
        (folder / "b.txt").write_text("B")
    assert _snapshot(tmp_path).keys() == {"a.txt", "b.txt"}
    assert (tmp_path / "a.txt").read_text() + (tmp_path / "b.txt").read_text() == "AB"


def test_an_interrupted_block_leaves_the_folder_as_it_was(tmp_path):
    (tmp_path / "a.txt").write_text("old a")
    (tmp_path / "b.txt").write_text("old b")
    before = _snapshot(tmp_path)
    with pytest.raises(KeyboardInterrupt), \
            io.write_together(tmp_path, ["a.txt", "b.txt"], force=True) as folder:
        (folder / "a.txt").write_text("new a")
        raise KeyboardInterrupt
    assert _snapshot(tmp_path) == before, "no new file, no staging folder left"


def test_a_ctrl_c_while_moving_into_place_is_held_back_until_all_are_in(tmp_path, monkeypatch):
    moved = []
    real_move = io._move_into_place

    def move_and_get_interrupted(tmp, path, force):
        if not moved:
            os.kill(os.getpid(), signal.SIGINT)          # a real Ctrl-C, mid-way
        real_move(tmp, path, force)
        moved.append(path.name)

    monkeypatch.setattr(io, "_move_into_place", move_and_get_interrupted)
    with pytest.raises(KeyboardInterrupt), \
            io.write_together(tmp_path, ["a.txt", "b.txt", "c.txt"]) as folder:
        for name in ("a.txt", "b.txt", "c.txt"):
            (folder / name).write_text(name)
    assert moved == ["a.txt", "b.txt", "c.txt"]
    assert _snapshot(tmp_path).keys() == {"a.txt", "b.txt", "c.txt"}
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_existing_file_is_refused_before_the_work(tmp_path):
    (tmp_path / "b.txt").write_text("keep")
    ran = []
    with pytest.raises(FileExistsError, match="refusing to overwrite"), \
            io.write_together(tmp_path, ["a.txt", "b.txt"]):
        ran.append(True)
    assert not ran and _snapshot(tmp_path).keys() == {"b.txt"}


def test_a_file_the_block_forgot_is_an_error_and_nothing_appears(tmp_path):
    with pytest.raises(ValueError, match=r"did not write b\.txt"), \
            io.write_together(tmp_path, ["a.txt", "b.txt"]) as folder:
        (folder / "a.txt").write_text("A")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("names", [[], ["../x"], ["a/b"], [".."]])
def test_names_must_be_plain_file_names(tmp_path, names):
    with pytest.raises(ValueError, match="plain file names"), \
            io.write_together(tmp_path, names):
        pass


# --------------------------------------------------------------------------------------------
# evaluate


def _interrupt_the_sanity_study(monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(suite, "sanity_study", interrupted)


def test_evaluate_interrupted_after_its_results_leaves_no_file(tmp_path, monkeypatch, capsys):
    """The results table is computed and written before the sanity study starts: a Ctrl-C in
    the study must not leave ``results.*`` without ``sanity.*`` (which then blocked a rerun)."""
    out = tmp_path / "run"
    _interrupt_the_sanity_study(monkeypatch)
    assert main(EVALUATE + ["--out", str(out)]) == 130
    assert list(out.iterdir()) == []
    monkeypatch.undo()
    assert main(EVALUATE + ["--out", str(out)]) == 0, "a rerun needs no --force"
    assert {"results.md", "results.csv", "sanity.md", "sanity.csv", "sanity.png"} <= set(
        _snapshot(out))


def test_evaluate_force_interrupted_keeps_the_older_run_whole(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    assert main(EVALUATE + ["--out", str(out)]) == 0
    (out / "notes.txt").write_text("the user's own file")
    before = _snapshot(out)
    _interrupt_the_sanity_study(monkeypatch)
    assert main(EVALUATE + ["--out", str(out), "--force", "--n", "6"]) == 130
    assert _snapshot(out) == before


# --------------------------------------------------------------------------------------------
# train


def test_train_weights_and_card_always_match(tmp_path, monkeypatch, capsys):
    """A Ctrl-C between the two renames (a real SIGINT) is held back: both files land, the
    card's sha256 is the weights', and the command still ends as interrupted."""
    out = tmp_path / "model.npz"
    calls = []
    real_move = io._move_into_place

    def move_and_get_interrupted(tmp, path, force):
        real_move(tmp, path, force)
        if path.parent == tmp_path:                      # not a rename inside the staging
            if not calls:
                os.kill(os.getpid(), signal.SIGINT)
            calls.append(path.name)

    monkeypatch.setattr(io, "_move_into_place", move_and_get_interrupted)
    assert main(TRAIN + ["--out", str(out)]) == 130
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert sorted(calls) == ["model.json", "model.npz"]


def test_train_interrupted_before_the_files_keeps_the_old_pair(tmp_path, monkeypatch, capsys):
    out = tmp_path / "model.npz"
    out.write_bytes(b"old weights")
    out.with_suffix(".json").write_text("{}")
    before = _snapshot(tmp_path)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "sha256_file", interrupted)
    monkeypatch.setattr("numpy_gradcam.commands.train.sha256_file", interrupted)
    assert main(TRAIN + ["--out", str(out), "--force"]) == 130
    assert _snapshot(tmp_path) == before


def test_a_card_that_does_not_describe_its_weights_is_refused(tmp_path, capsys):
    out = tmp_path / "model.npz"
    assert main(TRAIN + ["--out", str(out)]) == 0
    card = json.loads(out.with_suffix(".json").read_text())
    card["sha256"] = "0" * 64
    out.with_suffix(".json").write_text(json.dumps(card))
    from numpy_gradcam import load_model

    with pytest.raises(ValueError, match="sha256"):
        load_model(str(out))


# --------------------------------------------------------------------------------------------
# vectors export


def test_vectors_export_interrupted_leaves_no_file(tmp_path, monkeypatch):
    from numpy_gradcam.verification import vectors

    real, calls = vectors.reference, []

    def interrupted_at_the_second_case(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(vectors, "reference", interrupted_at_the_second_case)
    with pytest.raises(KeyboardInterrupt):
        vectors.export(tmp_path / "golden")
    assert list((tmp_path / "golden").iterdir()) == []


def test_vectors_export_computes_on_one_blas_thread(tmp_path, monkeypatch):
    """``OPENBLAS_NUM_THREADS=1`` and ``=2`` wrote different bytes (1.8e-15 in fc-batch's
    logits): the export holds BLAS to one thread whatever the caller allowed."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from numpy_gradcam.verification import vectors

    real, seen = vectors.reference, []

    def spy(*args, **kwargs):
        seen.append({lib["num_threads"] for lib in threadpool_info()
                     if lib["user_api"] == "blas"})
        return real(*args, **kwargs)

    monkeypatch.setattr(vectors, "reference", spy)
    with threadpool_limits(2, user_api="blas"):
        vectors.export(tmp_path / "golden", cases=["gap-small", "fc-batch"])
    assert seen and all(threads == {1} for threads in seen), seen
