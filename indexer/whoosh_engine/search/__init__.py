"""Answering: queries, BM25F and the array scorer, snippets, facets, copies, similar, suggestions."""
