"""Prints at import and in every call, and is right: printing must not break the checker."""
import sys

print("garbage " * 1000)
print("{not json", file=sys.stderr)


def relu_backward(dout, x):
    print("computing", dout.shape)
    return dout * (x > 0)
