# %% [markdown]
# # Lesson 4 — The gradient $\partial y^c / \partial A^k_{ij}$
#
# Grad-CAM starts from the score of class $c$ **before the softmax**, $y^c$ (the logit), and
# asks how it changes with each activation of the target layer:
#
# $$\frac{\partial y^c}{\partial A^k_{ij}}, \qquad A \in \mathbb{R}^{N\times K\times h\times w}.$$
#
# The backward pass is seeded with a one-hot row on the logits and stopped at the layer
# (`model.backward_to`); `numpy_gradcam.gradients` does exactly that. We check a few entries with
# finite differences through the *head* of the network, $y = \text{head}(A)$ (`forward_from`).

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show

model = ng.load_model("tinycnn-gap")
images, labels, _ = ng.datasets.make_shapes(4, seed=2)
x, c = images[:1], int(labels[0])
A, dy_dA = ng.gradients(model, x, target=c, layer="relu4")
show("A", A[0, 0])
show("dy_dA", dy_dA[0, 0])

# %%
h = 1e-6
rng = np.random.default_rng(0)
checked = []
for _ in range(5):
    k, i, j = rng.integers(64), rng.integers(8), rng.integers(8)
    A_plus, A_minus = A.copy(), A.copy()
    A_plus[0, k, i, j] += h
    A_minus[0, k, i, j] -= h
    numeric = (model.forward_from("relu4", A_plus)[0, c]
               - model.forward_from("relu4", A_minus)[0, c]) / (2 * h)
    checked.append((dy_dA[0, k, i, j], numeric))
    print(f"k={k:2d} i={i} j={j}: analytic {dy_dA[0, k, i, j]: .6f}  numerical {numeric: .6f}")

# %% [markdown]
# For `tinycnn-gap` the head is GAP → linear, so $y^c = \sum_k w^c_k \frac{1}{Z}\sum_{ij}A^k_{ij}
# + b_c$ and the gradient is the same at every position: $\partial y^c/\partial A^k_{ij} =
# w^c_k / Z$. Each map of `dy_dA` is a constant.

# %%
W_fc = model["fc"].params["weight"]                       # (4, 64)
print("dy_dA[0, :4, 0, 0] =", np.round(dy_dA[0, :4, 0, 0], 5))
print("W_fc[c, :4] / Z    =", np.round(W_fc[c, :4] / 64, 5))
top = np.argsort(-dy_dA[0].mean(axis=(1, 2)))[:3]
fig = panels([(x[0], f"input ({model.class_names[c]})")]
             + [(A[0, k] / max(A[0, k].max(), 1e-12), f"A^{k}") for k in top],
             title="Lesson 4: the maps with the largest ∂y^c/∂A^k")
save(fig, "04_gradients")

# %% [markdown]
# **Check.** Analytic equals numerical; and for the GAP head, `dy_dA` $= w^c_k/Z$ everywhere.

# %%
for analytic, numeric in checked:
    assert abs(analytic - numeric) < 1e-6, f"dy_dA {analytic} != finite difference {numeric}"
assert np.allclose(dy_dA[0], (W_fc[c] / 64)[:, None, None]), "GAP head: dy_dA should be w/Z"
print("lesson 4 passed")
