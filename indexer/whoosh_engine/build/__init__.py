"""Writing the index: the bulk build, updates, and what a failed write leaves."""
