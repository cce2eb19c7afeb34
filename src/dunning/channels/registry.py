"""Finding and configuring channels: declared metadata, URL-like settings, entry points.

Each channel class declares a `ChannelInfo`: its schemes (each with its own defaults), its
options (type, default, whether required, whether secret) and a one-line doc. That one
declaration drives the parsing of a settings string such as
``smtp+starttls://crediti@mail.example.com:587?timeout=30``, the errors for a bad one, the
table in ``docs/channels.md`` and the redaction of secrets.

Channels are found through the entry point group ``dunning.channels`` (the entry point's name
is a scheme, its value the channel class), with the built-in table `BUILTIN` as fallback.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from attrs import field, frozen

from .base import Channel, ChannelConfigError, Secret

__all__ = [
    "BUILTIN",
    "GROUP",
    "ChannelInfo",
    "ChannelURL",
    "Option",
    "channel_class",
    "known_schemes",
    "open_channel",
    "options_table",
    "redact",
]

logger = logging.getLogger("dunning.channels")

#: the entry point group a package registers its channels in
GROUP = "dunning.channels"

#: the apprise services offered as ``apprise+<scheme>://`` (apprise's own URL after the ``+``)
APPRISE_SCHEMES = (
    "json",
    "jsons",
    "form",
    "forms",
    "twilio",
    "vonage",
    "sinch",
    "clicksend",
    "bulksms",
    "plivo",
)

#: scheme -> ("module:Class", extra to install or None), used when no entry point names it
BUILTIN: Mapping[str, tuple[str, str | None]] = {
    "smtp": ("dunning.channels.smtp:SMTPChannel", None),
    "smtp+starttls": ("dunning.channels.smtp:SMTPChannel", None),
    "smtps": ("dunning.channels.smtp:SMTPChannel", None),
    "memory": ("dunning.testing.channels:MemoryChannel", "testing"),
    "sms+https": ("dunning.channels.sms:HTTPSMSChannel", None),
    "sms+http": ("dunning.channels.sms:HTTPSMSChannel", None),
    "apprise": ("dunning.channels.sms:AppriseSMSChannel", "sms-apprise"),
    **{
        f"apprise+{name}": ("dunning.channels.sms:AppriseSMSChannel", "sms-apprise")
        for name in APPRISE_SCHEMES
    },
    "folder": ("dunning.channels.drop:FolderDrop", None),
    "sftp": ("dunning.channels.drop:SFTPDrop", "sftp"),
}

_KINDS = ("str", "int", "float", "bool", "path", "secret")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# the fields of a URL, mapped to options of the same name
_URL_PARTS = ("user", "password", "host", "port", "path")


@frozen
class Option:
    """One setting of a channel: its ``name`` (a keyword argument and a URL query parameter),
    its ``kind`` (``str``, ``int``, ``float``, ``bool``, ``path`` or ``secret``), its
    ``default``, whether it is ``required``, a one-line ``doc`` and other names it is known by
    in a URL (``aliases``). A ``secret`` option is never shown; it can also be read from the
    environment variable named by ``<name>_env``."""

    name: str
    kind: str = field(default="str")
    default: Any = None
    required: bool = False
    doc: str = ""
    aliases: tuple[str, ...] = ()

    @kind.validator
    def _check_kind(self, attribute: Any, value: str) -> None:
        if value not in _KINDS:
            raise ValueError(f"option {self.name!r}: kind must be one of {_KINDS}, not {value!r}")

    @property
    def secret(self) -> bool:
        """Whether the value is a secret (redacted everywhere)."""
        return self.kind == "secret"

    def convert(self, value: Any, scheme: str) -> Any:
        """``value`` (a string from a URL, or a keyword argument) as this option's type."""
        if value is None:
            return None
        shown = "***" if self.secret else repr(value)
        try:
            if self.kind == "secret":
                return value if isinstance(value, Secret) else Secret(str(value))
            if self.kind == "bool":
                if isinstance(value, bool):
                    return value
                text = str(value).strip().lower()
                if text in _TRUE | _FALSE:
                    return text in _TRUE
                raise ValueError("not a yes/no value")
            if self.kind == "int":
                if isinstance(value, bool):
                    raise ValueError("not a whole number")
                return int(value)
            if self.kind == "float":
                if isinstance(value, bool):
                    raise ValueError("not a number")
                return float(value)
            if self.kind == "path":
                return Path(value)
            return str(value)
        except (TypeError, ValueError):
            raise ChannelConfigError(
                f"{scheme}: option {self.name!r} must be {_DESCRIBE[self.kind]}, got {shown}"
            ) from None


_DESCRIBE = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "path": "a file path",
    "secret": "text",
}


@frozen
class ChannelInfo:
    """What a channel declares about itself: its ``name``, the message ``kinds`` it delivers
    (``Outgoing.channel`` values), its ``schemes`` (each mapped to the defaults it implies,
    e.g. ``{"smtps": {"security": "tls", "port": 465}}``), its ``options``, a one-line
    ``doc`` and the ``extra`` to install for it (None when it needs nothing more)."""

    name: str
    kinds: tuple[str, ...]
    schemes: Mapping[str, Mapping[str, Any]] = field(hash=False)
    options: tuple[Option, ...]
    doc: str
    extra: str | None = None

    def option(self, name: str) -> Option:
        """The option called ``name`` (or one of its aliases)."""
        for option in self.options:
            if name == option.name or name in option.aliases:
                return option
        raise ChannelConfigError(
            f"{self.name} channel: unknown option {name!r}; known: "
            + ", ".join(o.name for o in self.options)
        )

    @property
    def secrets(self) -> tuple[str, ...]:
        """The names of the secret options."""
        return tuple(o.name for o in self.options if o.secret)

    def configure(
        self, scheme: str, url: ChannelURL | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The keyword arguments for the channel's class: the scheme's defaults, then the
        URL's fields and query, then ``kwargs``; each converted to its option's type, secrets
        wrapped in `Secret`; ``<secret>_env`` names an environment variable to read a secret
        from. Raises `ChannelConfigError` for an unknown or missing option."""
        if scheme not in self.schemes:
            raise ChannelConfigError(
                f"{self.name} channel: unknown scheme {scheme!r}; known: "
                + ", ".join(sorted(self.schemes))
            )
        raw: dict[str, Any] = {}
        envs: dict[str, str] = {}

        def put(name: str, value: Any) -> None:
            if name.endswith("_env") and name[:-4] in self.secrets:
                envs[name[:-4]] = str(value)
                raw.pop(name[:-4], None)
                return
            option = self.option(name)
            raw[option.name] = value
            envs.pop(option.name, None)

        for name, value in self.schemes[scheme].items():
            raw[name] = value
        if url is not None:
            for part in _URL_PARTS:
                value = getattr(url, part)
                if value not in (None, ""):
                    put(part, value)
            for name, value in url.params:
                put(name, value)
            if url.password is not None:
                logger.warning(
                    "%s channel: a password in the settings string is discouraged; "
                    "use password_env=VARIABLE or a keyword argument",
                    self.name,
                )
        for name, value in kwargs.items():
            if value is not None:
                put(name, value)
        for name, variable in envs.items():
            if variable not in os.environ:
                raise ChannelConfigError(
                    f"{self.name} channel: option {name!r} is to be read from the environment "
                    f"variable {variable!r}, which is not set"
                )
            raw[name] = os.environ[variable]
        options: dict[str, Any] = {}
        for option in self.options:
            value = option.convert(raw.get(option.name, option.default), scheme)
            if option.required and value in (None, ""):
                raise ChannelConfigError(
                    f"{self.name} channel: option {option.name!r} is required ({option.doc})"
                )
            options[option.name] = value
        return options

    def url(self, scheme: str, options: Mapping[str, Any]) -> ChannelURL:
        """The settings string (as a `ChannelURL`, whose text hides secrets) that gives
        ``options``: what differs from the scheme's defaults."""
        defaults = {o.name: o.default for o in self.options} | dict(self.schemes[scheme])
        params = tuple(
            (name, value)
            for name, value in options.items()
            if name not in _URL_PARTS
            and value is not None
            and not callable(value)
            and value != defaults.get(name)
        )
        port = options.get("port")
        return ChannelURL(
            scheme,
            user=options.get("user") or "",
            password=options.get("password"),
            host=str(options.get("host") or ""),
            port=None if port == defaults.get("port") else port,
            path=str(options.get("path") or ""),
            params=tuple((k, v if isinstance(v, Secret) else _text(v)) for k, v in params),
        )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_URL_PASSWORD = re.compile(r"(//[^/?#@:]*:)[^/?#@]*@")


def redact(text: str) -> str:
    """``text`` with the password of any ``scheme://user:password@host`` in it hidden.

    >>> redact("smtps://crediti:hunter2@mail.example.com:465")
    'smtps://crediti:***@mail.example.com:465'
    """
    return _URL_PASSWORD.sub(r"\1***@", text)


@frozen
class ChannelURL:
    """A parsed settings string ``scheme://user:password@host:port/path?name=value&…``. Its
    ``str`` and ``repr`` show the password (and secret query values) as ``***``.

    >>> url = ChannelURL.parse("smtp+starttls://crediti:hunter2@mail.example.com:587?timeout=30")
    >>> url.host, url.port, url.user, url.params
    ('mail.example.com', 587, 'crediti', (('timeout', '30'),))
    >>> str(url)
    'smtp+starttls://crediti:***@mail.example.com:587?timeout=30'
    """

    scheme: str
    user: str = ""
    password: Secret | None = None
    host: str = ""
    port: int | None = None
    path: str = ""
    params: tuple[tuple[str, str | Secret], ...] = ()

    @classmethod
    def parse(cls, text: str) -> ChannelURL:
        """Read a settings string; raises `ChannelConfigError` (with the password hidden)."""
        shown = redact(text)
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise ChannelConfigError(f"cannot read the channel settings {shown!r}: {exc}") from None
        if not parts.scheme or "://" not in text:
            raise ChannelConfigError(f"channel settings {shown!r} have no scheme://")
        params: list[tuple[str, str | Secret]] = []
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            secret = name in ("password", "token") or name.endswith(("_password", "_token"))
            params.append((name, Secret(value) if secret else value))
        return cls(
            scheme=parts.scheme.lower(),
            user=unquote(parts.username or ""),
            password=None if parts.password is None else Secret(unquote(parts.password)),
            host=parts.hostname or "",
            port=port,
            path=unquote(parts.path.lstrip("/")) if parts.path not in ("", "/") else "",
            params=tuple(params),
        )

    def __str__(self) -> str:
        auth = quote(self.user, safe="")
        if self.password is not None:
            auth += ":***"
        host = f"[{self.host}]" if ":" in self.host else self.host
        netloc = (auth + "@" if auth else "") + host
        if self.port is not None:
            netloc += f":{self.port}"
        text = f"{self.scheme}://{netloc}"
        if self.path:
            text += "/" + quote(self.path)
        if self.params:
            text += "?" + "&".join(
                f"{quote(k, safe='')}=" + ("***" if isinstance(v, Secret) else quote(v, safe="/:"))
                for k, v in self.params
            )
        return text


def _builtin(scheme: str) -> Any:
    target, extra = BUILTIN[scheme]
    module, _, name = target.partition(":")
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        if extra is None:
            raise
        raise ChannelConfigError(
            f"the {scheme!r} channel needs an extra: pip install 'dunning[{extra}]' ({exc})"
        ) from exc
    return getattr(loaded, name)


def known_schemes() -> list[str]:
    """Every scheme a channel can be opened with: the entry points' and the built-in ones."""
    return sorted({ep.name for ep in entry_points(group=GROUP)} | set(BUILTIN))


def channel_class(scheme: str) -> Any:
    """The channel class for ``scheme``: an entry point of group ``dunning.channels`` named so,
    else the built-in one. Raises `ChannelConfigError` naming the known schemes, or the extra
    to install."""
    scheme = scheme.lower()
    found = [ep for ep in entry_points(group=GROUP) if ep.name == scheme]
    if found:
        try:
            loaded = found[0].load()
        except ImportError as exc:
            raise ChannelConfigError(
                f"the {scheme!r} channel ({found[0].value}) cannot be imported: {exc}; "
                "install the package that provides it"
            ) from exc
    elif scheme in BUILTIN:
        loaded = _builtin(scheme)
    else:
        raise ChannelConfigError(
            f"no channel for scheme {scheme!r}; known: {', '.join(known_schemes())}"
        )
    if not isinstance(getattr(loaded, "info", None), ChannelInfo):
        raise ChannelConfigError(
            f"the {scheme!r} channel {loaded!r} declares no ChannelInfo as its .info"
        )
    return loaded


def open_channel(url_or_name: str, **kwargs: Any) -> Channel:
    """Open the channel described by a settings string (``smtps://crediti@mail.example.com``)
    or named by a scheme with its options as keyword arguments
    (``open_channel("smtps", host="mail.example.com", user="crediti", password=...)``).

    >>> channel = open_channel("memory://")
    >>> type(channel).__name__
    'MemoryChannel'
    >>> open_channel("fax://office")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dunning.channels.base.ChannelConfigError: no channel for scheme 'fax'; known: ..., smtps
    """
    if "://" in url_or_name:
        url: ChannelURL | None = ChannelURL.parse(url_or_name)
        assert url is not None
        scheme = url.scheme
    else:
        url, scheme = None, url_or_name.lower()
    cls = channel_class(scheme)
    info: ChannelInfo = cls.info
    channel: Channel = cls(**info.configure(scheme, url, **kwargs))
    return channel


def options_table(info: ChannelInfo) -> str:
    """The Markdown table of ``info``'s options, as ``docs/channels.md`` shows it."""
    rows = [
        "| option | type | default | required | secret | what it is |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for option in info.options:
        default = "" if option.default is None else f"`{_text(option.default)}`"
        names = f"`{option.name}`" + "".join(f" (`{a}`)" for a in option.aliases)
        rows.append(
            f"| {names} | {option.kind} | {default} | "
            f"{'yes' if option.required else ''} | {'yes' if option.secret else ''} | "
            f"{option.doc} |"
        )
    return "\n".join(rows) + "\n"
