# %% [markdown]
# # Lesson 5 — The channel weights $\alpha^c_k$: global average pooling of gradients
#
# Grad-CAM (Selvaraju et al., Eq. 1) summarises each gradient map by its mean:
#
# $$\alpha^c_k = \frac{1}{Z}\sum_i\sum_j \frac{\partial y^c}{\partial A^k_{ij}},
#   \qquad Z = h\cdot w.$$
#
# $\alpha^c_k$ is the importance of feature map $k$ for class $c$. On `tinycnn-fc` (a flatten →
# linear head) the gradient varies over positions, so the mean really summarises something.

# %%
import numpy as np
from matplotlib.figure import Figure

import numpy_gradcam as ng
from numpy_gradcam.cam.weighting import gap_weights
from numpy_gradcam.lessons import save, show

model = ng.load_model("tinycnn-fc")
image, classes, _ = ng.datasets.make_composite(seed=57)
a, b = (int(k) for k in classes)
x = np.stack([image, image])                               # one image, explained twice
A, dy_dA = ng.gradients(model, x, target=[a, b], layer="relu4")
show("dy_dA (class a, channel 0)", dy_dA[0, 0])
alpha = gap_weights(dy_dA)                                 # (2, 64)
show("alpha", alpha)
print("Z =", dy_dA.shape[2] * dy_dA.shape[3])

# %%
fig = Figure(figsize=(7, 3))
ax = fig.subplots()
ax.bar(np.arange(64) - 0.2, alpha[0], width=0.4, label=f"α for '{model.class_names[a]}'")
ax.bar(np.arange(64) + 0.2, alpha[1], width=0.4, label=f"α for '{model.class_names[b]}'")
ax.set_xlabel("channel k")
ax.set_ylabel("α^c_k")
ax.legend()
ax.set_title("Lesson 5: each class weighs the 64 maps differently")
save(fig, "05_gap_weights")

# %% [markdown]
# **Check.** The weights are the spatial means (not the sums); two classes weigh differently;
# the gradient is not constant over positions (the FC head).

# %%
assert alpha.shape == (2, 64), f"alpha should be (N, K) = (2, 64), got {alpha.shape}"
assert np.allclose(alpha, dy_dA.mean(axis=(2, 3))), "alpha must be the mean over i, j"
assert not np.allclose(alpha, dy_dA.sum(axis=(2, 3))), "the sum is Z times too large"
assert not np.allclose(alpha[0], alpha[1]), "two classes should weigh the maps differently"
assert dy_dA[0].std(axis=(1, 2)).max() > 0, "with an FC head the gradient varies over (i, j)"
print("lesson 5 passed")
