"""Imports fine; the function never returns."""


def gap_weights(dy_dA):
    while True:
        pass
