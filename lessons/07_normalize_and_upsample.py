# %% [markdown]
# # Lesson 7 — Normalise, then upsample (and the corner-convention pitfall)
#
# $$L_{\text{norm}} = \frac{L - \min L}{\max L - \min L} \in [0, 1]$$
# (an all-zero map stays zeros, never NaN), then bilinear upsampling from $h\times w$ to the
# input's $H\times W$. *Where* output pixel $o$ samples the input is a convention:
#
# - half-pixel centres (`align_corners=False`, PyTorch's and OpenCV's default):
#   $\text{src} = (o + \tfrac12)\,\frac{n_{in}}{n_{out}} - \tfrac12$ (clamped at 0);
# - corner-aligned (`align_corners=True`): $\text{src} = o\,\frac{n_{in}-1}{n_{out}-1}$.
#
# Two implementations that differ only here disagree by up to half an input pixel: on an 8×8 map
# upsampled to 64×64 that is 4 image pixels.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.cam.normalization import normalize
from numpy_gradcam.cam.upsampling import interpolation_matrix, upsample
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show

row = np.array([[0.0, 1.0]])                              # (1, 2): one row, two pixels
half = upsample(row, (1, 4))[0]
corners = upsample(row, (1, 4), align_corners=True)[0]
print("[0, 1] -> 4 pixels, half-pixel centres:", half)
print("[0, 1] -> 4 pixels, corner-aligned:    ", np.round(corners, 4))
print("interpolation matrix (2 -> 4), half-pixel:\n", interpolation_matrix(2, 4))
print("normalize of an all-zero map:", normalize(np.zeros((1, 2, 2)))[0].ravel())

# %%
model = ng.load_model("tinycnn-gap")
images, labels, masks = ng.datasets.make_shapes(4, seed=5)
e = ng.explain(model, images[0], target=int(labels[0]))
show("L (8×8)", e.cam)
show("L_norm", e.cam_normalized)
other = upsample(e.cam_normalized, (64, 64), align_corners=True)
difference = np.abs(e.heatmap - other)
print(f"largest difference between the conventions: {difference.max():.3f}")


def centroid(m):
    ys, xs = np.indices(m.shape)
    return np.array([(ys * m).sum(), (xs * m).sum()]) / m.sum()


print("heatmap centroid, half-pixel:", np.round(centroid(e.heatmap), 2),
      " corner-aligned:", np.round(centroid(other), 2))
fig = panels([(images[0], "input"), (e.cam_normalized, "L_norm (8×8)"),
              (e.heatmap, "align_corners=False"), (other, "align_corners=True"),
              (difference / max(difference.max(), 1e-12), "|difference| (scaled)")],
             title="Lesson 7: the same map, two corner conventions")
save(fig, "07_upsample")

# %% [markdown]
# **Check.** The exact values of both conventions, zeros for a constant map, and a visible
# difference between the conventions on a real map.

# %%
assert np.allclose(half, [0.0, 0.25, 0.75, 1.0]), f"half-pixel centres give {half}"
assert np.allclose(corners, [0.0, 1 / 3, 2 / 3, 1.0]), f"corner-aligned gives {corners}"
assert not np.isnan(normalize(np.zeros((1, 2, 2)))).any(), "an all-zero map must stay zeros"
assert e.cam_normalized.min() == 0 and np.isclose(e.cam_normalized.max(), 1), "min-max to [0, 1]"
assert difference.max() > 0.05, "the two conventions should differ visibly"
print("lesson 7 passed")
