"""bptui: backpropagation, number by number, in the terminal."""

__version__ = "0.1.0"
