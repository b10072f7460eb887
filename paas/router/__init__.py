"""nginx configuration for the docker runtime's router; rendering is pure."""
