"""The subcommands of ``numpy-gradcam``.

One module each, with ``add_parser(subparsers)`` and ``run(args)``.
"""
