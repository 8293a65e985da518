"""The training loop and the ``train`` command: it learns, it is reproducible, it fails clearly."""

import json

import numpy as np
import pytest

from numpy_gradcam import models, training
from numpy_gradcam.cli import main
from numpy_gradcam.io import load_npz, sha256_file

TINY = (4, 8, 8, 8)


def tiny_model(seed=0):
    return models.build("tinycnn-gap", seed=seed, widths=TINY)


def easy_data(n=192, size=32, seed=0):
    """Class k: a square of colour k (red, green, blue, white) at a random place, over noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 4
    colours = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=float)
    images = rng.uniform(0, 0.3, size=(n, 3, size, size))
    for i, k in enumerate(labels):
        r, c = rng.integers(0, size - 10, size=2)
        images[i, :, r:r + 10, c:c + 10] = colours[k][:, None, None]
    return images, labels


def test_training_lowers_the_loss_and_learns():
    images, labels = easy_data()
    model = tiny_model()
    before = training.evaluate(model, images, labels)
    history = training.train(model, images, labels, epochs=3, batch_size=32, lr=1e-2,
                             augment=False, val=(images, labels))
    assert history.loss[-1] < history.loss[0]
    assert len(history.loss) == len(history.val_accuracy) == len(history.time) == 3
    assert history.steps == 3 * (192 // 32)
    assert history.val_accuracy[-1] > max(before, 0.5)
    # parameters stay float64 although the passes ran in float32
    assert all(p.dtype == np.float64 for p in model.parameters().values())


def test_same_seed_gives_bit_identical_weights_other_seed_differs():
    images, labels = easy_data(n=96)

    def run(seed):
        model = tiny_model()
        training.train(model, images, labels, epochs=2, batch_size=32, seed=seed)
        return model.state_dict()

    a, b, c = run(1), run(1), run(2)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert any(not np.array_equal(a[k], c[k]) for k in a if k.endswith("weight"))


def test_training_updates_batchnorm_buffers_and_evaluation_does_not():
    images, labels = easy_data(n=64)
    model = tiny_model()
    training.train(model, images, labels, epochs=1, batch_size=32)
    assert model["bn1"].buffers["num_batches_tracked"] == 2
    state = model.state_dict()
    training.evaluate(model, images, labels)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[key])


def test_cosine_schedule():
    assert training.learning_rate(0.1, 0, 10) == 0.1
    assert training.learning_rate(0.1, 5, 10) == pytest.approx(0.05)
    assert training.learning_rate(0.1, 7, 10, "constant") == 0.1
    # warm-up: 0.1·1/4, 0.1·2/4, ... then the cosine over the remaining 6 steps
    assert [training.learning_rate(0.1, t, 10, warmup=4) for t in range(4)] == pytest.approx(
        [0.025, 0.05, 0.075, 0.1])
    assert training.learning_rate(0.1, 4, 10, warmup=4) == 0.1
    assert training.learning_rate(0.1, 7, 10, warmup=4) == pytest.approx(0.05)


def test_flip_keeps_labels_and_pixels():
    x = np.arange(2 * 1 * 2 * 3, dtype=float).reshape(2, 1, 2, 3)
    y = training.flip(x, np.random.default_rng(0))
    for a, b in zip(x, y, strict=True):
        assert any(np.array_equal(b, f) for f in (a, a[..., ::-1], a[..., ::-1, :],
                                                   a[..., ::-1, ::-1]))


def test_train_argument_errors():
    images, labels = easy_data(n=8)
    model = tiny_model()
    with pytest.raises(ValueError, match="epochs must be an integer >= 1, got 0"):
        training.train(model, images, labels, epochs=0)
    with pytest.raises(ValueError, match=r"labels must be class indices in 0 \.\. 3, got 7"):
        training.train(model, images, np.full(8, 7), epochs=1)
    with pytest.raises(ValueError, match="warmup must be fewer steps than the 1 of the whole run"):
        training.train(model, images, labels, epochs=1, batch_size=8, warmup=1)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        training.train(model, images, labels, epochs=1, optimizer="lbfgs")
    with pytest.raises(TypeError, match="images must have dtype float32 or float64"):
        training.train(model, (images * 255).astype(np.uint8), labels, epochs=1)


# --- the command ---------------------------------------------------------------------------

BASE = ["train", "--model", "tinycnn-gap", "--epochs", "1", "--n-train", "64",
        "--n-heldout", "32", "--widths", "4,8,8,8", "--quiet"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epochs", "0"], "--epochs must be an integer >= 1, got 0"),
        (["--n-train", "-5"], "--n-train must be an integer >= 1, got -5"),
        (["--batch-size", "0"], "--batch-size must be an integer >= 1, got 0"),
        (["--lr", "-1"], "--lr must be a finite number > 0"),
        (["--seed", "1000003"], "--seed must be an integer >= 0 other than 1000003"),
        (["--widths", "4,x"], "--widths must be comma-separated integers"),
        (["--warmup", "-1"], "--warmup must be an integer >= 0, got -1"),
    ],
)
def test_cli_argument_errors_exit_2(tmp_path, capsys, extra, message):
    code = main([*BASE, "--out", str(tmp_path / "m.npz"), *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_cli_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "m.npz"
    out.write_bytes(b"old")
    assert main([*BASE, "--out", str(out)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    assert out.read_bytes() == b"old"
    assert main([*BASE, "--out", str(tmp_path / "missing" / "m.npz")]) == 2
    assert main([*BASE, "--out", str(tmp_path / "m.txt")]) == 2


def test_cli_writes_weights_and_card(tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert main([*BASE, "--out", str(out)]) == 0
    card = json.loads((tmp_path / "m.json").read_text())
    assert card["sha256"] == sha256_file(out)
    assert card["architecture"] == "tinycnn-gap"
    assert card["architecture_options"] == {"widths": [4, 8, 8, 8]}
    assert card["input_size"] == [3, 64, 64]
    assert card["evaluation"]["heldout_seed"] == 1_000_003
    assert 0.0 <= card["evaluation"]["heldout_accuracy"] <= 1.0
    assert card["training"]["command"].startswith("numpy-gradcam train --model tinycnn-gap")
    model = models.build(card["architecture"], **card["architecture_options"])
    model.load_state_dict(load_npz(out))
    assert "heldout accuracy" in capsys.readouterr().out
    # the same command again gives the same bytes (with --force)
    first = out.read_bytes()
    assert main([*BASE, "--out", str(out), "--force"]) == 0
    assert out.read_bytes() == first


def test_cli_biased_reports_cue_swapped_accuracy(tmp_path, capsys):
    out = tmp_path / "b.npz"
    args = [a if a != "tinycnn-gap" else "tinycnn-biased" for a in BASE]
    assert main([*args, "--out", str(out)]) == 0
    evaluation = json.loads((tmp_path / "b.json").read_text())["evaluation"]
    assert {"biased_split_accuracy", "cue_swapped_accuracy", "no_cue_accuracy"} <= set(evaluation)
    assert "cue swapped accuracy" in capsys.readouterr().out


def test_ctrl_c_during_training_leaves_previous_files_intact(tmp_path, capsys, monkeypatch):
    out, card = tmp_path / "m.npz", tmp_path / "m.json"
    out.write_bytes(b"previous weights")
    card.write_text("previous card")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "train", interrupted)
    assert main([*BASE, "--out", str(out), "--force"]) == 130
    assert out.read_bytes() == b"previous weights"
    assert card.read_text() == "previous card"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.npz"]   # no temp files
    assert "interrupted" in capsys.readouterr().err


def test_ctrl_c_while_writing_leaves_previous_files_intact(tmp_path, monkeypatch):
    from numpy_gradcam.commands import train as command

    out = tmp_path / "m.npz"
    out.write_bytes(b"previous weights")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "save_json", interrupted)
    assert main([*BASE, "--out", str(out), "--force"]) == 130
    assert out.read_bytes() == b"previous weights"
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]
