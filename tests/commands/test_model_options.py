"""``--model NAME_OR_FILE`` and ``--arch`` in every command that explains a model: a file that
``numpy-gradcam train`` wrote (no ``--arch``), a real architecture's weights file with
``--arch``, and the clear errors of a model that does not fit a command."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import models
from numpy_gradcam.cli import main
from numpy_gradcam.datasets import make_composite
from numpy_gradcam.io import load_image, load_npz, save_npz, save_png
from tests.conftest import require_torch

#: The fastest training run that writes a real model and its card (~0.1 s).
TRAIN = ["train", "--model", "tinycnn-gap", "--epochs", "1", "--n-train", "64",
         "--n-heldout", "32", "--widths", "4,8,8,8", "--quiet"]


def run_cli(*args):
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """What ``numpy-gradcam train`` writes: ``mine.npz`` and its card ``mine.json``."""
    out = tmp_path_factory.mktemp("trained") / "mine.npz"
    assert run_cli(*TRAIN, "--out", out) == 0
    return out


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    """A resnet18's weights (fresh, 1000 classes) in an .npz without a model card."""
    path = tmp_path_factory.mktemp("weights") / "resnet18-weights.npz"
    save_npz(path, models.build("resnet18", seed=3).state_dict())
    return path


@pytest.fixture
def scene(tmp_path):
    """A 64×64 PNG of two shapes."""
    path = tmp_path / "scene.png"
    save_png(path, make_composite(seed=3)[0])
    return path


def one_line_error(capsys, *texts):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for text in texts:
        assert text in err, err


# --- what train writes, read back with no --arch -------------------------------------------

def test_load_model_reads_what_train_wrote(trained):
    model = ng.load_model(trained)
    card = json.loads(trained.with_suffix(".json").read_text())
    assert model.card["sha256"] == card["sha256"] and model.card["architecture"] == "tinycnn-gap"
    assert model["conv1"].out_channels == 4 and model.target_layer == "relu4"
    stored = load_npz(trained)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, stored[key])


def test_explain_reads_what_train_wrote(trained, scene, tmp_path, capsys):
    out = tmp_path / "overlay.png"
    assert run_cli("explain", scene, "--model", trained, "--out", out) == 0
    assert "at layer relu4: wrote" in capsys.readouterr().out
    e = ng.explain(ng.load_model(trained), load_image(scene))            # 64×64: no resize
    np.testing.assert_allclose(load_image(out), np.round(e.overlay * 255) / 255, atol=1e-12)


# A model trained for one step draws near-constant maps: their rank correlation is undefined.
@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_demo_figure_and_evaluate_read_what_train_wrote(trained, tmp_path, capsys):
    assert run_cli("demo", "--model", trained, "--out", tmp_path / "demo.png") == 0
    assert run_cli("figure", "--scene", "3", "--model", trained, "--patch", "32", "--stride",
                   "32", "--out", tmp_path / "figure.png") == 0
    assert run_cli("evaluate", "--model", trained, "--n", "4", "--batch-size", "4",
                   "--metrics", "pointing,sanity", "--sanity-n", "2", "--methods", "gradcam",
                   "--quiet", "--out", tmp_path / "evaluation") == 0
    assert f"Evaluation of {trained}" in (tmp_path / "evaluation" / "results.md").read_text()
    assert (tmp_path / "evaluation" / "sanity.csv").is_file()


# --- a real architecture's weights file, with --arch ----------------------------------------

def test_explain_runs_a_resnet18_file_with_arch(resnet18_file, scene, tmp_path, capsys):
    out = tmp_path / "overlay.png"
    assert run_cli("explain", scene, "--model", resnet18_file, "--arch", "resnet18",
                   "--target", "7", "--out", out) == 0
    printed = capsys.readouterr().out
    assert "gradcam for '7' at layer layer4: wrote" in printed
    assert printed.splitlines()[0].count(",") == 4                       # the top five of 1000
    assert load_image(out).shape == (3, 64, 64)                           # the file's own size


def test_figure_runs_a_resnet18_file_on_an_image(resnet18_file, scene, tmp_path, capsys):
    out = tmp_path / "figure.png"
    assert run_cli("figure", scene, "--model", resnet18_file, "--arch", "resnet18",
                   "--classes", "1", "2", "--patch", "112", "--stride", "112", "--out", out) == 0
    assert out.is_file() and "explaining '1'" in capsys.readouterr().out


@pytest.mark.parametrize("command, why", [
    (["demo"], "demo explains a scene of shapes"),
    (["figure", "--scene", "3"], "--scene draws a scene of shapes"),
    (["evaluate", "--n", "4"], "evaluate scores maps against the shapes' masks"),
])
def test_commands_of_the_shapes_refuse_another_model(resnet18_file, tmp_path, capsys, command,
                                                     why):
    out = tmp_path / ("out" if command[0] == "evaluate" else "out.png")
    assert run_cli(*command, "--model", resnet18_file, "--arch", "resnet18", "--out", out) == 2
    one_line_error(capsys, "has 1000 unnamed classes", why, "circle, square, triangle, cross")
    assert not out.exists()


@pytest.mark.parametrize("command", ["demo", "explain", "figure", "evaluate"])
def test_a_file_without_card_needs_arch(resnet18_file, scene, tmp_path, capsys, command):
    args = {"explain": [scene], "figure": [scene], "evaluate": ["--out", tmp_path / "e"]}
    assert run_cli(command, *args.get(command, []), "--model", resnet18_file) == 2
    one_line_error(capsys, f"--model {resnet18_file}: ", "has no model card",
                   "(--arch on the command line), one of tinycnn-gap")


def test_an_unknown_model_lists_the_shipped_names_and_says_a_path_is_accepted(scene, capsys):
    assert run_cli("explain", scene, "--model", "tinycnn-gapp") == 2
    one_line_error(capsys, "'tinycnn-gap', 'tinycnn-fc', 'tinycnn-biased'",
                   "or the path of a weights file", "got 'tinycnn-gapp'")


@pytest.mark.parametrize("command", ["demo", "explain", "figure", "evaluate"])
def test_help_says_a_path_and_arch_are_accepted(command, capsys):
    with pytest.raises(SystemExit):
        run_cli(command, "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "--model NAME_OR_FILE" in text and "or a weights file" in text
    assert "--arch ARCH" in text and "resnet18" in text


@pytest.fixture(scope="module")
def resnet18_pth(resnet18_file, tmp_path_factory):
    """The same weights as ``torch.save`` writes them (a PyTorch user's file)."""
    torch = require_torch()
    path = tmp_path_factory.mktemp("torch") / "resnet18-weights.pth"
    torch.save({k: torch.from_numpy(v) for k, v in load_npz(resnet18_file).items()}, path)
    return path


def test_a_torch_saved_file_is_the_same_model(resnet18_file, resnet18_pth):
    x01 = np.random.default_rng(4).random((1, 3, 32, 32))
    np.testing.assert_array_equal(ng.load_model(resnet18_pth, arch="resnet18")(x01),
                                  ng.load_model(resnet18_file, arch="resnet18")(x01))


def test_what_reading_a_checkpoint_took_is_printed(resnet18_file, scene, tmp_path, capsys):
    torch = require_torch()
    checkpoint = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 1, "model": {f"module.{k}": torch.from_numpy(v)
                                      for k, v in load_npz(resnet18_file).items()}}, checkpoint)
    assert run_cli("explain", scene, "--model", checkpoint, "--arch", "resnet18",
                   "--out", tmp_path / "o.png") == 0
    printed = capsys.readouterr().out
    assert f"--model {checkpoint}: took the weights from the checkpoint's 'model'" in printed
    assert "'module.' prefix" in printed


@pytest.mark.parametrize("kind", ["npz", "pth"])
def test_explain_runs_a_resnet18_file_where_torch_cannot_be_imported(kind, request, scene,
                                                                     tmp_path):
    """A fresh install has no torch: a fake ``torch`` (and ``torchvision``) that fails to import
    comes first on the path of a new process, which must still explain the file (``.pth`` as
    ``torch.save`` wrote it, in the parent process)."""
    weights = request.getfixturevalue("resnet18_pth" if kind == "pth" else "resnet18_file")
    fake = tmp_path / "no-torch"
    for name in ("torch", "torchvision"):
        (fake / name).mkdir(parents=True)
        (fake / name / "__init__.py").write_text("raise ImportError('no torch here')\n")
    out = tmp_path / "overlay.png"
    program = (
        "import sys\n"
        "try:\n    import torch\nexcept ImportError:\n    pass\n"
        "else:\n    sys.exit('torch could be imported')\n"
        "from numpy_gradcam.cli import main\n"
        f"sys.exit(main(['explain', {str(scene)!r}, '--model', {str(weights)!r}, "
        f"'--arch', 'resnet18', '--out', {str(out)!r}]))\n"
    )
    root = Path(ng.__file__).resolve().parent.parent
    path = os.pathsep.join([str(fake), str(root), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": path}, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "at layer layer4: wrote" in result.stdout and out.is_file()
