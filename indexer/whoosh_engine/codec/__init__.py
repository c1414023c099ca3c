"""The index format: the schema and analyzer pickled into it, and segment files written directly."""
