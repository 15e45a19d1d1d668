"""Command line: ``numopt demo`` or ``python -m numopt demo``; ``numopt --version``."""

import argparse
import sys


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def _optimizer_names(text):
    from numopt._demo import OPTIMIZER_LRS

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in OPTIMIZER_LRS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {','.join(OPTIMIZER_LRS)}"
        )
    return names


def build_parser():
    """The ``numopt`` argument parser (one subcommand per job)."""
    from numopt._demo import DEFAULT_DEMO, DEMOS, OPTIMIZER_LRS
    from numopt._version import __version__

    parser = argparse.ArgumentParser(
        prog="numopt",
        description="Numba-compiled optimizers for NumPy.",
    )
    parser.add_argument("--version", action="version", version=f"numopt {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help=f"run a demo (default: {DEFAULT_DEMO}, {DEMOS[DEFAULT_DEMO][1]})",
        description="Run a demo. Available: "
        + "; ".join(f"{name}: {desc}" for name, (_, desc) in DEMOS.items()),
    )
    demo.add_argument("name", nargs="?", default=DEFAULT_DEMO, choices=sorted(DEMOS),
                      help=f"which demo (default: {DEFAULT_DEMO})")
    demo.add_argument("--steps", type=_non_negative_int, default=10,
                      help="printed steps per optimizer (default: 10)")
    demo.add_argument("--budget", type=_non_negative_int, default=500,
                      help="timed steps per optimizer (default: 500)")
    demo.add_argument("--seed", type=int, default=0,
                      help="seed for the data and the initial point (default: 0)")
    demo.add_argument("--quiet", action="store_true", help="print only the summary table")
    demo.add_argument("--curves", type=_non_negative_int, default=100_000,
                      help="number of curves of the peak-fitting demo (default: 100000)")
    demo.add_argument(
        "--optimizers",
        type=_optimizer_names,
        default=None,
        metavar="NAMES",
        help="comma-separated subset of " + ",".join(OPTIMIZER_LRS) + " (default: all)",
    )
    return parser


def main(argv=None):
    """Entry point of the ``numopt`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status, 0 on success.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from numopt._demo import run_demo

        options = {"steps": args.steps, "budget": args.budget, "seed": args.seed,
                   "quiet": args.quiet}
        if args.optimizers is not None:
            options["optimizers"] = args.optimizers
        if args.name in ("peaks", "all"):
            options["curves"] = args.curves
        run_demo(args.name, out=print, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
