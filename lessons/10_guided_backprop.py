# %% [markdown]
# # Lesson 10 — Guided backpropagation and guided Grad-CAM
#
# Grad-CAM is coarse (8×8 here). Guided backprop is fine-grained but not class-discriminative:
# it backpropagates to the input with a modified ReLU rule,
#
# $$dx = dout\cdot[x > 0]\cdot[dout > 0]$$
#
# (standard: $dout\cdot[x>0]$; deconvnet: $dout\cdot[dout>0]$). Guided Grad-CAM multiplies the
# two: $\text{guided backprop} \odot \text{Grad-CAM heatmap}$ (Selvaraju et al. §3.1).

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.cam.gradients import seed
from numpy_gradcam.cam.methods import METHODS
from numpy_gradcam.figures import panels, saliency_rgb
from numpy_gradcam.lessons import save, show
from numpy_gradcam.nn.relu import relu_backward

dout, x = np.array([1.0, -1.0, 1.0, -1.0]), np.array([2.0, 2.0, -2.0, -2.0])
for rule in ("standard", "guided", "deconvnet"):
    print(f"{rule:>9}: dx = {relu_backward(dout, x, rule)}")

model = ng.load_model("tinycnn-gap")
image, classes, _ = ng.datasets.make_composite(seed=57)
c = int(classes[0])
trace = model.trace(image[None])
dy = seed(trace.logits, np.array([c]))
guided = model.backward_to_input(trace, dy, rule="guided")[0]           # (3, 64, 64)
vanilla = model.backward_to_input(trace, dy, rule="standard")[0]
show("guided backprop (R)", guided[0])
grad = ng.explain(model, image, target=c)
guided_gradcam = guided * grad.heatmap[None]                            # (3, 64, 64)

# %%
fig = panels([(image, "input"), (saliency_rgb(vanilla), "gradient"),
              (saliency_rgb(guided), "guided backprop"), (grad.overlay, "Grad-CAM"),
              (saliency_rgb(guided_gradcam), "guided Grad-CAM")],
             title=f"Lesson 10: explaining '{model.class_names[c]}'")
save(fig, "10_guided")

# %% [markdown]
# **Check.** The guided rule passes only positive gradient through active units; the package's
# methods compute the same arrays.

# %%
assert relu_backward(dout, x, "guided").tolist() == [1.0, 0.0, 0.0, 0.0], "guided ReLU rule"
if "guided-backprop" in METHODS:
    gb = ng.explain(model, image, target=c, method="guided-backprop")
    assert np.allclose(gb.saliency, guided), "explain's guided backprop differs"
if "guided-gradcam" in METHODS:
    gg = ng.explain(model, image, target=c, method="guided-gradcam")
    assert np.allclose(gg.saliency, guided_gradcam), "guided Grad-CAM = guided ⊙ heatmap"
print("lesson 10 passed")
