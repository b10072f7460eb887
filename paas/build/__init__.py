"""From pushed source to an image: extraction, buildpack detection, build plan, image build."""
