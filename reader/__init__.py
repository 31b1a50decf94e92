"""A terminal newsreader: seed text and RSS/Atom feeds into a TinyDB store, read in Textual."""

__version__ = "0.1.0"
