# %% [markdown]
# # Lesson 16 — Verifying another implementation, stage by stage
#
# Two Grad-CAM implementations that disagree on the final heatmap tell you nothing about *why*.
# Golden vectors of **every intermediate** ($A$, $\partial y^c/\partial A$, $\alpha$, $L$,
# $L_{\text{norm}}$, heatmap, colours, overlay) do: the first stage that differs names the bug.
# Here the "other implementation" is a hand-written one with a hidden convention difference,
# and the exercise checker (`numpy-gradcam check`) finds the same difference in a student's file.

# %%
import sys
import tempfile
from pathlib import Path

import numpy as np

import numpy_gradcam as ng
from numpy_gradcam.cam.upsampling import upsample
from numpy_gradcam.figures import panels
from numpy_gradcam.lessons import save
from numpy_gradcam.verification.checker import check_file

model = ng.load_model("tinycnn-gap")
images, labels, _ = ng.datasets.make_shapes(2, seed=12)
golden = ng.explain(model, images, target=list(labels)).arrays()
workdir = Path(tempfile.mkdtemp(prefix="lesson16-"))  # golden vectors are files: write them there
golden_path = workdir / "16_golden.npz"
np.savez(golden_path, **golden)
print("golden vectors:", {k: v.shape for k, v in golden.items() if v.ndim > 1})


def other_implementation(model, x, targets):
    """Another Grad-CAM: right equations, but corner-aligned upsampling."""
    A, dy_dA = ng.gradients(model, x, target=targets)
    alpha = dy_dA.mean(axis=(2, 3))
    L = np.maximum(np.einsum("nk,nkij->nij", alpha, A), 0)
    lo, hi = L.min(axis=(1, 2), keepdims=True), L.max(axis=(1, 2), keepdims=True)
    L_norm = (L - lo) / (hi - lo)
    heatmap = upsample(L_norm, x.shape[2:], align_corners=True)
    return {"activations": A, "gradients": dy_dA, "weights": alpha, "cam": L,
            "cam_normalized": L_norm, "heatmap": heatmap}


stored = dict(np.load(golden_path, allow_pickle=False))
theirs = other_implementation(model, images, list(labels))
first_difference = None
for stage, value in theirs.items():
    same = np.allclose(value, stored[stage], rtol=1e-6, atol=1e-9)
    print(f"{stage:>15}: {'same' if same else 'DIFFERENT'}")
    if not same and first_difference is None:
        first_difference = stage

difference = np.abs(theirs["heatmap"][0] - stored["heatmap"][0])
save(panels([(stored["heatmap"][0], "golden heatmap"), (theirs["heatmap"][0], "theirs"),
             (difference / max(difference.max(), 1e-12), "|difference| (scaled)")],
            title="Lesson 16: the first stage that differs is the upsampling"), "16_verify")

# %% [markdown]
# The checker runs the same idea over *random* inputs with Hypothesis, one exercise at a time, in
# a separate process. Here is a student's file with the same two steps: its `normalize` is right,
# its `upsample_bilinear` samples with the corner-aligned convention.

# %%
student = workdir / "student.py"
student.write_text('''import numpy as np


def normalize(L):
    """(L - min L) / (max L - min L) per map: (N, h, w); a constant map gives zeros."""
    lo = L.min(axis=(1, 2), keepdims=True)
    span = L.max(axis=(1, 2), keepdims=True) - lo
    return np.where(span > 1e-8, (L - lo) / np.where(span > 1e-8, span, 1.0), 0.0)


def upsample_bilinear(L, size):
    """(N, h, w) -> (N, H, W), sampling output pixel o at o (n_in - 1) / (n_out - 1)."""
    def matrix(n_in, n_out):
        src = np.arange(n_out) * (n_in - 1) / max(n_out - 1, 1)
        i0 = np.minimum(np.floor(src).astype(int), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        M = np.zeros((n_out, n_in))
        np.add.at(M, (np.arange(n_out), i0), 1 - (src - i0))
        np.add.at(M, (np.arange(n_out), i1), src - i0)
        return M
    return matrix(L.shape[1], size[0]) @ L @ matrix(L.shape[2], size[1]).T
''')
report = check_file(student, only=["normalize", "upsample_bilinear"], max_examples=25)
print(report.text())
sys.stdout.flush()
status = {f.name: f.status for f in report.functions}

# %% [markdown]
# **Check.** Everything up to $L_{\text{norm}}$ agrees; the first difference is the upsampling
# (the corner convention); the checker passes the student's `normalize` and fails the upsampling.

# %%
assert first_difference == "heatmap", f"the first differing stage is {first_difference}"
assert status == {"normalize": "pass", "upsample_bilinear": "fail"}, f"the checker says {status}"
print("lesson 16 passed")
