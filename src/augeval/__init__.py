"""augeval: evaluate deep music generators by data augmentation of a music classifier."""

__version__ = "0.1.0"
