"""paas: a container-native PaaS for Python web apps."""

__version__ = "0.1.0"
