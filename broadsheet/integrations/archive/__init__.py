"""Broadsheet's own archive: `export` and `restore` of the whole site in a
versioned JSON Lines format, and `backup`, a copy of the live database.

contents.py says what an export holds (every model of our apps, generically, and
Django's groups, which are our roles) and what it leaves out and why;
exporting.py writes it from one consistent snapshot; reading.py checks a file
whole before anything is written; operations.py restores it, in one transaction;
backup.py copies the database while the site serves and prunes old copies.
"""
