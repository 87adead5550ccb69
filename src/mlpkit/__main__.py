"""``python -m mlpkit`` runs the command line."""

import sys

from mlpkit.cli import main

sys.exit(main())
