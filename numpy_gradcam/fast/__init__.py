"""The accelerator: the same numbers as the reference engine, sooner. On by default.

:mod:`numpy_gradcam.nn` is the reference: one thread, every intermediate kept, written to be
read. This package makes no new arithmetic of its own that is not tested equal to it
(``tests/fast``); it only rearranges the work:

=================  ====================================================  ==================
module             what it does                                           used by
=================  ====================================================  ==================
``workers``        how many worker threads (default: the cores this       everything below
                   process may use), one BLAS thread per worker (a lone
                   item gives the threads to BLAS)
``trace``          a forward pass split into one chunk of images per      ``explain``,
                   worker, each chunk the reference's own trace; the      ``gradients``
                   backward passes run per chunk on the same workers;
                   Grad-CAM's layers up to ``A`` run compiled
``graph``          the calls a model makes, read off its own              ``compiled``
                   ``forward_with`` run on symbolic nodes (residual
                   sums included; a head written as ``x.reshape``
                   ends it)
``compiled``       a forward pass for inference only: CNHW, im2col as     Score-CAM,
                   shifted copies, BatchNorm and the bias folded into     occlusion, the
                   the product, pools before the activation, depthwise    evaluation curves,
                   convolutions by channel blocks, cache-sized chunks     Grad-CAM's layers
                   on the workers                                         up to ``A``
``buffers``        the compiled forward's per-thread scratch arrays
``batches``        many perturbed forward passes, one batch per worker,   Score-CAM,
                   with a progress display                                Ablation-CAM,
                                                                          occlusion
=================  ====================================================  ==================

**Which weights, read when.** :func:`trace` reads the model's weights live, at the call, as the
reference does (it *is* the reference, run on chunks; the compiled layers up to ``A`` are
compiled at that call). :func:`compile_forward` reads them once,
when it compiles (BatchNorm folded into the convolution, kernels reshaped): the forward it
returns keeps computing with that snapshot even if the model's weights change later. The methods
compile at each call of ``explain``, so an explanation always uses the weights of its own call.
Nothing else is cached: the per-thread scratch arrays (:mod:`~numpy_gradcam.fast.buffers`) hold
shapes' worth of memory, never weights, and go away with the model.

**Threads.** ``numpy_gradcam.fast.set_threads(1)`` (or ``with numpy_gradcam.fast.threads(1):``,
or ``NUMPY_GRADCAM_THREADS=1`` in the environment) asks for the serial reference: everything
runs in the caller's thread with one BLAS thread, and ``explain`` and ``gradients`` trace every
layer with the reference engine (every intermediate kept, as :meth:`Module.trace
<numpy_gradcam.nn.Module.trace>` does). The methods that run many forward passes keep the
compiled forward, serially: a forward pass alone keeps no intermediate, and it is tested equal
to the reference. With the same inputs and the same setting the results are the same bits;
across settings they agree to rounding (sums in another order: BatchNorm folded into the
convolution, matrix products of other sizes; ~1e-15 relative in float64, ~1e-6 in float32).
"""

from .compiled import compile_forward, fast_forward
from .trace import SplitTrace, trace
from .workers import get_threads, parallel_map, set_threads, threads, usable_cores

__all__ = [
    "SplitTrace",
    "compile_forward",
    "fast_forward",
    "get_threads",
    "parallel_map",
    "set_threads",
    "threads",
    "trace",
    "usable_cores",
]
