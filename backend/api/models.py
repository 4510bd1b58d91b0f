"""Imports every domain's tables so that the metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from backend.accounts import models as accounts_models  # noqa: F401
from backend.board import models as board_models  # noqa: F401
from backend.market import models as market_models  # noqa: F401
from backend.push import models as push_models  # noqa: F401
from backend.safety import models as safety_models  # noqa: F401
from backend.sync import models as sync_models  # noqa: F401

metadata = SQLModel.metadata
