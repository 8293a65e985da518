"""The shipped trained weights (``*.npz``) and their model cards (``*.json``).

A package only so that ``pip install`` carries these files into ``numpy_gradcam/data/``; see
``numpy_gradcam.models.load_model``.
"""
