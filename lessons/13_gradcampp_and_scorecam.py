# %% [markdown]
# # Lesson 13 — Grad-CAM++ and Score-CAM: other ways to weigh the maps
#
# Every CAM method is $L = \mathrm{ReLU}(\sum_k \alpha^c_k A^k)$; they differ in $\alpha$:
#
# - Grad-CAM: $\alpha^c_k = \frac1Z\sum_{ij}\partial y^c/\partial A^k_{ij}$;
# - Grad-CAM++ (Chattopadhyay et al. 2018): $\alpha^c_k = \sum_{ij} a^{kc}_{ij}\,
#   \mathrm{ReLU}(\partial Y^c/\partial A^k_{ij})$ with pixel weights $a^{kc}_{ij}$ from higher
#   derivatives of $Y^c = e^{y^c}$ (closed form);
# - Score-CAM (Wang et al. 2020): no gradient; $\alpha^c_k = f^c(X\circ H^k) - f^c(X_b)$, the
#   confidence the model gives the input masked by the upsampled, normalised map $H^k$.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.cam.methods import METHODS
from numpy_gradcam.evaluation import pointing_game
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show

model = ng.load_model("tinycnn-gap")
images, labels, masks = ng.datasets.make_shapes(4, seed=9)
methods = [m for m in ("gradcam", "gradcam++", "scorecam") if m in METHODS]
results = {m: ng.explain(model, images, target=list(labels), method=m) for m in methods}
for m, e in results.items():
    show(f"{m} alpha", e.weights)
    print(f"{m}: pointing game {pointing_game(e.heatmap, masks).mean():.2f}")

# %%
fig = panels([(images[0], "input")] + [(e.heatmap[0], m) for m, e in results.items()],
             title="Lesson 13: three ways to weigh the same maps")
save(fig, "13_methods")

# %% [markdown]
# **Check.** Every method gives a map in [0, 1] of the input's size that finds most objects, and
# the methods agree broadly with Grad-CAM.

# %%
for m, e in results.items():
    assert e.heatmap.shape == (4, 64, 64) and e.heatmap.min() >= -1e-12, f"{m}: bad map"
    assert pointing_game(e.heatmap, masks).mean() >= 0.5, f"{m} misses most objects"
    r = np.corrcoef(e.heatmap.ravel(), results["gradcam"].heatmap.ravel())[0, 1]
    assert r > 0.3, f"{m} should broadly agree with Grad-CAM, correlation {r:.2f}"
print("lesson 13 passed")
