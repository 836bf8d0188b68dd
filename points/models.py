"""Partner shops (協力店) and, with the ledger, the points accounts and vouchers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db import Base, UTCDateTime, utcnow


class Shop(Base):
    """A 協力店 that accepts 地域商品券 and is settled by the ward monthly."""

    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
