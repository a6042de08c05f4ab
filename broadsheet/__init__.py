"""Broadsheet: a self-hosted news publication with a reader discussion system."""

__version__ = "0.1.0"
