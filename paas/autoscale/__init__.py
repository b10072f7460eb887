"""Autoscaling: pure policy math and the loop that applies it on the docker runtime."""
