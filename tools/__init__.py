"""Command-line tools and local-stack machinery (not deployed)."""
