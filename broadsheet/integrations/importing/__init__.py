"""Importers of other comment systems' exports: Disqus, WordPress (WXR), Isso, Remark42.

Each format's reader (disqus.py, wxr.py, isso.py, remark42.py) only parses: it
streams its input and yields the records of records.py. staging.py spools them
to a scratch SQLite file so that a thread's comments can be gathered however the
export orders them, in bounded memory; loading.py then moves one thread at a
time into the site through the write operations (operations.py).
"""
