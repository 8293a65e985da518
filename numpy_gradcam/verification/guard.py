"""What makes a submission's score its own: it may not use the reference, nor change the checker.

The checker compares a student's function with numpy-gradcam's own; a submission that imports
that reference (``from numpy_gradcam.cam.weighting import gap_weights``) would pass without a
line of its own. Three guards, each with a message that says what was found:

- :func:`reference_imports` (in the parent, before anything runs): every ``import`` or
  ``from … import`` of ``numpy_gradcam`` in the file, and every string naming it (for
  ``importlib.import_module("numpy_gradcam…")`` or ``__import__``);
- :class:`ReferenceWatch` (in the child, around the import and every call): any Python function
  of the package's source folder that runs while the student's code runs — however it was
  reached (an import hidden behind string arithmetic, ``sys.modules``, a function object handed
  back) — and any result that is one of the package's objects;
- :class:`Snapshot` (in the child): the namespaces of NumPy and of the checker's own modules,
  compared before and after the student's code runs, so that replacing ``np.allclose`` (or the
  checker's ``compare``) to make every comparison succeed is found.

Each of them makes the verdict ``refused`` with score 0. The student's code still runs in the
same process as the comparison: a module written to attack that process itself (rewriting its
result file, say) is out of reach of any in-process check; run the checker in a sandbox (as
course platforms do) when that matters.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
from pathlib import Path

PACKAGE = "numpy_gradcam"
PACKAGE_DIR = str(Path(__file__).resolve().parents[1])
MODULE_NAME = re.compile(rf"{PACKAGE}(\.\w+)*")


def reference_imports(source: str) -> list[str]:
    """``"line 3: from numpy_gradcam.cam.weighting import gap_weights"``-like findings in the
    module ``source`` (which must parse), in line order."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value.strip()]                  # a module name in a string
        else:
            continue
        if any(MODULE_NAME.fullmatch(n) for n in names):
            found.append((node.lineno, ast.get_source_segment(source, node)))
    return [f"line {line}: {segment}" for line, segment in sorted(found)]


def is_reference_object(value) -> bool:
    """Whether ``value`` is (or is defined by) the package: a function, class or instance."""
    module = getattr(value, "__module__", None) or type(value).__module__ or ""
    return module == PACKAGE or module.startswith(PACKAGE + ".")


class ReferenceWatch:
    """``with watch:`` around student code; afterwards ``watch.found`` names the first function of
    the package that ran inside (``None`` when none did).

    A profile function (``sys.setprofile``, and ``threading.setprofile`` for threads the code
    starts) sees every Python-level call; a call whose code lives in the package's folder is
    the reference at work. NumPy's and the student's own calls are not.
    """

    def __init__(self, own_files=()):
        self.found: str | None = None
        # The checker's own code runs inside too: this watch's __exit__, the writer that
        # captures what the student prints.
        self.own_files = {__file__, *own_files}

    def _profile(self, frame, event, arg):
        filename = frame.f_code.co_filename
        if event == "call" and self.found is None and filename.startswith(PACKAGE_DIR) and \
                filename not in self.own_files:
            module = frame.f_globals.get("__name__", PACKAGE)
            self.found = f"{module}.{frame.f_code.co_qualname}"

    def __enter__(self):
        sys.setprofile(self._profile)
        threading.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)
        threading.setprofile(None)
        return False


class Snapshot:
    """Every name of some modules' namespaces and what it is bound to: ``changed()`` lists those
    rebound or removed since (a name added, or a dunder such as ``__warningregistry__`` that
    warnings update, changes nothing the checker uses)."""

    def __init__(self, modules):
        self.modules = list(modules)
        self.bindings = [dict(vars(m)) for m in self.modules]

    def changed(self) -> list[str]:
        names = []
        for module, before in zip(self.modules, self.bindings, strict=True):
            after = vars(module)
            names += [f"{module.__name__}.{name}" for name, value in before.items()
                      if not name.startswith("__") and after.get(name, _MISSING) is not value]
        return names


_MISSING = object()


def numpy_modules():
    """NumPy's loaded modules (``numpy``, ``numpy._core.numeric``, …): what a comparison uses."""
    return [m for name, m in list(sys.modules.items())
            if m is not None and (name == "numpy" or name.startswith("numpy."))]
