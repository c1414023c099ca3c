"""Answering: queries, BM25F, the array scorer, snippets, facets, copies, similar, suggestions."""
