"""`python -m bench.live`: the live updates benchmark (run.py)."""

import sys

from bench.live.run import main

sys.exit(main())
