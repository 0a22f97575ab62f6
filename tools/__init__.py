"""Command-line tools and local-stack machinery (not deployed).

Importing the package puts the shared layer (``rewards``) on the path, so every
``python -m tools.X`` runs from the repository root without PYTHONPATH.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "shared")
if _LAYER not in sys.path:
    sys.path.append(_LAYER)
