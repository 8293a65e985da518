# %% [markdown]
# # Lesson 12 — Choosing the layer: too shallow, too deep
#
# Grad-CAM needs a layer that still has a spatial layout **and** sees whole objects. We explain
# the same images at `relu1` (64×64, edges), `relu2`, `relu3` and `relu4` (8×8, the default, the
# last conv block) and score each by the **energy inside the object**,
# $\sum_{(i,j)\in\text{mask}} H_{ij} / \sum_{ij} H_{ij}$. A layer after the global pooling has no
# spatial extent at all.

# %%
import numpy as np
from _lesson import save

import numpy_gradcam as ng
from numpy_gradcam.figures import panels

model = ng.load_model("tinycnn-gap")
images, labels, masks = ng.datasets.make_shapes(8, seed=8)
energy, maps = {}, {}
for layer in ("relu1", "relu2", "relu3", "relu4"):
    e = ng.explain(model, images, target=list(labels), layer=layer)
    print(f"{layer}: A {e.activations.shape}")
    inside = (e.heatmap * masks).sum(axis=(1, 2)) / np.maximum(e.heatmap.sum(axis=(1, 2)), 1e-12)
    energy[layer], maps[layer] = inside.mean(), e.heatmap[0]
    print(f"        energy inside the object: {energy[layer]:.3f}")
print(f"object area / image: {masks.mean():.3f} (a uniform map's energy)")
try:
    ng.explain(model, images[0], layer="gap")
    too_deep = None
except ValueError as error:
    too_deep = str(error)
    print("layer 'gap':", too_deep)

# %%
fig = panels([(images[0], "input")] + [(maps[k], k) for k in maps],
             title="Lesson 12: the same class, four layers")
save(fig, "12_layers")

# %% [markdown]
# **Check.** The default layer `relu4` concentrates on the object better than the shallowest and
# than a uniform map; a layer without spatial layout is refused.

# %%
assert energy["relu4"] > energy["relu1"], f"relu4 should beat relu1: {energy}"
assert energy["relu4"] > 1.5 * masks.mean(), "relu4 should beat a uniform map"
assert too_deep is not None, "explaining 'gap' (no spatial layout) must raise"
print("lesson 12 passed")
