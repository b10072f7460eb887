"""The docker runtime adapter: containers, app network and the nginx router on one host."""
