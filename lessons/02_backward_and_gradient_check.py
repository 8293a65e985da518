# %% [markdown]
# # Lesson 2 — Backward by hand, and the gradient check
#
# Every layer is a forward/backward pair. For the convolution, differentiating the sum of
# lesson 1 term by term gives, with `dout` $= \partial\mathcal{L}/\partial\,\text{out}$:
#
# $$dW[f,c,i,j] = \sum_{n,y,x} dout[n,f,y,x]\; x_p[n,c,ys+i,xs+j], \qquad
#   db[f] = \sum_{n,y,x} dout[n,f,y,x],$$
# $$dx_p[n,c,ys+i,xs+j] \mathrel{+}= W[f,c,i,j]\; dout[n,f,y,x].$$
#
# For the ReLU, $dx = dout\cdot[x>0]$ (0 at exactly $x = 0$, as in PyTorch).
#
# We check them against **central finite differences** of the scalar
# $f(x) = \sum dout \cdot \text{forward}(x)$ with a *random* `dout` (an all-ones one hides
# swapped axes): $\partial f/\partial x_i \approx (f(x + h e_i) - f(x - h e_i)) / 2h$.

# %%
import numpy as np
from matplotlib.figure import Figure

from numpy_gradcam.lessons import save, show
from numpy_gradcam.nn.conv import conv2d_backward, conv2d_forward
from numpy_gradcam.nn.relu import relu_backward, relu_forward


def numerical_gradient(f, x, h=1e-6):
    """∂f/∂x by central differences, one coordinate at a time (float64)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a, b):
    """max |a - b| over the largest magnitude: entries near 0 are judged on the array's scale."""
    return float(np.max(np.abs(a - b)) / max(np.abs(a).max(), np.abs(b).max(), 1e-12))


rng = np.random.default_rng(0)
x = rng.standard_normal((2, 3, 5, 5))
W = rng.standard_normal((4, 3, 3, 3))
b = rng.standard_normal(4)
stride, padding = (2, 2), (1, 1)
out, cache = conv2d_forward(x, W, b, stride, padding)
dout = rng.standard_normal(out.shape)                    # random upstream gradient
dx, dW, db = conv2d_backward(dout, cache)
show("out", out[0])
show("dx", dx[0])


def f_of_x(x_):
    return float(np.sum(dout * conv2d_forward(x_, W, b, stride, padding)[0]))


def f_of_W(W_):
    return float(np.sum(dout * conv2d_forward(x, W_, b, stride, padding)[0]))


def f_of_b(b_):
    return float(np.sum(dout * conv2d_forward(x, W, b_, stride, padding)[0]))


errors = {
    "dx": relative_error(dx, numerical_gradient(f_of_x, x.copy())),
    "dW": relative_error(dW, numerical_gradient(f_of_W, W.copy())),
    "db": relative_error(db, numerical_gradient(f_of_b, b.copy())),
}
for name, err in errors.items():
    print(f"relative error of {name}: {err:.2e}")

# %% [markdown]
# The ReLU's kink: at exactly 0 the derivative is a convention. Finite differences there give
# 1/2 (half of the step lands on each side), which is why gradient checks keep inputs away from 0.

# %%
z = np.array([-1.0, 0.0, 2.0])
_, relu_cache = relu_forward(z)
dz = relu_backward(np.ones(3), relu_cache)
numeric_dz = numerical_gradient(lambda v: float(np.maximum(v, 0).sum()), z.copy())
print("analytic  d relu:", dz)
print("numerical d relu:", numeric_dz)

# %%
fig = Figure(figsize=(4, 4))
ax = fig.subplots()
ax.scatter(numerical_gradient(f_of_x, x.copy()).ravel(), dx.ravel(), s=8)
ax.set_xlabel("numerical dx")
ax.set_ylabel("analytic dx")
ax.set_title("conv backward: every point on the diagonal")
save(fig, "02_gradient_check")

# %% [markdown]
# **Check.** Every relative error below $10^{-7}$, and the ReLU derivative at 0 is 0.

# %%
for name, err in errors.items():
    assert err < 1e-7, f"{name} of the conv backward fails the gradient check: {err:.2e}"
assert dz.tolist() == [0.0, 0.0, 1.0], f"ReLU derivative should be [0, 0, 1], got {dz}"
assert np.isclose(numeric_dz[1], 0.5), "finite differences straddle the kink at 0"
print("lesson 2 passed")
