"""numpy-gradcam: Grad-CAM and its family in pure NumPy."""
