"""confsearch search API: answer questions over an index built by `indexer`."""
