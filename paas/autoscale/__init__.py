"""Autoscaling on the docker runtime: the loop that measures and applies decisions, and
the queue probe. The decision math itself is pure, in paas.domain.scaling."""
