"""Workspace accounts: one-time sign-in links, argon2 passwords, lock-outs, chat identities.

An account's role is one of agent < editor < admin. Its chat identities (Telegram,
WhatsApp) carry the matching chat role in `people.role`, so the chat commands of
`dialogs/agents.py` keep working for the same person (an editor runs bookings as an agent).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage import PersonRow
from bot.workspace.tables import (
    AccountLinkRow,
    AccountRow,
    SignInThrottleRow,
    WorkspaceSecretRow,
)
from dialogs.state import Role

LINK_VALIDITY = dt.timedelta(hours=24)
MAX_FAILURES = 5
#: An office shares one address: it may mistype a little more than one person.
MAX_ADDRESS_FAILURES = 10
LOCK = dt.timedelta(minutes=15)
MIN_PASSWORD = 10
MAX_PASSWORD = 256
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
LINKABLE_CHANNELS = ("telegram", "whatsapp", "console")

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class WorkspaceRole(StrEnum):
    AGENT = "agent"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return {"agent": 1, "editor": 2, "admin": 3}[self.value]

    def allows(self, needed: WorkspaceRole) -> bool:
        return self.rank >= needed.rank

    @property
    def chat_role(self) -> Role:
        return Role.ADMIN if self is WorkspaceRole.ADMIN else Role.AGENT


class AccountError(Exception):
    """A command or form that cannot be done, with a reason to show."""


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    role: WorkspaceRole
    epoch: int
    has_password: bool
    on_duty: bool
    links: tuple[tuple[str, str], ...] = ()


class SignIn(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    account: Account | None = None


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives times back without their offset: they are UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def address_key(address: str) -> str:
    """Addresses are counted, not kept: only a hash is stored."""
    return hashlib.sha256(f"sign-in:{address}".encode()).hexdigest()


def normal_email(email: str) -> str:
    value = email.strip().lower()
    if not EMAIL.match(value) or len(value) > 254:
        raise AccountError(f"{email!r} is not an email address")
    return value


def _account(row: AccountRow, links: list[AccountLinkRow] | None = None) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        role=WorkspaceRole(row.role),
        epoch=row.session_epoch,
        has_password=row.password_hash is not None,
        on_duty=row.on_duty,
        links=tuple((link.channel, link.platform_id) for link in links or []),
    )


def _new_token(row: AccountRow, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    row.token_hash = token_hash(token)
    row.token_expires_at = now + LINK_VALIDITY
    return token


Sessions = async_sessionmaker[AsyncSession]


async def _by_email(session: AsyncSession, email: str) -> AccountRow | None:
    return await session.scalar(select(AccountRow).where(AccountRow.email == email))


async def add_account(
    sessions: Sessions, email: str, role: WorkspaceRole, now: dt.datetime
) -> tuple[Account, str]:
    """A new account and its one-time sign-in token (valid 24 hours)."""
    email = normal_email(email)
    async with sessions() as session, session.begin():
        if await _by_email(session, email) is not None:
            raise AccountError(f"{email} already has an account (agents reset gives a new link)")
        row = AccountRow(
            email=email,
            role=role.value,
            session_epoch=0,
            failed_sign_ins=0,
            on_duty=True,
            created_at=now,
        )
        token = _new_token(row, now)
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            raise AccountError(f"{email} already has an account") from None
        return _account(row), token


async def reset_account(sessions: Sessions, email: str, now: dt.datetime) -> tuple[Account, str]:
    """A new one-time link; the old password and every session stop working."""
    email = normal_email(email)
    async with sessions() as session, session.begin():
        row = await _by_email(session, email)
        if row is None:
            raise AccountError(f"no account for {email}")
        row.password_hash = None
        row.session_epoch += 1
        row.failed_sign_ins = 0
        row.locked_until = None
        token = _new_token(row, now)
        return _account(row), token


async def set_role(sessions: Sessions, email: str, role: WorkspaceRole) -> Account:
    email = normal_email(email)
    async with sessions() as session, session.begin():
        row = await _by_email(session, email)
        if row is None:
            raise AccountError(f"no account for {email}")
        row.role = role.value
        row.session_epoch += 1
        links = list(
            await session.scalars(select(AccountLinkRow).where(AccountLinkRow.account_id == row.id))
        )
        for link in links:
            await _give_chat_role(session, link.channel, link.platform_id, role.chat_role)
        return _account(row, links)


async def remove_account(sessions: Sessions, email: str) -> Account:
    """The account goes; its chat identities go back to being people."""
    email = normal_email(email)
    async with sessions() as session, session.begin():
        row = await _by_email(session, email)
        if row is None:
            raise AccountError(f"no account for {email}")
        links = list(
            await session.scalars(select(AccountLinkRow).where(AccountLinkRow.account_id == row.id))
        )
        for link in links:
            await _give_chat_role(session, link.channel, link.platform_id, Role.PERSON)
        account = _account(row, links)
        await session.execute(delete(AccountLinkRow).where(AccountLinkRow.account_id == row.id))
        await session.delete(row)
        return account


async def list_accounts(sessions: Sessions) -> list[Account]:
    async with sessions() as session:
        rows = list(await session.scalars(select(AccountRow).order_by(AccountRow.email)))
        links = list(await session.scalars(select(AccountLinkRow)))
    by_account: dict[int, list[AccountLinkRow]] = {}
    for link in links:
        by_account.setdefault(link.account_id, []).append(link)
    return [_account(row, by_account.get(row.id)) for row in rows]


async def _give_chat_role(
    session: AsyncSession, channel: str, platform_id: str, role: Role
) -> None:
    row = await session.scalar(
        select(PersonRow).where(PersonRow.channel == channel, PersonRow.platform_id == platform_id)
    )
    if row is None:
        row = PersonRow(channel=channel, platform_id=platform_id, consents={})
        session.add(row)
    row.role = role.value


async def link_identity(sessions: Sessions, email: str, channel: str, platform_id: str) -> Account:
    """The chat identity gets the account's role; the chat commands work for it."""
    email = normal_email(email)
    if channel not in LINKABLE_CHANNELS:
        raise AccountError(f"{channel!r} is not a chat channel")
    async with sessions() as session, session.begin():
        row = await _by_email(session, email)
        if row is None:
            raise AccountError(f"no account for {email}")
        existing = await session.get(AccountLinkRow, (channel, platform_id))
        if existing is not None and existing.account_id != row.id:
            raise AccountError(f"{channel} {platform_id} is linked to another account")
        if existing is None:
            session.add(AccountLinkRow(channel=channel, platform_id=platform_id, account_id=row.id))
        await _give_chat_role(session, channel, platform_id, WorkspaceRole(row.role).chat_role)
        await session.flush()
        links = list(
            await session.scalars(select(AccountLinkRow).where(AccountLinkRow.account_id == row.id))
        )
        return _account(row, links)


async def account_for_link(sessions: Sessions, channel: str, platform_id: str) -> Account | None:
    async with sessions() as session:
        link = await session.get(AccountLinkRow, (channel, platform_id))
        if link is None:
            return None
        row = await session.get(AccountRow, link.account_id)
        return _account(row) if row else None


async def account(sessions: Sessions, account_id: int) -> Account | None:
    async with sessions() as session:
        row = await session.get(AccountRow, account_id)
        if row is None:
            return None
        links = list(
            await session.scalars(select(AccountLinkRow).where(AccountLinkRow.account_id == row.id))
        )
        return _account(row, links)


async def set_on_duty(sessions: Sessions, account_id: int, on_duty: bool) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(AccountRow).where(AccountRow.id == account_id).values(on_duty=on_duty)
        )


# -- the one-time link -----------------------------------------------------------------------


async def account_for_token(sessions: Sessions, token: str, now: dt.datetime) -> Account | None:
    if not token or len(token) > 100:
        return None
    async with sessions() as session:
        row = await session.scalar(
            select(AccountRow).where(AccountRow.token_hash == token_hash(token))
        )
    if row is None:
        return None
    expires = utc(row.token_expires_at)
    if expires is None or expires <= now:
        return None
    return _account(row)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("short")
    if len(password) > MAX_PASSWORD:
        raise AccountError("long")


async def redeem_token(
    sessions: Sessions, token: str, password: str, now: dt.datetime
) -> Account | None:
    """Set the password through the one-time link; the link then stops working."""
    check_password(password)
    hashed = await asyncio.to_thread(_hasher.hash, password)
    async with sessions() as session, session.begin():
        row = await session.scalar(
            select(AccountRow).where(AccountRow.token_hash == token_hash(token))
        )
        expires = utc(row.token_expires_at) if row is not None else None
        if row is None or expires is None or expires <= now:
            return None
        row.password_hash = hashed
        row.token_hash = None
        row.token_expires_at = None
        row.session_epoch += 1
        row.failed_sign_ins = 0
        row.locked_until = None
        row.last_sign_in_at = now
        return _account(row)


# -- signing in --------------------------------------------------------------------------------


async def _throttle(session: AsyncSession, address: str) -> SignInThrottleRow:
    key = address_key(address)
    row = await session.get(SignInThrottleRow, key)
    if row is None:
        row = SignInThrottleRow(address=key, failures=0)
        session.add(row)
    return row


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY_HASH, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


async def sign_in(
    sessions: Sessions, email: str, password: str, address: str, now: dt.datetime
) -> SignInResult:
    """Check a password; 5 wrong ones lock the account for 15 minutes, and wrong ones are
    counted per client address too. A locked account is refused even the right password."""
    try:
        email = normal_email(email)
    except AccountError:
        email = ""
    async with sessions() as session:
        row = await _by_email(session, email) if email else None
        throttle = await session.get(SignInThrottleRow, address_key(address))
        hashed = row.password_hash if row is not None else None
        locked = (row is not None and (utc(row.locked_until) or now) > now) or (
            throttle is not None and (utc(throttle.locked_until) or now) > now
        )
    if locked:
        return SignInResult(SignIn.LOCKED)
    matches = await asyncio.to_thread(_verify, hashed, password[:MAX_PASSWORD])
    async with sessions() as session, session.begin():
        throttle_row = await _throttle(session, address)
        fresh = await session.get(AccountRow, row.id) if row is not None else None
        if matches and fresh is not None:
            fresh.failed_sign_ins = 0
            fresh.locked_until = None
            fresh.last_sign_in_at = now
            return SignInResult(SignIn.OK, _account(fresh))
        throttle_row.failures += 1
        throttle_row.updated_at = now
        if throttle_row.failures >= MAX_ADDRESS_FAILURES:
            throttle_row.failures = 0
            throttle_row.locked_until = now + LOCK
        if fresh is not None:
            fresh.failed_sign_ins += 1
            if fresh.failed_sign_ins >= MAX_FAILURES:
                fresh.failed_sign_ins = 0
                fresh.locked_until = now + LOCK
                return SignInResult(SignIn.LOCKED)
        return SignInResult(SignIn.WRONG)


async def secret_key(sessions: Sessions) -> str:
    """The cookie-signing key, made on first use and shared by every process."""
    for _attempt in range(3):
        try:
            async with sessions() as session, session.begin():
                row = await session.get(WorkspaceSecretRow, "session")
                if row is None:
                    row = WorkspaceSecretRow(name="session", value=secrets.token_urlsafe(48))
                    session.add(row)
                return row.value
        except IntegrityError:
            # Another process made it at the same moment: read theirs.
            continue
    raise RuntimeError("no session key could be stored")
