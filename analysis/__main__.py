"""``python -m analysis``: see :mod:`analysis.cli`."""

import sys

from analysis.engine.compiled_code import use_private_cache_folder

# Before anything imports numba: its compiled code is kept in a private temporary folder.
use_private_cache_folder()

from analysis.cli import main  # noqa: E402

sys.exit(main())
