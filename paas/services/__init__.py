"""Use cases (deploy, scale, config, rollback, run) orchestrating the ports."""
