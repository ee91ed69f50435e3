"""Jinja2 templates, shipped as package data and read with `importlib.resources`."""
