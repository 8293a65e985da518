"""blend: the coloured heatmap in BGR order (as OpenCV's applyColorMap returns it)."""


def blend(image, colored, alpha):
    return alpha * colored[:, ::-1] + (1 - alpha) * image
