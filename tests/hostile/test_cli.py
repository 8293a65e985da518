"""The command line: a user error is one line on stderr and exit code 2, never a traceback;
``--debug`` shows the traceback. (File and weight cases are in their own modules.)"""

import pytest

from .conftest import assert_user_error, run_cli, run_module

USER_ERRORS = {
    # explain: names and values the command passes on to the API
    "explain-target-out-of-range": (["explain", "{scene}", "--target", "7"],
                                    r"target must be a class index in \[0, 3\], got 7"),
    "explain-target-negative": (["explain", "{scene}", "--target", "-1"], r"got -1"),
    "explain-unknown-class": (["explain", "{scene}", "--target", "dog"],
                              r"target 'dog' is not a class name; known: circle"),
    "explain-target-superscript": (["explain", "{scene}", "--target", "²"],
                                   r"target '²' is not a class name"),
    "explain-unknown-layer": (["explain", "{scene}", "--layer", "conv9"], r"layer must be one of"),
    "explain-empty-layer": (["explain", "{scene}", "--layer", ""],
                            r"layer must be one of .*got ''"),
    "explain-flat-layer": (["explain", "{scene}", "--layer", "gap"], r"layer 'gap' has no spatial"),
    "explain-alpha-above-1": (["explain", "{scene}", "--alpha", "1.5"],
                              r"--alpha must be in \[0, 1\]"),
    "explain-alpha-nan": (["explain", "{scene}", "--alpha", "nan"],
                          r"--alpha must be in \[0, 1\], got nan"),
    "explain-alpha-inf": (["explain", "{scene}", "--alpha=-inf"],
                          r"--alpha must be in \[0, 1\], got -inf"),
    "explain-unknown-cmap": (["explain", "{scene}", "--cmap", "jett"],
                             r"cmap .* Did you mean 'jet'"),
    "explain-cam-on-fc-model": (["explain", "{scene}", "--model", "tinycnn-fc", "--method", "cam"],
                                r"method 'cam' needs a global-average-pool → linear head"),
    "explain-counterfactual-eigencam": (["explain", "{scene}", "--method", "eigencam",
                                         "--counterfactual"], r"'eigencam' uses no gradient"),
    "explain-out-is-a-directory": (["explain", "{scene}", "--out", "{tmp}"],
                                   r"is a folder, not a file"),
    "explain-out-missing-folder": (["explain", "{scene}", "--out", "{tmp}/no/o.png"],
                                   r"no such folder: .*/no \(for .*/no/o.png\)"),
    "unknown-model": (["explain", "{scene}", "--model", "resnet50"],
                      r"explain: error: --model resnet50: name_or_path must be one of the "
                      r"shipped models .* or the path of a weights file"),
    # the parser's own errors (unknown choices, wrong types, missing arguments)
    "unknown-method": (["explain", "{scene}", "--method", "magic"],
                       r"argument --method: invalid choice: 'magic'"),
    "alpha-not-a-number": (["explain", "{scene}", "--alpha", "lots"],
                           r"argument --alpha: invalid float value: 'lots'"),
    "missing-image": (["explain"], r"the following arguments are required: image"),
    "unknown-command": (["explode"], r"argument COMMAND: invalid choice: 'explode'"),
    "no-command": ([], r"the following arguments are required: COMMAND"),
    "unknown-option": (["demo", "--colour", "red"], r"unrecognized arguments: --colour red"),
    # demo and train
    "demo-negative-seed": (["demo", "--seed", "-3", "--out", "{tmp}/d.png"],
                           r"--seed must be an integer >= 0, got -3"),
    "demo-seed-not-int": (["demo", "--seed", "1.5"], r"argument --seed: invalid int value: '1.5'"),
    "train-zero-epochs": (["train", "--model", "tinycnn-gap", "--epochs", "0", "--n-train", "1",
                           "--out", "{tmp}/t.npz"], r"--epochs must be an integer >= 1, got 0"),
    "train-nan-lr": (["train", "--model", "tinycnn-gap", "--epochs", "1", "--n-train", "1",
                      "--lr", "nan", "--out", "{tmp}/t.npz"], r"--lr must be a finite number > 0"),
    "train-bad-widths": (["train", "--model", "tinycnn-gap", "--epochs", "1", "--n-train", "1",
                          "--widths", "16,x", "--out", "{tmp}/t.npz"],
                         r"--widths must be comma-separated integers"),
    "train-out-not-npz": (["train", "--model", "tinycnn-gap", "--epochs", "1", "--n-train", "1",
                           "--out", "{tmp}/t.txt"], r"--out must be a .npz file name"),
    "train-heldout-seed": (["train", "--model", "tinycnn-gap", "--epochs", "1", "--n-train", "1",
                            "--seed", "1000003", "--out", "{tmp}/t.npz"],
                           r"--seed must be an integer >= 0 other than 1000003"),
}


def _argv(words, scene, tmp):
    return [w.format(scene=scene, tmp=tmp) for w in words]


@pytest.mark.parametrize("case", USER_ERRORS)
def test_user_errors_are_one_line_and_exit_2(scene, inputs, capsys, case):
    words, match = USER_ERRORS[case]
    before = sorted(p.name for p in inputs.folder.iterdir())
    code, _, err = run_cli(capsys, *_argv(words, scene, inputs.folder))
    assert_user_error(code, err, match)
    assert sorted(p.name for p in inputs.folder.iterdir()) == before          # nothing written


def test_a_user_error_in_a_fresh_process(scene, inputs):
    words, match = USER_ERRORS["explain-unknown-layer"]
    result = run_module(*_argv(words, scene, inputs.folder))
    assert_user_error(result.returncode, result.stderr, match)
    assert result.stdout == ""


def test_debug_shows_the_traceback_of_a_user_error(scene, inputs):
    result = run_module("--debug", "explain", scene, "--layer", "conv9",
                        "--out", inputs.folder / "o.png")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "ValueError: layer must be one of" in result.stderr
