"""The index folder: generations, leases, recorded settings, checked readers, searchers."""
