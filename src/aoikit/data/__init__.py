"""Dataset readers, patching and synthetic data."""
