"""Every lesson, converted by jupytext, runs as a notebook in a Jupyter kernel, in a folder outside
``lessons/`` (as on a course server or in Colab): no cell errors, its figures are shown inline as
PNG images, it writes nothing where it runs, and it passes its check.

One kernel runs all the lessons, one after the other, each after ``%reset -f`` (an empty
namespace, so a lesson that forgets an import still fails): a kernel start per lesson would
double the time. The kernel is this interpreter, declared in a kernelspec of the test's own.
"""

import base64
import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import require_library
from tests.lessons.test_lessons import LESSONS, NEEDS

KERNEL = "numpy-gradcam-lessons"
CELL_TIMEOUT = 120  # seconds; a lesson's slowest cell takes a few
NOTEBOOK_LIBRARIES = ("jupytext", "nbclient", "nbformat", "ipykernel")
COLOURS = re.compile(r"\x1b\[[0-9;]*m")  # the terminal colours of IPython's tracebacks


def available(lesson) -> bool:
    """Whether ``lesson``'s optional extra is installed (required ones fail, as require_library)."""
    if lesson.stem not in NEEDS:
        return True
    try:
        require_library(NEEDS[lesson.stem])
    except pytest.skip.Exception:
        return False
    return True


def kernelspec(folder) -> None:
    """A kernelspec in ``folder/kernels`` that runs ipykernel on this interpreter."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "numpy-gradcam lessons", "language": "python"}))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Run every available lesson as a notebook; the executed cells of each, and the folder."""
    jupytext, nbclient, nbformat, _ = (require_library(name) for name in NOTEBOOK_LIBRARIES)
    jupyter, workdir = tmp_path_factory.mktemp("jupyter"), tmp_path_factory.mktemp("course")
    kernelspec(jupyter)
    cells = []
    for lesson in filter(available, LESSONS):
        cells.append(nbformat.v4.new_code_cell("%reset -f", metadata={"lesson": lesson.stem}))
        for cell in jupytext.read(lesson).cells:
            cell.metadata["lesson"] = lesson.stem
            cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(jupyter))
        env.setenv("JUPYTER_RUNTIME_DIR", str(jupyter / "runtime"))  # connection files: not $HOME
        env.delenv("NUMPY_GRADCAM_FIGURES", raising=False)  # figures inline, as in a course's
        nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name=KERNEL,
                                allow_errors=True,  # every lesson runs: failures are per lesson
                                resources={"metadata": {"path": str(workdir)}}).execute()
    by_lesson = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            by_lesson.setdefault(cell.metadata["lesson"], []).append(cell)
    return by_lesson, workdir


def outputs(cells):
    return [output for cell in cells for output in cell.get("outputs", [])]


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_lesson_runs_as_a_notebook_with_inline_figures(lesson, executed):
    if lesson.stem in NEEDS:
        require_library(NEEDS[lesson.stem])
    cells = executed[0][lesson.stem]
    errors = [COLOURS.sub("", "\n".join(o.traceback))[-3000:]
              for o in outputs(cells) if o.output_type == "error"]
    assert not errors, errors[0]
    images = [o.data["image/png"] for o in outputs(cells) if "image/png" in o.get("data", {})]
    assert images, "a lesson shows at least one figure inline"
    assert all(base64.b64decode(png).startswith(b"\x89PNG\r\n\x1a\n") for png in images)
    results = [o.data["text/plain"] for o in outputs(cells) if "text/plain" in o.get("data", {})
               if o.output_type == "execute_result"]
    assert not [r for r in results if r.startswith(("PosixPath(", "<Figure"))], results
    printed = "".join(o.text for o in outputs(cells) if o.output_type == "stream")
    assert f"lesson {int(lesson.name[:2])} passed" in printed


def test_notebooks_write_nothing_in_the_folder_they_run_in(executed):
    assert not list(executed[1].iterdir())


@pytest.mark.parametrize("path", ["lessons/07_normalize_and_upsample.ipynb",
                                  "lessons/.ipynb_checkpoints/07_normalize_and_upsample.ipynb"])
def test_built_notebooks_are_git_ignored(path):
    root = LESSONS[0].parents[1]
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    assert subprocess.run(["git", "check-ignore", "-q", path], cwd=root).returncode == 0
