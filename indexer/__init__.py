"""confsearch indexer: turn conference documents into a searchable index."""

__version__ = "0.1.0"
