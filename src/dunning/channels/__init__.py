"""Channels: how a message leaves — e-mail over SMTP, PEC, SMS, letters — each exactly once.

A channel is ``send(message) -> Sent`` plus ``close()`` (`Channel`). Open one from a settings
string that fits an ERP's settings table, or from keyword arguments:

>>> from dunning.channels import open_channel
>>> channel = open_channel("smtp+starttls://crediti@mail.example.com:587", password="s3cret")
>>> print(channel)
smtp+starttls://crediti:***@mail.example.com
>>> channel.password
'***'


Channels are found through the entry point group ``dunning.channels``; see ``docs/channels.md``
for the contract, the settings of each channel and how to write one. The SMTP channel lives in
`dunning.channels.smtp`; the PEC receipts that come back are read by `dunning.channels.pec`;
`dunning.testing.MemoryChannel` records messages for tests.
"""

from __future__ import annotations

from .base import (
    BaseChannel,
    Channel,
    ChannelConfigError,
    ChannelError,
    InDoubt,
    Outgoing,
    PermanentFailure,
    Secret,
    Sent,
    TemporaryFailure,
    TLSFailure,
)
from .registry import (
    BUILTIN,
    GROUP,
    ChannelInfo,
    ChannelURL,
    Option,
    channel_class,
    known_schemes,
    open_channel,
    options_table,
    redact,
)

__all__ = [
    "BUILTIN",
    "GROUP",
    "BaseChannel",
    "Channel",
    "ChannelConfigError",
    "ChannelError",
    "ChannelInfo",
    "ChannelURL",
    "InDoubt",
    "Option",
    "Outgoing",
    "PermanentFailure",
    "Secret",
    "Sent",
    "TLSFailure",
    "TemporaryFailure",
    "channel_class",
    "known_schemes",
    "open_channel",
    "options_table",
    "redact",
]
