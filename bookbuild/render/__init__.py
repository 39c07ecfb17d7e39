"""Rendering: turn executed chapters into pages (HTML, figures)."""
