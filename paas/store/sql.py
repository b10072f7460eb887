"""The Store on SQLAlchemy Core: SQLite by default, PostgreSQL by URL.

SQLite runs in WAL mode with every change in one transaction, so a ``kill -9`` of the
server mid-deploy leaves either the old state or the new one, never half of each. Its
files are the owner's only (0600). Release config and add-on passwords are sealed with
the SecretBox the store is given (paas.store.secrets), never stored in clear.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from paas.domain.addons import Addon
from paas.domain.app import App
from paas.domain.autoscale import AutoscalePolicy
from paas.domain.certs import AppTls, Certificate
from paas.domain.limits import AppLimits
from paas.domain.release import Build, Release, ReleaseStatus
from paas.errors import Conflict, NotFound
from paas.store.codec import build_from_dict, build_to_dict, policy_from_dict, policy_to_dict
from paas.store.port import TokenInfo, User
from paas.store.secrets import PREFIX, SecretBox

metadata = sa.MetaData()

apps = sa.Table(
    "apps",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("domains", sa.Text, nullable=False, default="[]"),
    sa.Column("formation", sa.Text, nullable=False, default="{}"),
)

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("app", sa.String(64), sa.ForeignKey("apps.name", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("build", sa.Text, nullable=True),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
)

policies = sa.Table(
    "autoscale_policies",
    metadata,
    sa.Column("app", sa.String(64), sa.ForeignKey("apps.name", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("process_type", sa.String(64), primary_key=True),
    sa.Column("policy", sa.Text, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("is_admin", sa.Boolean, nullable=False),
)

tokens = sa.Table(
    "tokens",
    metadata,
    sa.Column("hash", sa.String(128), primary_key=True),
    sa.Column("user", sa.String(64), sa.ForeignKey("users.name", ondelete="CASCADE"),
              nullable=False),
    sa.Column("label", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# -- revoked tokens and per-app access (new tables, so older databases gain them
# through create_all without a migration) ---------------------------------------------
revoked_tokens = sa.Table(
    "revoked_tokens",
    metadata,
    sa.Column("hash", sa.String(128), sa.ForeignKey("tokens.hash", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
)

app_access = sa.Table(
    "app_access",
    metadata,
    sa.Column("app", sa.String(64), sa.ForeignKey("apps.name", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user", sa.String(64), sa.ForeignKey("users.name", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("granted_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

#: A token's public id: the head of its hash (48 bits), enough to name it, useless to log in.
TOKEN_ID_LENGTH = 12


# add-ons: one row per app and kind; removed with the app by the cascade.
addons = sa.Table(
    "addons",
    metadata,
    sa.Column("app", sa.String(64), sa.ForeignKey("apps.name", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("kind", sa.String(32), primary_key=True),
    # Sealed: a Fernet token is longer than the password (PostgreSQL columns made as
    # VARCHAR(128) by older versions are widened at start).
    sa.Column("password", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Sizes and admin-raised limits of an app: a table of its own (one row per app that has
# any), so databases of earlier versions gain it through create_all, without a migration.
app_resources = sa.Table(
    "app_resources",
    metadata,
    sa.Column("app", sa.String(64), sa.ForeignKey("apps.name", ondelete="CASCADE"),
              primary_key=True),
    #: {process type: size name}
    sa.Column("sizes", sa.Text, nullable=False, default="{}"),
    sa.Column("max_per_type", sa.Integer, nullable=True),
    sa.Column("max_per_app", sa.Integer, nullable=True),
    sa.Column("writable_root", sa.Boolean, nullable=False, default=False),
)


# TLS: one row per app with a certificate or a TLS switch set; the certificate's public
# parts only (the key lives in a 0600 file the router reads). A new table: older
# databases gain it through create_all.
app_tls = sa.Table(
    "app_tls",
    metadata,
    sa.Column("app", sa.String(64), sa.ForeignKey("apps.name", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("cert", sa.Text, nullable=True),
    sa.Column("auto", sa.Boolean, nullable=False, default=False),
    sa.Column("redirect", sa.Boolean, nullable=False, default=True),
    sa.Column("hsts", sa.Boolean, nullable=False, default=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
)


def _cert_to_json(cert: Certificate | None) -> str | None:
    if cert is None:
        return None
    return json.dumps({"hosts": list(cert.hosts), "issuer": cert.issuer,
                       "not_before": cert.not_before.isoformat(),
                       "not_after": cert.not_after.isoformat(),
                       "fingerprint": cert.fingerprint, "ocsp_url": cert.ocsp_url,
                       "chain_pem": cert.chain_pem, "source": cert.source})


def _cert_from_json(text: str | None) -> Certificate | None:
    if text is None:
        return None
    d = json.loads(text)
    return Certificate(hosts=tuple(d["hosts"]), issuer=d["issuer"],
                       not_before=datetime.fromisoformat(d["not_before"]),
                       not_after=datetime.fromisoformat(d["not_after"]),
                       fingerprint=d["fingerprint"], ocsp_url=d["ocsp_url"],
                       chain_pem=d["chain_pem"], source=d["source"])


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(dt: datetime) -> datetime:
    """SQLite drops tzinfo; every timestamp we write is UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _private_sqlite_files(engine: Engine) -> None:
    """Create the database file 0600 before SQLite does (its -wal and -shm files take the
    database's mode), and tighten the files of an older, world-readable database."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with contextlib.suppress(FileNotFoundError):
            name.chmod(0o600)


def make_engine(url: str) -> Engine:
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        _private_sqlite_files(engine)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

    return engine


class SqlStore:
    def __init__(self, url: str, *, secrets: SecretBox) -> None:
        self.engine = make_engine(url)
        self.secrets = secrets
        metadata.create_all(self.engine)
        self._migrate()

    def _migrate(self) -> None:
        """Bring an older database up to these rules, in one transaction."""
        with self._tx() as c:
            if self.engine.dialect.name == "postgresql":
                c.execute(sa.text("ALTER TABLE addons ALTER COLUMN password TYPE TEXT"))
            self._reseal(c, only_clear=True)

    def _reseal(self, c: Connection, *, only_clear: bool) -> int:
        """Seal every secret with the first key: clear ones only, or all (a rotation)."""
        count = 0
        clear_config = ~releases.c.config.startswith(PREFIX) if only_clear else sa.true()
        for r in c.execute(sa.select(releases.c.app, releases.c.version, releases.c.config)
                           .where(clear_config)):
            c.execute(releases.update()
                      .where(releases.c.app == r.app, releases.c.version == r.version)
                      .values(config=self.secrets.reseal(r.config)))
            count += 1
        clear_password = ~addons.c.password.startswith(PREFIX) if only_clear else sa.true()
        for r in c.execute(sa.select(addons.c.app, addons.c.kind, addons.c.password)
                           .where(clear_password)):
            c.execute(addons.update().where(addons.c.app == r.app, addons.c.kind == r.kind)
                      .values(password=self.secrets.reseal(r.password)))
            count += 1
        return count

    def reseal_all(self) -> int:
        """Seal every stored secret with the first key, in one transaction: the step of a
        key rotation after which the older keys may be dropped. Returns how many."""
        with self._tx() as c:
            return self._reseal(c, only_clear=False)

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # apps ---------------------------------------------------------------------------
    @staticmethod
    def _app(row: Any) -> App:
        return App(
            name=row.name,
            owner=row.owner,
            created_at=_aware(row.created_at),
            domains=tuple(json.loads(row.domains)),
            formation=json.loads(row.formation),
            sizes=json.loads(row.sizes) if row.sizes else {},
            limits=AppLimits(row.max_per_type, row.max_per_app, bool(row.writable_root)),
        )

    @staticmethod
    def _apps_query() -> Any:
        """Apps with their resources row (absent for an app never resized or raised)."""
        r = app_resources
        return sa.select(apps, r.c.sizes, r.c.max_per_type, r.c.max_per_app,
                         r.c.writable_root).select_from(
            apps.outerjoin(r, r.c.app == apps.c.name))

    def create_app(self, app: App) -> App:
        try:
            with self._tx() as c:
                c.execute(
                    apps.insert().values(
                        name=app.name,
                        owner=app.owner,
                        created_at=app.created_at,
                        domains=json.dumps(list(app.domains)),
                        formation=json.dumps(dict(app.formation)),
                    )
                )
        except IntegrityError as e:
            raise Conflict(f"app {app.name!r} already exists") from e
        return app

    def get_app(self, name: str) -> App:
        with self._tx() as c:
            row = c.execute(self._apps_query().where(apps.c.name == name)).first()
        if row is None:
            raise NotFound(f"app {name!r} not found")
        return self._app(row)

    def list_apps(self) -> list[App]:
        with self._tx() as c:
            return [self._app(r)
                    for r in c.execute(self._apps_query().order_by(apps.c.name))]

    def _update_app(self, name: str, **values: str) -> App:
        with self._tx() as c:
            res = c.execute(apps.update().where(apps.c.name == name).values(**values))
            if res.rowcount == 0:
                raise NotFound(f"app {name!r} not found")
        return self.get_app(name)

    def set_formation(self, name: str, formation: Mapping[str, int]) -> App:
        return self._update_app(name, formation=json.dumps(dict(formation), sort_keys=True))

    def set_domains(self, name: str, domains: tuple[str, ...]) -> App:
        return self._update_app(name, domains=json.dumps(list(domains)))

    def transfer_app(self, name: str, owner: str) -> App:
        with self._tx() as c:
            if c.execute(users.select().where(users.c.name == owner)).first() is None:
                raise NotFound(f"user {owner!r} not found")
            res = c.execute(apps.update().where(apps.c.name == name).values(owner=owner))
            if res.rowcount == 0:
                raise NotFound(f"app {name!r} not found")
            c.execute(app_access.delete().where(app_access.c.app == name,
                                                app_access.c.user == owner))
        return self.get_app(name)

    def _set_resources(self, name: str, **values: Any) -> App:
        with self._tx() as c:
            if c.execute(apps.select().where(apps.c.name == name)).first() is None:
                raise NotFound(f"app {name!r} not found")
            done = c.execute(app_resources.update().where(app_resources.c.app == name)
                             .values(**values))
            if done.rowcount == 0:
                c.execute(app_resources.insert().values(app=name, **values))
        return self.get_app(name)

    def set_sizes(self, name: str, sizes: Mapping[str, str]) -> App:
        return self._set_resources(name, sizes=json.dumps(dict(sizes), sort_keys=True))

    def set_limits(self, name: str, limits: AppLimits) -> App:
        return self._set_resources(name, max_per_type=limits.max_per_type,
                                   max_per_app=limits.max_per_app,
                                   writable_root=limits.writable_root)

    def delete_app(self, name: str) -> None:
        with self._tx() as c:
            c.execute(releases.delete().where(releases.c.app == name))
            c.execute(policies.delete().where(policies.c.app == name))
            c.execute(app_resources.delete().where(app_resources.c.app == name))
            c.execute(apps.delete().where(apps.c.name == name))

    # releases -----------------------------------------------------------------------
    def _release(self, row: Any) -> Release:
        return Release(
            app=row.app,
            version=row.version,
            build=build_from_dict(json.loads(row.build)) if row.build else None,
            config=json.loads(self.secrets.open(row.config)),
            description=row.description,
            created_by=row.created_by,
            created_at=_aware(row.created_at),
            status=ReleaseStatus(row.status),
        )

    def add_release(
        self,
        app: str,
        build: Build | None,
        config: Mapping[str, str],
        description: str,
        created_by: str,
    ) -> Release:
        with self._tx() as c:
            if c.execute(apps.select().where(apps.c.name == app)).first() is None:
                raise NotFound(f"app {app!r} not found")
            last = c.execute(
                sa.select(sa.func.max(releases.c.version)).where(releases.c.app == app)
            ).scalar()
            rel = Release(
                app=app,
                version=(last or 0) + 1,
                build=build,
                config=dict(config),
                description=description,
                created_by=created_by,
                created_at=_now(),
                status=ReleaseStatus.PENDING,
            )
            c.execute(
                releases.insert().values(
                    app=app,
                    version=rel.version,
                    build=json.dumps(build_to_dict(build)) if build else None,
                    config=self.secrets.seal(json.dumps(dict(config))),
                    description=description,
                    created_by=created_by,
                    created_at=rel.created_at,
                    status=rel.status.value,
                )
            )
        return rel

    def set_release_status(self, app: str, version: int, status: ReleaseStatus) -> Release:
        with self._tx() as c:
            c.execute(
                releases.update()
                .where(releases.c.app == app, releases.c.version == version)
                .values(status=status.value)
            )
        return self.get_release(app, version)

    def get_release(self, app: str, version: int) -> Release:
        with self._tx() as c:
            row = c.execute(
                releases.select().where(releases.c.app == app, releases.c.version == version)
            ).first()
        if row is None:
            raise NotFound(f"release v{version} of {app!r} not found")
        return self._release(row)

    def list_releases(self, app: str) -> list[Release]:
        with self._tx() as c:
            rows = c.execute(
                releases.select().where(releases.c.app == app).order_by(releases.c.version.desc())
            )
            return [self._release(r) for r in rows]

    def current_release(self, app: str) -> Release | None:
        with self._tx() as c:
            row = c.execute(
                releases.select()
                .where(releases.c.app == app, releases.c.status == ReleaseStatus.SUCCEEDED.value)
                .order_by(releases.c.version.desc())
                .limit(1)
            ).first()
        return self._release(row) if row else None

    def fail_pending_releases(self) -> list[Release]:
        with self._tx() as c:
            rows = list(
                c.execute(
                    releases.select().where(releases.c.status == ReleaseStatus.PENDING.value)
                )
            )
            c.execute(
                releases.update()
                .where(releases.c.status == ReleaseStatus.PENDING.value)
                .values(status=ReleaseStatus.FAILED.value)
            )
        return [replace(self._release(r), status=ReleaseStatus.FAILED) for r in rows]

    # autoscaling --------------------------------------------------------------------
    def set_policy(self, app: str, policy: AutoscalePolicy) -> None:
        with self._tx() as c:
            c.execute(
                policies.delete().where(
                    policies.c.app == app, policies.c.process_type == policy.process_type
                )
            )
            c.execute(
                policies.insert().values(
                    app=app,
                    process_type=policy.process_type,
                    policy=json.dumps(policy_to_dict(policy)),
                )
            )

    def delete_policy(self, app: str, process_type: str) -> None:
        with self._tx() as c:
            res = c.execute(
                policies.delete().where(
                    policies.c.app == app, policies.c.process_type == process_type
                )
            )
            if res.rowcount == 0:
                raise NotFound(f"{process_type} of {app!r} has no autoscale policy")

    def list_policies(self, app: str) -> list[AutoscalePolicy]:
        with self._tx() as c:
            rows = c.execute(
                policies.select().where(policies.c.app == app).order_by(policies.c.process_type)
            )
            return [policy_from_dict(json.loads(r.policy)) for r in rows]

    # users and tokens ---------------------------------------------------------------
    def add_user(self, name: str, is_admin: bool = False) -> User:
        try:
            with self._tx() as c:
                c.execute(users.insert().values(name=name, is_admin=is_admin))
        except IntegrityError as e:
            raise Conflict(f"user {name!r} already exists") from e
        return User(name, is_admin)

    def get_user(self, name: str) -> User:
        with self._tx() as c:
            row = c.execute(users.select().where(users.c.name == name)).first()
        if row is None:
            raise NotFound(f"user {name!r} not found")
        return User(row.name, bool(row.is_admin))

    def list_users(self) -> list[User]:
        with self._tx() as c:
            return [
                User(r.name, bool(r.is_admin))
                for r in c.execute(users.select().order_by(users.c.name))
            ]

    def add_token(self, user: str, token_hash: str, label: str) -> None:
        with self._tx() as c:
            c.execute(
                tokens.insert().values(hash=token_hash, user=user, label=label, created_at=_now())
            )

    def user_for_token(self, token_hash: str) -> User | None:
        with self._tx() as c:
            row = c.execute(
                sa.select(users.c.name, users.c.is_admin)
                .select_from(tokens.join(users, tokens.c.user == users.c.name))
                .where(tokens.c.hash == token_hash)
                .where(~sa.exists().where(revoked_tokens.c.hash == tokens.c.hash))
            ).first()
        return User(row.name, bool(row.is_admin)) if row else None

    # -- token ids and per-app access ---------------------------------------------------
    def _token_rows(self, c: Connection, where: Any) -> list[TokenInfo]:
        rows = c.execute(
            sa.select(tokens, revoked_tokens.c.revoked_at)
            .select_from(tokens.outerjoin(revoked_tokens, revoked_tokens.c.hash == tokens.c.hash))
            .where(where)
            .order_by(tokens.c.created_at, tokens.c.hash)
        )
        return [
            TokenInfo(
                id=r.hash[:TOKEN_ID_LENGTH],
                user=r.user,
                label=r.label,
                created_at=_aware(r.created_at),
                revoked=r.revoked_at is not None,
            )
            for r in rows
        ]

    def list_tokens(self, user: str | None = None) -> list[TokenInfo]:
        with self._tx() as c:
            return self._token_rows(c, tokens.c.user == user if user else sa.true())

    def revoke_token(self, token_id: str) -> TokenInfo:
        if len(token_id) != TOKEN_ID_LENGTH or not all(ch in "0123456789abcdef"
                                                       for ch in token_id):
            raise NotFound(f"token {token_id!r} not found")
        with self._tx() as c:
            found = [
                r.hash for r in c.execute(
                    sa.select(tokens.c.hash).where(tokens.c.hash.startswith(token_id))
                )
            ]
            if len(found) != 1:
                raise NotFound(f"token {token_id!r} not found")
            done = c.execute(
                revoked_tokens.select().where(revoked_tokens.c.hash == found[0])
            ).first()
            if done is None:
                c.execute(revoked_tokens.insert().values(hash=found[0], revoked_at=_now()))
            return self._token_rows(c, tokens.c.hash == found[0])[0]

    def forget_revoked_tokens(self, user: str, keep: int) -> None:
        with self._tx() as c:
            revoked = c.execute(
                sa.select(revoked_tokens.c.hash)
                .select_from(revoked_tokens.join(tokens,
                                                 tokens.c.hash == revoked_tokens.c.hash))
                .where(tokens.c.user == user)
                .order_by(revoked_tokens.c.revoked_at.desc(), revoked_tokens.c.hash)
            ).all()
            old = [r.hash for r in revoked[max(0, keep):]]
            if old:
                c.execute(revoked_tokens.delete().where(revoked_tokens.c.hash.in_(old)))
                c.execute(tokens.delete().where(tokens.c.hash.in_(old)))

    def grant_access(self, app: str, user: str, granted_by: str) -> None:
        with self._tx() as c:
            if c.execute(apps.select().where(apps.c.name == app)).first() is None:
                raise NotFound(f"app {app!r} not found")
            if c.execute(users.select().where(users.c.name == user)).first() is None:
                raise NotFound(f"user {user!r} not found")
            had = c.execute(
                app_access.select().where(app_access.c.app == app, app_access.c.user == user)
            ).first()
            if had is not None:
                raise Conflict(f"{user} already has access to {app}")
            c.execute(app_access.insert().values(app=app, user=user, granted_by=granted_by,
                                                 created_at=_now()))

    def revoke_access(self, app: str, user: str) -> None:
        with self._tx() as c:
            res = c.execute(
                app_access.delete().where(app_access.c.app == app, app_access.c.user == user)
            )
            if res.rowcount == 0:
                raise NotFound(f"{user} has no granted access to {app}")

    def list_access(self, app: str) -> list[str]:
        with self._tx() as c:
            rows = c.execute(
                sa.select(app_access.c.user).where(app_access.c.app == app)
                .order_by(app_access.c.user)
            )
            return [r.user for r in rows]

    def has_access(self, app: str, user: str) -> bool:
        with self._tx() as c:
            return c.execute(
                app_access.select().where(app_access.c.app == app, app_access.c.user == user)
            ).first() is not None
    # add-ons ------------------------------------------------------------------------
    def add_addon(self, addon: Addon) -> Addon:
        try:
            with self._tx() as c:
                if c.execute(apps.select().where(apps.c.name == addon.app)).first() is None:
                    raise NotFound(f"app {addon.app!r} not found")
                c.execute(
                    addons.insert().values(
                        app=addon.app,
                        kind=addon.kind,
                        password=self.secrets.seal(addon.password),
                        created_at=addon.created_at,
                    )
                )
        except IntegrityError as e:
            raise Conflict(f"{addon.app} already has a {addon.kind} add-on") from e
        return addon

    def delete_addon(self, app: str, kind: str) -> None:
        with self._tx() as c:
            res = c.execute(addons.delete().where(addons.c.app == app, addons.c.kind == kind))
            if res.rowcount == 0:
                raise NotFound(f"{app} has no {kind} add-on")

    def list_addons(self, app: str | None = None) -> list[Addon]:
        query = addons.select().order_by(addons.c.app, addons.c.kind)
        if app is not None:
            query = query.where(addons.c.app == app)
        with self._tx() as c:
            return [
                Addon(app=r.app, kind=r.kind, password=self.secrets.open(r.password),
                      created_at=_aware(r.created_at))
                for r in c.execute(query)
            ]

    # TLS ----------------------------------------------------------------------------
    @staticmethod
    def _tls(row: Any) -> AppTls:
        return AppTls(app=row.app, cert=_cert_from_json(row.cert), auto=bool(row.auto),
                      redirect=bool(row.redirect), hsts=bool(row.hsts),
                      last_error=row.last_error,
                      last_attempt_at=_aware(row.last_attempt_at)
                      if row.last_attempt_at else None)

    def get_tls(self, app: str) -> AppTls:
        with self._tx() as c:
            if c.execute(apps.select().where(apps.c.name == app)).first() is None:
                raise NotFound(f"app {app!r} not found")
            row = c.execute(app_tls.select().where(app_tls.c.app == app)).first()
        return self._tls(row) if row is not None else AppTls(app)

    def put_tls(self, tls: AppTls) -> AppTls:
        values = {"cert": _cert_to_json(tls.cert), "auto": tls.auto,
                  "redirect": tls.redirect, "hsts": tls.hsts, "last_error": tls.last_error,
                  "last_attempt_at": tls.last_attempt_at}
        with self._tx() as c:
            if c.execute(apps.select().where(apps.c.name == tls.app)).first() is None:
                raise NotFound(f"app {tls.app!r} not found")
            done = c.execute(app_tls.update().where(app_tls.c.app == tls.app).values(**values))
            if done.rowcount == 0:
                c.execute(app_tls.insert().values(app=tls.app, **values))
        return tls

    def list_tls(self) -> list[AppTls]:
        with self._tx() as c:
            return [self._tls(r)
                    for r in c.execute(app_tls.select().order_by(app_tls.c.app))]
