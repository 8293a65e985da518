"""``numpy-gradcam release FOLDER``: the stubs and the instructions, never a solution; and a
course's own exercises, declared as data, released and checked without editing the package."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from numpy_gradcam.verification.checker import check_file
from numpy_gradcam.verification.exercises import EXERCISES, load_course
from numpy_gradcam.verification.release import release_files, write_release

ROOT = Path(__file__).resolve().parents[2]

COURSE = '''
import numpy as np
from hypothesis import strategies as st

from numpy_gradcam.verification.exercise import Exercise, grid_arrays


def softplus(x):
    return np.logaddexp(0, x)


def _exp_only(x):
    return np.exp(x)


EXERCISES = [Exercise(
    "softplus", "softplus(x) -> y", "y = log(1 + exp(x)), stable for large x.  x : (n,).",
    ("x",), softplus, lambda: st.tuples(grid_arrays((3,))),
    (("exp(x) without the log(1 + .)", _exp_only),), sheet="week1", points=3)]
'''


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "numpy_gradcam", *args],
                          capture_output=True, text=True, timeout=120)


def stub_bodies(text):
    """Each function's body, as source, of a stub module."""
    tree = ast.parse(text)
    return {f.name: [ast.unparse(s) for s in f.body[1:]] for f in tree.body
            if isinstance(f, ast.FunctionDef)}


def test_the_release_holds_stubs_and_instructions_only(tmp_path):
    written = write_release(tmp_path / "release")
    assert sorted(p.name for p in written) == ["README.md", "backprop_exercises.py",
                                                "gradcam_exercises.py"]
    stubs = {}
    for sheet in ("gradcam", "backprop"):
        stubs |= stub_bodies((tmp_path / "release" / f"{sheet}_exercises.py").read_text())
    assert set(stubs) == set(EXERCISES)
    assert all(body == ["raise NotImplementedError"] for body in stubs.values()), stubs
    readme = (tmp_path / "release" / "README.md").read_text()
    assert "pip install 'numpy-gradcam[check]'" in readme
    assert "numpy-gradcam check gradcam_exercises.py" in readme
    assert "| `conv_backward` | gradcam_exercises.py | 2 |" in readme


def test_the_shipped_stubs_are_the_release():
    """lessons/exercises/ is what `release` writes: the task text has one source."""
    files = release_files(EXERCISES)
    for name in ("gradcam_exercises.py", "backprop_exercises.py"):
        assert (ROOT / "lessons" / "exercises" / name).read_text() == files[name], name


def test_the_release_never_overwrites_without_force(tmp_path):
    first = run_cli("release", str(tmp_path))
    assert first.returncode == 0, first.stderr
    stub = tmp_path / "gradcam_exercises.py"
    stub.write_text("my work\n")
    again = run_cli("release", str(tmp_path))
    assert again.returncode == 2 and "use --force" in again.stderr
    assert stub.read_text() == "my work\n"
    forced = run_cli("release", str(tmp_path), "--force")
    assert forced.returncode == 0 and "raise NotImplementedError" in stub.read_text()


def test_a_course_adds_an_exercise_without_editing_the_package(tmp_path):
    course = tmp_path / "course.py"
    course.write_text(COURSE)
    exercises = load_course(course)
    assert list(exercises)[-1] == "softplus" and len(exercises) == len(EXERCISES) + 1
    files = release_files(exercises)
    assert stub_bodies(files["week1_exercises.py"]) == {"softplus": ["raise NotImplementedError"]}

    student = tmp_path / "week1_exercises.py"
    student.write_text("import numpy as np\n\n\ndef softplus(x):\n    return np.exp(x)\n")
    report = check_file(student, exercises=course, max_examples=20)
    assert [f.name for f in report.functions] == ["softplus"]       # its sheet only
    assert report.functions[0].status == "fail" and report.max_points == 3
    assert report.functions[0].hints == ["exp(x) without the log(1 + .)"]
    student.write_text("import numpy as np\n\n\ndef softplus(x):\n"
                       "    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))\n")
    assert check_file(student, exercises=course, max_examples=20).exit_code == 0


def test_a_course_file_must_declare_exercises(tmp_path):
    course = tmp_path / "course.py"
    course.write_text("EXERCISES = 3\n")
    with pytest.raises(TypeError, match=r"--exercises .* must define EXERCISES"):
        load_course(course)
    course.write_text(COURSE.replace('"softplus", "softplus(x)', '"blend", "blend(x)')
                      .replace("def softplus", "def blend").replace(", softplus,", ", blend,"))
    with pytest.raises(ValueError, match="'blend', which is already an exercise"):
        load_course(course)
