"""Prometheus counters of the media app."""

from prometheus_client import Counter

UPLOADS = Counter("minitter_uploads", "Images uploaded and stored.")
