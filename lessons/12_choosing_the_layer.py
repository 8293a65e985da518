# %% [markdown]
# # Lesson 12 — Choosing the layer: too shallow, too deep
#
# Grad-CAM needs a layer that still has a spatial layout **and** sees whole objects. We explain
# scenes holding two shapes at `relu1` (64×64, edges), `relu2`, `relu3` and `relu4` (8×8, the
# default, the last conv block), once for each shape's class, and measure how
# **class-discriminative** each layer's map is: the share of the map's energy on the explained
# class's own object, $\sum_{(i,j)\in\text{own}} H_{ij} / \sum_{ij} H_{ij}$, against the share on
# the *other* object. A shallow layer responds to edges, which both shapes have: its map for
# "circle" and its map for "square" light up both objects alike. A layer after the global pooling
# has no spatial extent at all.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save

model = ng.load_model("tinycnn-gap")
images, labels, masks = ng.datasets.make_composites(16, seed=8)   # (16, 2) labels, (16, 2, H, W)


def share(heatmap, mask):
    """Per image: the fraction of the map's energy inside ``mask``."""
    return (heatmap * mask).sum(axis=(1, 2)) / np.maximum(heatmap.sum(axis=(1, 2)), 1e-12)


ratio, maps = {}, {}
for layer in ("relu1", "relu2", "relu3", "relu4"):
    own, other = [], []
    for k in (0, 1):                                   # explain each scene's two classes in turn
        e = ng.explain(model, images, target=list(labels[:, k]), layer=layer)
        own.append(share(e.heatmap, masks[:, k]))
        other.append(share(e.heatmap, masks[:, 1 - k]))
        maps.setdefault(layer, e.heatmap[0])
    own, other = np.mean(own), np.mean(other)
    ratio[layer] = own / other
    print(f"{layer}: A {e.activations.shape}; energy on its own object {own:.3f}, "
          f"on the other object {other:.3f}: ratio {ratio[layer]:.1f}")
try:
    ng.explain(model, images[0], layer="gap")
    too_deep = None
except ValueError as error:
    too_deep = str(error)
    print("layer 'gap':", too_deep)

# %%
fig = panels([(images[0], "input")] + [(maps[k], k) for k in maps],
             title=f"Lesson 12: class '{model.class_names[labels[0, 0]]}' at four layers")
save(fig, "12_layers")

# %% [markdown]
# **Check.** At the default layer `relu4` each class's map sits on its own object (several
# times more energy there than on the other object); at `relu1` it does not tell the two classes
# apart; a layer without spatial layout is refused.

# %%
assert ratio["relu4"] > 3, f"relu4's map should favour its own object: {ratio}"
assert ratio["relu1"] < 1.5, f"relu1's map should not be class-discriminative: {ratio}"
assert ratio["relu4"] > 2 * ratio["relu1"], f"relu4 should discriminate far better: {ratio}"
assert too_deep is not None, "explaining 'gap' (no spatial layout) must raise"
print("lesson 12 passed")
