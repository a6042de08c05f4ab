"""Signed webhooks: editors register endpoints, and the worker tells them of comments
and moderators' decisions, signed as Standard Webhooks says (docs/webhooks.md)."""
