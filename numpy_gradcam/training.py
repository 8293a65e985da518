r"""The training loop: mini-batch gradient descent on the softmax cross-entropy.

One step, for a mini-batch ``(x, y)``:

1. forward in training mode (BatchNorm normalises with the batch's statistics and updates its
   running averages): ``trace = model.trace(x, train=True)``, logits ``z`` ``(B, C)``;
2. loss and its gradient: ``loss, dz = softmax_cross_entropy(z, y)``;
3. backward: ``_, grads = model.backward(trace, dz, input_grad=False)``;
4. update: ``optimizer.step(grads)`` (the only place the weights change).

Conventions
-----------
- **Randomness** comes from ``seed`` only (an int or a ``numpy.random.Generator``): it draws each
  epoch's shuffle and the augmentation flips. The model's initial weights come from the seed it
  was built with. The same model, data and seed give bit-identical weights on one machine
  (one CPU, one NumPy and BLAS build), whatever its thread settings: BLAS is held to one thread
  while training (OpenBLAS, MKL and BLIS through threadpoolctl), so ``OPENBLAS_NUM_THREADS``,
  ``OMP_NUM_THREADS`` or ``NUMPY_GRADCAM_THREADS`` change no bit (a multi-threaded BLAS may sum
  a dot product in another order: 1e-11 on a float64 ``ddot`` of 10⁵ numbers, measured here, which
  training amplifies). Another CPU or BLAS build may round differently: that is not promised.
- **Mini-batches**: each epoch is a fresh permutation of the images cut into batches of
  ``batch_size``; the last, incomplete batch is dropped (each epoch drops different images, and
  BatchNorm never sees a tiny batch), unless there are fewer images than one batch.
- **dtype**: the batch is cast to ``dtype`` (float32 by default, about twice as fast as float64);
  the layers compute in the input's dtype, so the gradients come back in ``dtype`` too. The
  parameters stay float64 arrays: the optimiser adds the gradients into them in float64.
- **Learning rate**: ``schedule="cosine"`` (the default) decays it from ``lr`` to 0 over all the
  steps, ``η_t = η · (1 + cos(π t / T)) / 2`` for step ``t = 0 .. T-1``; ``"constant"`` keeps it.
- **Augmentation** (``augment=True``, the default): each image is flipped left-right and/or
  up-down with probability 1/2 each. A flipped circle, square, triangle or cross is still one,
  so the label is unchanged.
- **Evaluation** (``evaluate``) runs in evaluation mode: BatchNorm uses its running statistics
  and changes nothing. The training accuracy in the history is measured on the training
  batches as they are trained on (training mode, weights of that moment): cheap, and a little
  pessimistic.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from . import _validate
from .fast import workers
from .nn.losses import check_labels, softmax_cross_entropy
from .nn.optim import SGD, Adam
from .progress import Progress

OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("cosine", "constant")


@dataclass
class History:
    """Per-epoch records of one training run (each list has one entry per epoch)."""

    loss: list[float] = field(default_factory=list)            # mean training loss
    train_accuracy: list[float] = field(default_factory=list)  # on the training batches
    val_accuracy: list[float] = field(default_factory=list)    # empty without ``val``
    lr: list[float] = field(default_factory=list)              # at the epoch's first step
    time: list[float] = field(default_factory=list)            # seconds, training + validation
    steps: int = 0                                             # optimiser steps in all

    def as_dict(self) -> dict:
        return asdict(self)


def make_optimizer(params, name="adam", lr=3e-3, weight_decay=0.0):
    """``"adam"`` (``torch.optim.Adam``: L2 weight decay in the gradient), ``"adamw"``
    (decoupled weight decay) or ``"sgd"`` (momentum 0.9), over the live ``params``."""
    _validate.choice(name, "optimizer", OPTIMIZERS)
    if name == "sgd":
        return SGD(params, lr, momentum=0.9, weight_decay=weight_decay)
    return Adam(params, lr, weight_decay=weight_decay, decoupled=(name == "adamw"))


def learning_rate(lr: float, step: int, total: int, schedule: str = "cosine",
                  warmup: int = 0) -> float:
    """The learning rate of step ``step`` (``0 .. total-1``).

    The first ``warmup`` steps rise linearly, ``η (t + 1) / warmup``; then cosine decay
    ``η (1 + cos(π t'/T'))/2`` from ``lr`` towards 0 over the remaining ``T' = total - warmup``
    steps (``t' = t - warmup``), or ``lr`` throughout with ``schedule="constant"``.
    """
    if step < warmup:
        return lr * (step + 1) / warmup
    if schedule == "constant":
        return lr
    return lr * 0.5 * (1.0 + np.cos(np.pi * (step - warmup) / (total - warmup)))


def flip(x, rng: np.random.Generator) -> np.ndarray:
    """Flip each image ``(N, C, H, W)`` left-right and up-down, each with probability 1/2."""
    lr_flip = rng.random(len(x)) < 0.5                               # (N,)
    ud_flip = rng.random(len(x)) < 0.5
    x = np.where(lr_flip[:, None, None, None], x[..., ::-1], x)      # (N, C, H, W)
    return np.where(ud_flip[:, None, None, None], x[..., ::-1, :], x)


def _check_data(model, images, labels, name="images"):
    images, _ = _validate.images(images, name, channels=model.in_channels)
    labels = check_labels(labels, len(images), model.num_classes,
                          name="labels" if name == "images" else f"{name} labels")
    return images, labels


def predict(model, images, batch_size: int = 256, dtype=np.float32) -> np.ndarray:
    """Logits ``(N, num_classes)`` of ``images`` ``(N, C, H, W)``: evaluation mode, by batches."""
    images, _ = _validate.images(images, "images", channels=model.in_channels)
    batch_size = _validate.positive_int(batch_size, "batch_size")
    return np.concatenate([
        model.forward(images[i:i + batch_size].astype(dtype, copy=False), train=False)
        for i in range(0, len(images), batch_size)
    ])


def evaluate(model, images, labels, batch_size: int = 256, dtype=np.float32) -> float:
    """Accuracy in [0, 1]: the fraction of ``images`` whose largest logit is their label.

    Evaluation mode (BatchNorm's running statistics; nothing in the model changes).
    """
    images, labels = _check_data(model, images, labels)
    logits = predict(model, images, batch_size=batch_size, dtype=dtype)
    return float(np.mean(logits.argmax(axis=1) == labels))


def train(model, images, labels, epochs: int, batch_size: int = 64, optimizer: str = "adam",
          lr: float = 3e-3, weight_decay: float = 0.0, schedule: str = "cosine", seed=0,
          warmup: int = 0, val=None, progress: bool = False, dtype=np.float32,
          augment: bool = True, stream=None) -> History:
    """Train ``model`` in place on ``images`` ``(N, C, H, W)`` in [0, 1] and ``labels`` ``(N,)``.

    Parameters
    ----------
    model : Sequential
        Updated in place: its parameters by the optimiser, BatchNorm's running statistics by the
        training-mode forward passes.
    images, labels
        The training set; ``labels`` are integer class indices ``0 .. num_classes-1``.
    epochs, batch_size : int
        Passes over the data, and images per optimiser step.
    optimizer : {"adam", "adamw", "sgd"}
        See :func:`make_optimizer`. It is created here, over ``model.parameters()``.
    lr, weight_decay : float
        Peak learning rate, and weight decay (L2 for ``adam`` and ``sgd``; decoupled for ``adamw``).
    schedule : {"cosine", "constant"}, warmup : int
        See :func:`learning_rate`. A warm-up keeps Adam's first steps (each weight moves by about
        ``lr`` at once, whatever its gradient's size) from killing the ReLUs of a wide layer
        such as ``tinycnn-fc``'s ``fc1`` (4,096 inputs).
    seed : int or numpy.random.Generator
        Shuffling and augmentation; the only randomness.
    val : (images, labels) or None
        Evaluated after each epoch (evaluation mode) into ``history.val_accuracy``.
    progress : bool
        Show a progress line on standard error (or ``stream``): epoch, batch, loss, accuracy,
        time left.
    dtype : np.float32 or np.float64
        The dtype the forward and backward passes compute in.
    augment : bool
        Random left-right and up-down flips (see the module docstring).

    Returns
    -------
    History
        Per-epoch loss, training accuracy, validation accuracy, learning rate and seconds.
    """
    images, labels = _check_data(model, images, labels)
    epochs = _validate.positive_int(epochs, "epochs")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    warmup = _validate.positive_int(warmup, "warmup", minimum=0)
    _validate.choice(schedule, "schedule", SCHEDULES)
    if np.dtype(dtype) not in _validate.FLOAT_DTYPES:
        raise TypeError(f"dtype must be np.float32 or np.float64, got {_validate.describe(dtype)}")
    if val is not None:
        if not (isinstance(val, tuple) and len(val) == 2):
            raise TypeError(f"val must be a pair (images, labels) or None, got "
                            f"{_validate.describe(val)}")
        val = _check_data(model, *val, name="val images")
    rng = _validate.rng(seed, "seed")
    opt = make_optimizer(model.parameters(), optimizer, lr, weight_decay)

    n = len(images)
    batches = max(1, n // batch_size)          # the incomplete last batch is dropped
    size = min(batch_size, n)
    total = epochs * batches
    if warmup >= total:
        raise ValueError(f"warmup must be fewer steps than the {total} of the whole run, "
                         f"got {warmup}")
    history = History()
    # One BLAS thread: the bits may not depend on the machine's thread settings (see above).
    with Progress(total, "train", delay=0.0, unit="batch", stream=stream) as bar, \
            workers.blas_threads(1):
        for epoch in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n)                                   # (n,)
            loss_sum, correct = 0.0, 0
            history.lr.append(learning_rate(lr, history.steps, total, schedule, warmup))
            for b in range(batches):
                rows = order[b * size:(b + 1) * size]                    # (B,)
                x = images[rows].astype(dtype, copy=False)               # (B, C, H, W)
                if augment:
                    x = flip(x, rng)
                y = labels[rows]
                opt.lr = learning_rate(lr, history.steps, total, schedule, warmup)
                trace = model.trace(x, train=True)
                loss, dlogits = softmax_cross_entropy(trace.logits, y)
                _, grads = model.backward(trace, dlogits, input_grad=False)
                opt.step(grads)
                history.steps += 1
                loss_sum += loss
                hits = int((trace.logits.argmax(axis=1) == y).sum())
                correct += hits
                if progress:
                    bar.update(1, epoch=f"{epoch + 1}/{epochs}", batch=f"{b + 1}/{batches}",
                               loss=f"{loss_sum / (b + 1):.4f}",
                               acc=f"{correct / ((b + 1) * size):.3f}")
            history.loss.append(loss_sum / batches)
            history.train_accuracy.append(correct / (batches * size))
            if val is not None:
                history.val_accuracy.append(evaluate(model, *val, dtype=dtype))
            history.time.append(time.perf_counter() - start)
            if progress:
                val_text = (f", val accuracy {history.val_accuracy[-1]:.4f}"
                            if val is not None else "")
                # On a terminal the progress line has no newline yet: end it first.
                newline = "\n" if getattr(bar.stream, "isatty", lambda: False)() else ""
                print(f"{newline}epoch {epoch + 1}/{epochs}: loss {history.loss[-1]:.4f}, "
                      f"train accuracy {history.train_accuracy[-1]:.4f}{val_text}, "
                      f"{history.time[-1]:.1f} s", file=bar.stream, flush=True)
    return history
