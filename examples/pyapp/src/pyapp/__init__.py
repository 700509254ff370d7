"""pyapp: a small CLI packed with flavor (see ../../pyproject.toml)."""
