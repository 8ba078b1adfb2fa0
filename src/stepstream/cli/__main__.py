"""`python -m stepstream.cli`."""

from . import main

main()
