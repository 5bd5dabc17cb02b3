#!/usr/bin/env python3
"""Train or fine-tune the compact Vietnamese→English Marian model (vi2en.training; see its --help).

    python scripts/train_compact.py --help
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from vi2en.training import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main())
