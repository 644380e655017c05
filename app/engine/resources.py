"""Where callqa's data lives: the built-in checklists with their language data, and the Alembic
migrations with alembic.ini.

An installed wheel carries them in `app/_data` (hatch force-include); the checkout that `uv run`
installs as editable keeps them at the top level of the repository. Pure path arithmetic, so the
engine (checklists) and app.db (migrations) both find them the same way.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_PACKAGED = _PACKAGE / "_data"

DATA_DIR = _PACKAGED if _PACKAGED.is_dir() else _PACKAGE.parent
"""The folder holding `checklists/`, `migrations/` and `alembic.ini`."""
BUILTIN_DIR = DATA_DIR / "checklists"
"""The built-in checklists with their language data and shared phrase lists."""
