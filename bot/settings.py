"""Runtime settings, read from the environment (prefix PASSERELLE_) and a `.env` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "passerelle.db"


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PASSERELLE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str = Field(
        default=f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}",
        description="an SQLAlchemy async URL (sqlite+aiosqlite:///path or postgresql+asyncpg://...)",
    )
    default_locale: str = Field(default="fr", description="one of the bundled locales")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


def describe_error(error: ValidationError) -> str:
    """One line naming the first wrong setting and what is expected."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    field_info = Settings.model_fields.get(field)
    expected = (field_info.description if field_info else None) or first["msg"]
    message = first["msg"].removeprefix("Value error, ")
    return f"PASSERELLE_{field.upper()}: {message} (expected {expected})"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(describe_error(error)) from None
