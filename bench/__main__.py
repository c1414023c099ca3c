"""`python -m bench --corpus C`: the whole comparison for one corpus (see bench.compare)."""

from .compare import main

main()
