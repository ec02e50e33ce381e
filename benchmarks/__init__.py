"""Reproducible measurements, each printing one JSON line."""
