# %% [markdown]
# # Lesson 1 — The tiny CNN, forward
#
# Grad-CAM explains a CNN, so we start with one. `tinycnn-gap` is four blocks
# `conv → batchnorm → ReLU (→ 2×2 max pool)` followed by global average pooling and a linear
# layer. Each convolution computes (a cross-correlation, as in PyTorch)
#
# $$\text{out}[n, f, y, x] = b_f + \sum_c \sum_{i<k_h} \sum_{j<k_w} W[f,c,i,j]\,
#   x_p[n, c, y s + i, x s + j], \qquad H_o = \lfloor (H + 2p - k_h)/s \rfloor + 1.$$
#
# The last ReLU, `relu4`, gives the feature maps $A^k$ that Grad-CAM explains: shape
# $(N, K, h, w) = (N, 64, 8, 8)$ for a 64×64 image.

# %%
import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save, show
from numpy_gradcam.nn.conv import conv2d_forward, conv2d_forward_loops

model = ng.load_model("tinycnn-gap")
images, labels, masks = ng.datasets.make_shapes(8, seed=0)
print(model)

# %% [markdown]
# `model.trace(x)` runs every layer and keeps every output: the activations are never hidden.

# %%
trace = model.trace(images[:1])
for name, out in trace.outputs.items():
    print(f"{name:>6}: {out.shape}")
A = trace.outputs["relu4"]                              # (1, 64, 8, 8)
show("A = relu4", A[0])
show("logits y", trace.logits)

# %% [markdown]
# The fast convolution (im2col + one matrix product) must equal the seven nested sums.

# %%
conv1 = model["conv1"]
w, b = conv1.params["weight"], conv1.params["bias"]
slow, _ = conv2d_forward_loops(images[:1, :, :12, :12], w, b, (1, 1), (1, 1))
fast, _ = conv2d_forward(images[:1, :, :12, :12], w, b, (1, 1), (1, 1))
print(f"loops vs im2col, max |difference|: {np.abs(slow - fast).max():.1e}")

# %%
logits = model.forward(images)                          # (8, 4)
predicted = logits.argmax(axis=1)
print("predicted:", [model.class_names[c] for c in predicted])
print("true:     ", [model.class_names[c] for c in labels])
channels = np.argsort(-A[0].mean(axis=(1, 2)))[:3]      # the three most active maps
fig = panels([(images[0], f"input: {model.class_names[labels[0]]}")]
             + [(trace.outputs["relu1"][0, k] / trace.outputs["relu1"][0, k].max(), f"relu1[{k}]")
                for k in range(2)]
             + [(A[0, k] / A[0, k].max(), f"relu4[{k}] (8×8)") for k in channels],
             title="Lesson 1: the input and some feature maps")
save(fig, "01_forward")

# %% [markdown]
# **Check.** The shapes follow the output-size formula, the fast convolution equals the loops, and
# the trained model classifies these images.

# %%
assert A.shape == (1, 64, 8, 8), f"relu4 should be (1, 64, 8, 8), got {A.shape}"
assert trace.outputs["conv1"].shape == (1, 16, 64, 64), "conv1 with padding 1 keeps 64×64"
assert np.allclose(slow, fast, atol=1e-12), "im2col convolution differs from the loops"
assert np.allclose(model.forward(images[:1]), trace.logits), "forward and trace disagree"
accuracy = np.mean(predicted == labels)
assert accuracy >= 0.75, f"the shipped model should classify most images, got {accuracy:.2f}"
print("lesson 1 passed")
