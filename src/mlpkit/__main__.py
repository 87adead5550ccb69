"""``python -m mlpkit`` runs the command line.

A rank started by torchrun (``--nproc``) leaves the process group in ``distributed.leave``
and then exits at once, skipping the interpreter's finalisation: there, gloo's worker threads
can still hold tensors and abort the process ("terminate called without an active
exception", pytorch/pytorch#179291) after all its work is done and written.
"""

import os
import sys

from mlpkit.cli import main
from mlpkit.torch_engine.distributed import launched

code = main()
if launched():
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
sys.exit(code)
