"""Broadsheet's JSON API under /api/v1/ (docs/api.md, docs/adr/0013-json-api.md).

A door like the pages: each endpoint parses, checks who calls and what they may
see, calls one operation of the feature apps, and renders JSON. Nothing here
writes a row a reader sees except through those operations.
"""
