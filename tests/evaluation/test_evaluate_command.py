"""Tests of ``numpy-gradcam evaluate`` (numpy_gradcam.commands.evaluate)."""

import pytest

from numpy_gradcam.cli import main

SMALL = ["evaluate", "--n", "4", "--batch-size", "2", "--steps", "2", "--sanity-n", "2",
         "--methods", "gradcam,random", "--quiet"]


def test_writes_the_tables_and_plots_and_refuses_to_overwrite(tmp_path, capsys):
    assert main(SMALL + ["--out", str(tmp_path)]) == 0
    for name in ("results.md", "results.csv", "deletion.png", "sanity.md", "sanity.csv",
                 "sanity.png"):
        assert (tmp_path / name).is_file()
    assert "| gradcam |" in (tmp_path / "results.md").read_text()
    assert main(SMALL + ["--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(SMALL + ["--out", str(tmp_path), "--force"]) == 0


@pytest.mark.parametrize("extra, message", [
    (["--n", "0"], "--n must be an integer >= 1"),
    (["--n", "-3"], "--n must be an integer >= 1"),
    (["--metrics", "accuracy"], "--metrics must be one of"),
    (["--methods", "gradcam,magic"], "--methods must be one of"),
    (["--limit", "occlusion=5"], "--limit must be METHOD=N"),
    (["--model", "tinycnn-fc", "--methods", "cam"], "method 'cam' needs"),
])
def test_bad_arguments_give_one_line_errors(tmp_path, capsys, extra, message):
    assert main(SMALL + ["--out", str(tmp_path)] + extra) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("name, has_cam", [("tinycnn-gap", True), ("tinycnn-biased", True),
                                           ("tinycnn-fc", False)])
def test_all_methods_hold_cam_where_the_model_has_a_gap_head(name, has_cam):
    """Read off the model's head (tinycnn-biased has one too), not off a list of names."""
    from numpy_gradcam.commands.evaluate import parse_methods
    from numpy_gradcam.models import load_model

    assert ("cam" in parse_methods("all", load_model(name))) == has_cam
