"""Runtime settings, read from the environment (prefix PASSERELLE_) and a `.env` file."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_PATH = Path("var") / "passerelle.db"


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line naming it."""


class WhatsAppTemplate(BaseModel):
    """An approved WhatsApp message template, for notifications outside the 24-hour window."""

    #: The template's name as approved in WhatsApp Manager.
    name: str = Field(min_length=1, max_length=512)
    #: WhatsApp's language code of the template (`fr`, `en_US`...); the locale when absent.
    language: str | None = None
    #: The notification's parameter names, in the order of the template's {{1}}, {{2}}...
    params: list[str] = Field(default_factory=list)
    #: Option ids for the template's quick-reply buttons, in order (e.g. "nav:menu").
    buttons: list[str] = Field(default_factory=list)


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
    log_format: Literal["text", "json"] = Field(
        default="text", description="text (one line per event) or json (one object per line)"
    )

    # Web server shared by the webhooks (`passerelle serve`).
    public_url: str | None = Field(default=None, description="the https root the platforms reach")
    #: `/readyz` answers 503 above this many replies owed now (a channel not keeping up).
    ready_max_backlog: int = Field(
        default=1000, ge=1, description="a number of unsent replies, at least 1"
    )

    # Telegram
    telegram_token: str | None = Field(default=None, description="a Bot API token like 123:abc")
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="a Bot API server root URL"
    )
    telegram_webhook_secret: str | None = Field(
        default=None, description="1-256 characters of A-Z a-z 0-9 _ -"
    )

    # WhatsApp Business Cloud API
    whatsapp_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: str | None = None
    whatsapp_verify_token: str | None = None
    whatsapp_api_url: str = Field(
        default="https://graph.facebook.com/v21.0", description="a Graph API root URL"
    )
    whatsapp_templates: dict[str, dict[str, WhatsAppTemplate]] = Field(
        default_factory=dict,
        description='JSON {"kind": {"locale": {"name": ..., "language": ..., "params": [...]}}}',
    )
    whatsapp_max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        le=16_777_216,
        description="the largest webhook body accepted, in bytes (1024 to 16777216)",
    )

    # Health: `passerelle run` touches this file every few seconds while its channels
    # work (polling up); `passerelle health` fails when it is older than 15 seconds.
    health_file: Path | None = Field(default=None, description="a file path")

    # Delivery
    delivery_lease_seconds: float = Field(
        default=30.0,
        ge=1.0,
        le=600.0,
        description="seconds a process's claim on replies lasts unless renewed (1 to 600)",
    )
    telegram_processed_hours: int = Field(
        default=48,
        ge=25,
        le=2160,
        description="hours a Telegram update id is kept against redelivery (25 to 2160)",
    )
    whatsapp_processed_hours: int = Field(
        default=192,
        ge=169,
        le=2160,
        description="hours a WhatsApp message id is kept against redelivery (169 to 2160)",
    )

    # Bookings
    booking_retention_days: int = Field(
        default=90, ge=1, le=3650, description="a number of days between 1 and 3650"
    )
    services_file: Path | None = Field(
        default=None,
        description="a services YAML file instead of bookings/services.yaml (tests use one)",
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not (
            value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")
        ):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_token(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("telegram_token")
    @classmethod
    def _token(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", value):
            raise ValueError("must look like 123456:ABC-def")
        return value

    @field_validator("telegram_api_url", "whatsapp_api_url", "public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def delivery_lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.delivery_lease_seconds)

    def processed_window(self, channel: str) -> dt.timedelta:
        """How long a channel's update ids are kept: past its platform's redelivery window
        (Telegram keeps an update 24 hours, Meta retries a webhook for 7 days)."""
        hours = {
            "telegram": self.telegram_processed_hours,
            "whatsapp": self.whatsapp_processed_hours,
        }.get(channel, self.whatsapp_processed_hours)
        return dt.timedelta(hours=hours)


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
