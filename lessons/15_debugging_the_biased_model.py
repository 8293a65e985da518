# %% [markdown]
# # Lesson 15 — Debugging a biased model
#
# `tinycnn-biased` was trained on `make_biased(split="train")`: a checkerboard in a corner
# co-occurs with class 0 (circle) 95 % of the time. Its accuracy looks fine on that
# distribution, but Grad-CAM shows *why* it says "circle": the heatmap sits on the corner cue,
# not on the shape (the paper's husky-vs-wolf story, §6.3). We measure the heatmap energy on
# the cue, $\sum_{\text{cue}} H / \sum H$, for both models.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.datasets import has_cue, make_biased
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save

images, labels, masks, cue_masks = make_biased(24, seed=11, split="test")
with_cue = has_cue(cue_masks)
print(f"{with_cue.sum()} of {len(images)} images carry the cue; labels of those:",
      labels[with_cue])
energy, examples = {}, {}
for name in ("tinycnn-biased", "tinycnn-gap"):
    model = ng.load_model(name)
    x = images[with_cue]
    e = ng.explain(model, x, target=0)                       # explain "circle"
    total = np.maximum(e.heatmap.sum(axis=(1, 2)), 1e-12)   # an all-zero map: no evidence
    share = (e.heatmap * cue_masks[with_cue]).sum(axis=(1, 2)) / total
    energy[name] = float(share.mean())
    examples[name] = e.overlay[0]
    predicted = e.logits.argmax(axis=1)
    print(f"{name}: predicts 'circle' on {np.mean(predicted == 0):.2f} of the cue images; "
          f"heatmap energy on the cue {energy[name]:.3f}")

# %%
fig = panels([(images[with_cue][0], "input (cue in a corner)"),
              (examples["tinycnn-biased"], "tinycnn-biased: 'circle'"),
              (examples["tinycnn-gap"], "tinycnn-gap: 'circle'")],
             title="Lesson 15: the biased model looks at the checkerboard")
save(fig, "15_biased")

# %% [markdown]
# **Check.** The biased model's "circle" evidence sits on the cue far more than the clean
# model's.

# %%
assert energy["tinycnn-biased"] > 2 * energy["tinycnn-gap"], f"cue energy {energy}"
print("lesson 15 passed")
