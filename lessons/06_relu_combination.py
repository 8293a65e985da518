# %% [markdown]
# # Lesson 6 — The combination, and why the ReLU
#
# $$L^c_{\text{Grad-CAM}} = \mathrm{ReLU}\Big(\sum_k \alpha^c_k A^k\Big) \qquad (N, h, w)$$
#
# The paper keeps only positive values: "we are only interested in the features that have a
# positive influence on the class of interest". Negative values belong to *other* classes. We
# see it on a scene with two shapes: the signed map for class $a$ is negative on the object of
# class $b$.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.cam.combination import combine
from numpy_gradcam.cam.upsampling import upsample
from numpy_gradcam.cam.weighting import gap_weights
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show

model = ng.load_model("tinycnn-gap")
image, classes, masks = ng.datasets.make_composite(seed=57)
a, b = (int(k) for k in classes)
A, dy_dA = ng.gradients(model, image[None], target=a)
alpha = gap_weights(dy_dA)
signed = combine(alpha, A, relu=False)[0]                   # (8, 8), both signs
L = combine(alpha, A)[0]                                    # (8, 8), ReLU
show("signed Σ_k α_k A^k", signed)
show("L = ReLU(...)", L)

signed_up = upsample(signed, (64, 64))
on_a, on_b = signed_up[masks[0]].mean(), signed_up[masks[1]].mean()
print(f"mean of the signed map on the '{model.class_names[a]}': {on_a:.3f}, "
      f"on the '{model.class_names[b]}': {on_b:.3f}")

# %%
scale = np.abs(signed).max()
fig = panels([(image, "scene"),
              (0.5 + 0.5 * signed / scale, "signed map (0.5 = zero)"),
              (L / L.max(), f"ReLU: Grad-CAM '{model.class_names[a]}'"),
              (masks[0].astype(float), f"mask of '{model.class_names[a]}'")],
             title="Lesson 6: negative evidence sits on the other object")
save(fig, "06_relu")

# %% [markdown]
# **Check.** The map is never negative, and the signed map is higher on the target object than
# on the other one.

# %%
assert (L >= 0).all(), "a Grad-CAM map is never negative"
assert np.allclose(L, np.maximum(signed, 0)), "ReLU after the sum, not before"
assert on_a > on_b, f"signed map should favour the target object ({on_a:.3f} vs {on_b:.3f})"
print("lesson 6 passed")
