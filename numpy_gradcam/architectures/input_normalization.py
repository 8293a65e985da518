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
  tensorflow/tpu's ``models/official/efficientnet/lite/efficientnet_lite_builder.py``, on 0..255
  inputs: ``(255 x − 127) / 128``.
- The tiny CNNs were trained on [0, 1] images as they are: no normalisation.
"""

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225), 1.0)
EDGE = ((127.0, 127.0, 127.0), (128.0, 128.0, 128.0), 255.0)
