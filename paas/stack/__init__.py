"""The operator's images: the Debian-built stack, the platform server image, and pushing them."""
