# %% [markdown]
# # Lesson 9 — CAM vs Grad-CAM
#
# CAM (Zhou et al. 2016) needs a GAP → linear head: $y^c = \sum_k w^c_k \frac{1}{Z}\sum_{ij}A^k_{ij}
# + b_c$, and the map is $M_c = \sum_k w^c_k A^k$. For that head
# $\partial y^c/\partial A^k_{ij} = w^c_k / Z$, so Grad-CAM's $\alpha^c_k = w^c_k / Z$: the
# **same map up to the factor $1/Z$**, which normalisation removes. Grad-CAM generalises CAM to
# any head; CAM cannot explain `tinycnn-fc` (flatten → linear → ReLU → linear).

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.cam.methods import METHODS
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show

model = ng.load_model("tinycnn-gap")
images, labels, _ = ng.datasets.make_shapes(6, seed=7)
grad = ng.explain(model, images, target=list(labels))
W_fc = model["fc"].params["weight"]                        # (4, 64)
show("Grad-CAM alpha", grad.weights)
show("W_fc[c] / Z", W_fc[labels] / 64)
has_cam = "cam" in METHODS
if has_cam:
    cam = ng.explain(model, images, target=list(labels), method="cam")
    print(f"max |CAM − Grad-CAM| of the normalised maps: "
          f"{np.abs(cam.cam_normalized - grad.cam_normalized).max():.1e}")

# %%
fc_model = ng.load_model("tinycnn-fc")
try:
    ng.explain(fc_model, images[0], method="cam")
    cam_refused = False
except ValueError as error:
    cam_refused = True
    print("CAM on tinycnn-fc:", error)
fc_grad = ng.explain(fc_model, images[0], target=int(labels[0]))
items = [(images[0], "input"), (grad.heatmap[0], "Grad-CAM, tinycnn-gap")]
if has_cam:
    items.append((cam.heatmap[0], "CAM, tinycnn-gap"))
items.append((fc_grad.heatmap, "Grad-CAM, tinycnn-fc"))
save(panels(items, title="Lesson 9: CAM = Grad-CAM on a GAP head"), "09_cam_vs_gradcam")

# %% [markdown]
# **Check.** $\alpha = W_{fc}[c]/Z$ to machine precision; CAM's map equals Grad-CAM's after
# normalisation; CAM refuses the FC head while Grad-CAM explains it.

# %%
assert np.allclose(grad.weights, W_fc[labels] / 64, atol=1e-12), "alpha should be W_fc[c] / Z"
if has_cam:
    assert np.allclose(cam.cam_normalized, grad.cam_normalized, atol=1e-9), "CAM != Grad-CAM"
    assert cam_refused, "CAM must refuse a head that is not GAP → linear"
assert fc_grad.heatmap.max() > 0, "Grad-CAM explains the FC head"
print("lesson 9 passed")
