"""Allow ``python -m bookbuild``."""

import sys

from .cli import main

sys.exit(main())
