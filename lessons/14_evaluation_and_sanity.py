# %% [markdown]
# # Lesson 14 — Evaluating explanations: the pointing game and the sanity check
#
# **Pointing game** (Zhang et al. 2016): a map scores a hit when its maximum lies on the object;
# $\text{accuracy} = \frac{\#\text{hits}}{\#\text{hits} + \#\text{misses}}$. Compare with a baseline
# that always points at the centre.
#
# **Sanity check** (Adebayo et al. 2018): an explanation must depend on the model. Randomise the
# weights of the last layers and the map should change; if it does not, the method shows the
# image, not the model.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.evaluation import pointing_game
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save

model = ng.load_model("tinycnn-gap")
images, labels, masks = ng.datasets.make_shapes(24, seed=10)
e = ng.explain(model, images, target=list(labels))
hits = pointing_game(e.heatmap, masks)
centre = np.zeros_like(e.heatmap)
centre[:, 32, 32] = 1.0
centre_hits = pointing_game(centre, masks)
print(f"pointing game: Grad-CAM {hits.mean():.2f}, centre baseline {centre_hits.mean():.2f}")

# %%
rng = np.random.default_rng(0)
randomised = ng.load_model("tinycnn-gap")
state = randomised.state_dict()
for key in ("fc.weight", "conv4.weight"):
    state[key] = rng.standard_normal(state[key].shape) * state[key].std()
randomised.load_state_dict(state)
r = ng.explain(randomised, images, target=list(labels))
similarity = np.mean([np.corrcoef(a.ravel(), b.ravel())[0, 1]
                      for a, b in zip(e.heatmap, r.heatmap, strict=True)
                      if a.std() > 0 and b.std() > 0])
print(f"mean correlation, trained vs randomised model: {similarity:.2f}")
fig = panels([(images[0], "input"), (e.heatmap[0], "trained"), (r.heatmap[0], "randomised"),
              (masks[0].astype(float), "object mask")],
             title="Lesson 14: the map must depend on the model")
save(fig, "14_evaluation")

# %% [markdown]
# **Check.** Grad-CAM beats the centre baseline, and randomising the weights changes the maps.

# %%
assert hits.mean() > centre_hits.mean(), f"Grad-CAM {hits.mean()} <= baseline {centre_hits.mean()}"
assert hits.mean() >= 0.6, f"pointing game {hits.mean():.2f} is too low"
assert similarity < 0.8, f"maps barely changed with random weights ({similarity:.2f})"
print("lesson 14 passed")
