"""Benchmarks: this project and newsboat side by side (``python -m bench``)."""
