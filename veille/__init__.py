"""veille: an innovation watch for digital-learning managers."""

__version__ = "0.1.0"
