"""`python -m goalguard`, the same as the `goalguard` command."""

from goalguard.cli import main

main()
