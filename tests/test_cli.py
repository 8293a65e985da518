"""The command line: the demo and explain commands, and how they treat bad input."""

import subprocess
import sys

import numpy as np
import pytest

from numpy_gradcam.cli import main
from numpy_gradcam.datasets import make_composite
from numpy_gradcam.io import save_png


def run_cli(*args):
    return main([str(a) for a in args])


def test_demo_writes_a_figure_and_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert run_cli("demo") == 0
    first = tmp_path / "numpy-gradcam-demo.png"
    assert first.is_file() and first.stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "prediction:" in out and f"wrote {first}" in out
    before = first.read_bytes()
    assert run_cli("demo") == 0                                        # a second run: a new name
    assert (tmp_path / "numpy-gradcam-demo-2.png").is_file()
    assert first.read_bytes() == before


def test_demo_existing_out_needs_force(tmp_path, capsys):
    out = tmp_path / "fig.png"
    out.write_bytes(b"precious")
    assert run_cli("demo", "--out", out) == 2
    assert f"{out} already exists; use --force to replace it" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert run_cli("demo", "--out", out, "--force") == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def scene(tmp_path):
    image = make_composite(seed=3)[0]
    path = tmp_path / "scene.png"
    save_png(path, image)
    return path


def test_explain_writes_an_overlay_at_the_image_resolution(scene, tmp_path, capsys):
    from numpy_gradcam.io import load_image

    out = tmp_path / "overlay.png"
    assert run_cli("explain", scene, "--target", "square", "--out", out) == 0
    overlay = load_image(out)
    assert overlay.shape == load_image(scene).shape
    assert "for 'square' at layer relu4" in capsys.readouterr().out


def test_explain_preset_renders_as_the_library_at_the_image_resolution(scene, tmp_path):
    import numpy_gradcam as ng
    from numpy_gradcam.io import load_image

    out = tmp_path / "pgc.png"
    assert run_cli("explain", scene, "--preset", "pytorch-grad-cam", "--out", out) == 0
    image = load_image(scene)
    e = ng.explain(ng.load_model("tinycnn-gap"), image, preset="pytorch-grad-cam")
    assert image.shape == (3, 64, 64)                  # the model's size: no resize in between
    np.testing.assert_allclose(load_image(out), e.overlay, atol=1e-6)   # uint8 levels, same
    assert run_cli("explain", scene, "--out", tmp_path / "paper.png") == 0
    assert np.abs(load_image(tmp_path / "paper.png") - e.overlay).max() > 0.1


@pytest.mark.parametrize("args, message", [
    (["--preset", "pytorch-grad-cam", "--cmap", "hot"], "preset 'pytorch-grad-cam' fixes cmap"),
    (["--target", "7"], r"class index in [0, 3], got 7"),
    (["--target", "dog"], "known: circle, square, triangle, cross"),
    (["--layer", "conv9"], "layer must be one of"),
    (["--alpha", "1.5"], "--alpha must be in [0, 1]"),
    (["--cmap", "nope"], "cmap"),
])
def test_explain_bad_arguments_exit_2_with_one_line(scene, tmp_path, capsys, args, message):
    assert run_cli("explain", scene, "--out", tmp_path / "o.png", *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_explain_unreadable_image_and_existing_output(tmp_path, scene, capsys):
    bad = tmp_path / "not-an-image.png"
    bad.write_text("hello")
    assert run_cli("explain", bad) == 2
    assert "cannot be read as an image" in capsys.readouterr().err
    assert run_cli("explain", tmp_path / "missing.png") == 2
    assert "missing.png" in capsys.readouterr().err
    out = tmp_path / "exists.png"
    out.write_bytes(b"keep me")
    assert run_cli("explain", scene, "--out", out) == 2
    assert out.read_bytes() == b"keep me"


def test_unknown_method_is_refused_by_the_parser(scene, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli("explain", scene, "--method", "magic")
    assert exit_info.value.code == 2
    assert "invalid choice: 'magic'" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "numpy_gradcam", "--debug", "explain", str(tmp_path / "no.png")],
        capture_output=True, text=True,
    )
    assert result.returncode != 0 and "Traceback" in result.stderr


@pytest.mark.parametrize("command", ["demo", "explain", "train"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(command, "--help")
    assert exit_info.value.code == 0
    assert "usage: numpy-gradcam " + command in capsys.readouterr().out


def test_the_demo_scene_is_one_whose_two_shapes_the_model_ranks_first():
    import numpy_gradcam as ng
    from numpy_gradcam.commands.demo import DEFAULT_SEED

    image, labels, masks = make_composite(seed=DEFAULT_SEED)
    model = ng.load_model("tinycnn-gap")
    top_two = set(np.argsort(-model.forward(image[None])[0])[:2].tolist())
    assert top_two == set(labels.tolist())
    # and each class's Grad-CAM peaks on its own object
    e = ng.explain(model, np.stack([image, image]), target=list(labels))
    for k in range(2):
        peak = np.unravel_index(np.argmax(e.heatmap[k]), e.heatmap[k].shape)
        distance = np.hypot(*(np.argwhere(masks[k]) - peak).T).min()
        assert distance <= 4, f"class {labels[k]} peaks {distance:.1f} px from its object"


def test_every_command_but_check_works_without_hypothesis(tmp_path):
    """Hypothesis is a test and checker dependency, not a runtime one: a plain install has none.

    Run in a fresh process whose ``import hypothesis`` fails, as on a machine without it.
    """
    student = tmp_path / "student.py"
    student.write_text("def gap_weights(dy_dA):\n    return dy_dA.mean(axis=(2, 3))\n")
    program = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "from numpy_gradcam.cli import main\n"
        f"assert main(['demo', '--out', {str(tmp_path / 'demo.png')!r}]) == 0\n"
        f"assert main(['vectors', 'export', {str(tmp_path / 'vectors')!r}]) == 0\n"
        f"sys.exit(main(['check', {str(student)!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    assert (tmp_path / "demo.png").is_file()
    assert (tmp_path / "vectors" / "manifest.json").is_file()
    assert "pip install 'numpy-gradcam[check]'" in result.stderr
    assert "Traceback" not in result.stderr
