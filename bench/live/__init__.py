"""The live updates benchmark (run.py; README.md says what it measures)."""
