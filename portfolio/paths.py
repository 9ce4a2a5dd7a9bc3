"""Where the project's own files are (curricula, templates, migrations, assets)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
