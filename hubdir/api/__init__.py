"""The read-only JSON API (ARCHITECTURE.md §8)."""
