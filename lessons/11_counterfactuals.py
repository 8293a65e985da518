# %% [markdown]
# # Lesson 11 — Counterfactual explanations: negative evidence
#
# Negating the gradient gives the regions whose *removal* would raise $y^c$ (Selvaraju et al. §6):
#
# $$\alpha^c_k = \frac{1}{Z}\sum_{ij} -\frac{\partial y^c}{\partial A^k_{ij}}, \qquad
#   L^c_{\text{counter}} = \mathrm{ReLU}\Big(\sum_k \alpha^c_k A^k\Big)
#   = \mathrm{ReLU}\Big(-\sum_k \alpha^{c}_{k,\text{Grad-CAM}} A^k\Big).$$
#
# On a two-shape scene, the counterfactual map of class $a$ should light up the *other* shape.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show

model = ng.load_model("tinycnn-gap")
image, classes, masks = ng.datasets.make_composite(seed=57)
a = int(classes[0])
e = ng.explain(model, image, target=a)
signed = ng.explain(model, image, target=a, relu=False)
counter = ng.explain(model, image, target=a, counterfactual=True)
show("Grad-CAM L", e.cam)
show("counterfactual L", counter.cam)
inside = {name: (float(counter.heatmap[m].mean()), float(e.heatmap[m].mean()))
          for name, m in (("target", masks[0]), ("other", masks[1]))}
print(f"{'mean heatmap inside':<30}{'counterfactual':>15}{'Grad-CAM':>10}")
for i, name in enumerate(inside):
    label = f"the {name} shape ({model.class_names[int(classes[i])]})"
    print(f"{label:<30}{inside[name][0]:>15.3f}{inside[name][1]:>10.3f}")

# %%
fig = panels([(image, "scene"), (e.overlay, f"Grad-CAM '{model.class_names[a]}'"),
              (counter.overlay, "counterfactual"), (masks[1].astype(float), "the other shape")],
             title="Lesson 11: what argues against the class")
save(fig, "11_counterfactual")

# %% [markdown]
# **Check.** The counterfactual map is the negative part of the signed map, and it sits more on
# the other shape than Grad-CAM does.

# %%
assert np.allclose(counter.cam, np.maximum(-signed.cam, 0)), "counterfactual = ReLU(-signed)"
assert np.allclose(counter.gradients, -e.gradients), "the gradient is negated"
assert inside["other"][0] > inside["other"][1], "negative evidence should favour the other shape"
print("lesson 11 passed")
