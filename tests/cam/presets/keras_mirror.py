"""A Keras copy of a numpy_gradcam model, for the tests of the ``keras`` and ``tf-keras-vis``
presets (imports keras only when called: the tests skip without TensorFlow).

Layouts: Keras is NHWC. ``Conv2D``'s kernel is ``(kh, kw, in, out)``, our ``(out, in, kh, kw)``
transposed by ``(2, 3, 1, 0)``; ``Dense``'s kernel is our ``Linear.weight.T``. A layer after
``Flatten`` sees the features in ``(h, w, c)`` order, ours in ``(c, h, w)``: its weight's columns
are permuted to match. ``BatchNormalization`` gets our running statistics and torch's
``eps=1e-5``. Each layer keeps our name (the padding of a convolution is a layer of its own,
``<name>_pad``), so ``keras_model.get_layer("relu4")`` is our ``relu4``, as its NHWC output.
"""

import numpy as np

from numpy_gradcam import nn


def to_nhwc(x: np.ndarray) -> np.ndarray:
    """``(N, C, H, W)`` → ``(N, H, W, C)`` float32."""
    return np.ascontiguousarray(np.moveaxis(x, 1, -1), dtype=np.float32)


def to_nchw(a) -> np.ndarray:
    """``(N, h, w, K)`` → ``(N, K, h, w)``."""
    return np.moveaxis(np.asarray(a), -1, 1)


def _keras_layer(name, layer, keras, flat_shape):
    """``(keras layers to apply in order, their weights)`` for our ``layer``."""
    L, p = keras.layers, {k: np.asarray(v, dtype=np.float32) for k, v in layer.params.items()}
    if isinstance(layer, nn.Conv2d):
        if layer.stride != (1, 1) and layer.padding != (0, 0):
            raise NotImplementedError("the mirror pads, then convolves with stride 1")
        conv = L.Conv2D(layer.out_channels, layer.kernel_size, strides=layer.stride,
                        use_bias="bias" in p, name=name)
        weights = [p["weight"].transpose(2, 3, 1, 0)] + ([p["bias"]] if "bias" in p else [])
        pad = [L.ZeroPadding2D(layer.padding, name=f"{name}_pad")] if any(layer.padding) else []
        return pad + [conv], weights
    if isinstance(layer, nn.BatchNorm2d):
        b = {k: np.asarray(v, dtype=np.float32) for k, v in layer.buffers.items()}
        return [L.BatchNormalization(epsilon=layer.eps, name=name)], [
            p["weight"], p["bias"], b["running_mean"], b["running_var"]]
    if isinstance(layer, nn.ReLU):
        return [L.ReLU(name=name)], []
    if isinstance(layer, nn.MaxPool2d):
        return [L.MaxPooling2D(layer.kernel_size, strides=layer.stride, name=name)], []
    if isinstance(layer, nn.GlobalAvgPool2d):
        return [L.GlobalAveragePooling2D(name=name)], []
    if isinstance(layer, nn.Flatten):
        return [L.Flatten(name=name)], []
    if isinstance(layer, nn.Linear):
        W = p["weight"]                                                # (out, in)
        if flat_shape is not None:
            h, w, c = flat_shape
            W = W.reshape(-1, c, h, w).transpose(0, 2, 3, 1).reshape(W.shape[0], -1)
        weights = [W.T] + ([p["bias"]] if "bias" in p else [])
        return [L.Dense(layer.out_features, use_bias="bias" in p, name=name)], weights
    raise TypeError(f"the Keras mirror has no counterpart for layer {layer!r}")


def to_keras(model: nn.Sequential, input_size=(64, 64), final_activation=None):
    """A functional ``keras.Model`` ``(N, H, W, 3)`` → logits equal to ``model.forward``.

    ``final_activation="softmax"`` gives the last ``Dense`` a softmax, as a Keras classifier
    usually has (what tf-keras-vis's ``ReplaceToLinear`` and the Keras example remove).
    """
    import keras

    inputs = keras.Input((*input_size, model.in_channels), name="image")
    out, flat_shape, names = inputs, None, model.layer_names
    for name in names:
        layer = model[name]
        keras_layers, weights = _keras_layer(name, layer, keras, flat_shape)
        flat_shape = tuple(out.shape[1:]) if isinstance(layer, nn.Flatten) else None
        for keras_layer in keras_layers:
            out = keras_layer(out)
        if weights:
            keras_layers[-1].set_weights(weights)
        if name == names[-1] and final_activation is not None:
            keras_layers[-1].activation = keras.activations.get(final_activation)
    return keras.Model(inputs, out, name=getattr(model, "name", "mirror").replace("-", "_"))
