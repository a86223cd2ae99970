"""Rendering of headwater results: text, JSON, Markdown (and HTML)."""
