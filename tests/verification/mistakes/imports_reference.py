"""Does nothing but import the reference: must be refused, not passed."""
from numpy_gradcam.cam.combination import combine  # noqa: F401
from numpy_gradcam.cam.normalization import normalize  # noqa: F401
from numpy_gradcam.cam.weighting import gap_weights  # noqa: F401
