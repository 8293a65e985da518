"""``load_model("efficientnet-lite0")`` (our reader, our normalisation layer) against the
PyTorch port (``efficientnet_lite_pytorch``) with the same pretrained ``.pth`` read by torch, on
a real photo normalised as the weights expect: logits and ``dy_dA`` at the target layer, for a
random upstream gradient ``dy``; float64 within 1e-8 and float32 within 1e-4, relative.

Skipped without torch, the port or the weights package, unless NUMPY_GRADCAM_REQUIRE_LIBRARIES
names them (the second CI environment).
"""

import numpy as np
import pytest

from numpy_gradcam.architectures.input_normalization import EDGE
from tests.architectures.oracle import close, pretrained_port, torch_stages
from tests.test_imagenet_model import grace_hopper

TOL = {np.float64: 1e-8, np.float32: 1e-4}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_pretrained_model_is_the_ports_on_grace_hopper(dtype):
    model, torch_model = pretrained_port(dtype)
    x = grace_hopper().astype(dtype)                                   # (1, 3, 224, 224)
    mean, std = (np.array(c, dtype=dtype)[:, None, None] for c in EDGE[:2])   # (3, 1, 1)
    scale = dtype(EDGE[2])
    dy = np.random.default_rng(0).standard_normal((1, 1000)).astype(dtype)
    logits, _, _, grads = torch_stages(torch_model, (scale * x - mean) / std, dy,
                                       (model.target_layer,))
    trace = model.trace(x)
    assert trace.logits.dtype == dtype
    close(trace.logits, logits, TOL[dtype], "logits")
    close(model.backward_to(trace, dy, model.target_layer), grads[model.target_layer],
          TOL[dtype], f"dy/dA at {model.target_layer}")
    assert model.class_names[int(trace.logits.argmax())] == "military uniform"
