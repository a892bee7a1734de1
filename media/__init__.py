"""Uploads: image checks and re-encoding, previews, and storage (local files or S3)."""
