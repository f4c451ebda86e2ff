"""`python -m mychangsha` is the `mychangsha` command."""

from mychangsha.cli import main

main()
