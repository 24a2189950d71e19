"""Where streamtui keeps things. Read at call time; nothing is created on import."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "streamtui"
DATA_ENV = "STREAMTUI_DATA_DIR"
CONFIG_ENV = "STREAMTUI_CONFIG_DIR"
DB_NAME = "streamtui.db"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``override``, else ``$STREAMTUI_DATA_DIR``, else platformdirs."""
    chosen = override or os.environ.get(DATA_ENV)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return platformdirs.user_data_path(APP_NAME)


def config_dir(override: str | os.PathLike[str] | None = None) -> Path:
    chosen = override or os.environ.get(CONFIG_ENV)
    if chosen:
        return Path(chosen).expanduser()
    import platformdirs

    return platformdirs.user_config_path(APP_NAME)


def bundled_content() -> Path:
    """The guide stream shipped with streamtui: inside the wheel, or the checkout's content/."""
    packaged = Path(__file__).resolve().parent.parent / "content"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "content"
