"""Where releases run: the Runtime port and its docker and kubernetes adapters."""
