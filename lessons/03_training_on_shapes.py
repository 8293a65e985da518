# %% [markdown]
# # Lesson 3 — Training on shapes
#
# One step of mini-batch training: forward in training mode, the softmax cross-entropy
#
# $$\mathcal{L} = -\frac{1}{B}\sum_n \log \frac{e^{z_{n,y_n}}}{\sum_c e^{z_{n,c}}},
# \qquad
#   \frac{\partial \mathcal{L}}{\partial z_n}
#   = \frac{1}{B}\big(\mathrm{softmax}(z_n) - e_{y_n}\big),$$
#
# the backward pass of lesson 2 through every layer, and an optimiser step (the only place the
# weights change). The shipped models took minutes; here a *narrow* model on 32×32 images
# trains for a few seconds, enough to see the loss fall.

# %%
import numpy as np
from matplotlib.figure import Figure

from numpy_gradcam import datasets, models
from numpy_gradcam.lessons import save
from numpy_gradcam.nn.losses import softmax_cross_entropy
from numpy_gradcam.training import evaluate, train

images, labels, _ = datasets.make_shapes(768, seed=3, size=32)
val_images, val_labels, _ = datasets.make_shapes(256, seed=4, size=32)
model = models.tinycnn_gap(widths=(8, 16, 32, 32), seed=0)

logits = model.forward(images[:4])
loss, dlogits = softmax_cross_entropy(logits, labels[:4])
print("loss before training:", round(loss, 4), "(chance: log 4 =", round(np.log(4), 4), ")")
print("dL/dlogits of the first image:", np.round(dlogits[0], 4))

# %%
history = train(model, images, labels, epochs=6, batch_size=32, lr=3e-3, seed=0,
                val=(val_images, val_labels))
for epoch, (l, acc) in enumerate(zip(history.loss, history.val_accuracy, strict=True), 1):
    print(f"epoch {epoch}: loss {l:.3f}, held-out accuracy {acc:.3f}")

# %%
fig = Figure(figsize=(6, 3))
ax1, ax2 = fig.subplots(1, 2)
ax1.plot(range(1, len(history.loss) + 1), history.loss, marker="o")
ax1.set_xlabel("epoch")
ax1.set_ylabel("training loss")
ax2.plot(range(1, len(history.loss) + 1), history.val_accuracy, marker="o", color="C1")
ax2.axhline(0.25, color="grey", linestyle="--", label="chance")
ax2.set_xlabel("epoch")
ax2.set_ylabel("held-out accuracy")
ax2.legend()
fig.tight_layout()
save(fig, "03_training")

# %% [markdown]
# Six short epochs only start the learning (the shipped `tinycnn-gap` trained for minutes and
# reaches about 0.9). The classic sanity check of a training loop is quicker: a network must be
# able to *memorise* a handful of images. If it cannot, the backward pass or the optimiser is
# broken.

# %%
tiny = models.tinycnn_gap(widths=(8, 16, 32, 32), seed=1)
memorised = train(tiny, images[:64], labels[:64], epochs=40, batch_size=32, lr=3e-3, seed=0,
                  augment=False)
tiny_accuracy = evaluate(tiny, images[:64], labels[:64])
print(f"64 images, 40 epochs: loss {memorised.loss[0]:.3f} -> {memorised.loss[-1]:.3f}, "
      f"accuracy on them {tiny_accuracy:.2f}")

# %% [markdown]
# **Check.** The loss fell, the model is above chance on unseen images, and it memorises a tiny set.

# %%
accuracy = evaluate(model, val_images, val_labels)
assert history.loss[-1] < history.loss[0] - 0.05, f"the loss did not fall: {history.loss}"
assert accuracy > 0.28, f"held-out accuracy {accuracy:.2f} is not above chance (0.25)"
assert memorised.loss[-1] < 0.5 and tiny_accuracy > 0.9, (
    f"the model cannot memorise 64 images (loss {memorised.loss[-1]:.3f}, accuracy "
    f"{tiny_accuracy:.2f}): the backward pass or the optimiser is broken")
print("lesson 3 passed")
