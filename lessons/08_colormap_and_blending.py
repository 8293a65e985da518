# %% [markdown]
# # Lesson 8 — Colour and blend (and the BGR pitfall)
#
# The heatmap in $[0, 1]$ is coloured with a colormap (jet: low blue, high red), then blended:
#
# $$I_{\text{out}} = a\,H_{\text{colored}} + (1 - a)\,I, \qquad a = 0.4.$$
#
# Pitfall: OpenCV's `applyColorMap` returns **BGR**. Blended over an RGB image without
# converting, red and blue swap: the most important region shows up *blue*, as if it mattered
# least.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.cam.blending import blend
from numpy_gradcam.cam.colormaps import colormap
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show

print("jet(0), jet(0.5), jet(1) as RGB:")
print(np.round(colormap(np.array([[0.0, 0.5, 1.0]]))[:, 0, :].T, 3))

model = ng.load_model("tinycnn-gap")
images, labels, _ = ng.datasets.make_shapes(4, seed=6)
e = ng.explain(model, images[1], target=int(labels[1]))
colored = colormap(e.heatmap)                                # (3, 64, 64)
overlay = blend(e.image, colored, alpha=0.4)
bgr_overlay = blend(e.image, colored[::-1], alpha=0.4)       # the mistake: channels reversed
show("colored (R channel)", colored[0])
peak = np.unravel_index(e.heatmap.argmax(), e.heatmap.shape)
print("colour at the heatmap's peak, RGB:", np.round(colored[:, peak[0], peak[1]], 3),
      " read as BGR:", np.round(colored[::-1, peak[0], peak[1]], 3))

# %%
fig = panels([(e.image, "input"), (colored, "jet(heatmap)"), (overlay, "overlay (RGB, right)"),
              (bgr_overlay, "overlay with BGR (wrong)")],
             title="Lesson 8: the hottest region must be red")
save(fig, "08_blending")

# %% [markdown]
# **Check.** Red at the peak (blue in the BGR mistake); `a = 0` returns the image, `a = 1` the
# colours; the overlay equals `explain`'s.

# %%
r, g, b = colored[:, peak[0], peak[1]]
assert r > b, f"the peak should be red in RGB, got {colored[:, peak[0], peak[1]]}"
blueness = bgr_overlay[2, peak[0], peak[1]] - bgr_overlay[0, peak[0], peak[1]]
right_blueness = overlay[2, peak[0], peak[1]] - overlay[0, peak[0], peak[1]]
assert blueness > right_blueness + 0.1, "the BGR mistake should turn the peak blue"
assert np.array_equal(blend(e.image, colored, 0.0), e.image), "a = 0 gives the image"
assert np.allclose(blend(e.image, colored, 1.0), colored), "a = 1 gives the colours"
assert np.allclose(overlay, e.overlay), "the pipeline blends the same way"
print("lesson 8 passed")
