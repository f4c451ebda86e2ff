"""Command-line entry points."""


def main() -> None:
    """Entry point of the `mychangsha` console script."""
    raise SystemExit("not yet wired")
