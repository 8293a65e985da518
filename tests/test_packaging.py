"""What a non-editable install carries: every subpackage and the shipped weights."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_explicit_package_list_names_every_subpackage():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts)
               for p in (ROOT / "numpy_gradcam").rglob("__init__.py")}
    assert on_disk | {"numpy_gradcam.data"} == listed


def test_package_data_covers_the_shipped_files():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["numpy_gradcam.data"]
    shipped = [p for p in (ROOT / "data").iterdir() if p.suffix != ".py" and p.is_file()]
    assert shipped
    for path in shipped:
        assert any(path.match(pattern) for pattern in patterns), path.name
