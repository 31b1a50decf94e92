"""The Textual app: a thin layer over the model in :mod:`reader`."""
