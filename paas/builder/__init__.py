"""From pushed source to an app image: source snapshot, detection, plan, build, publish."""
