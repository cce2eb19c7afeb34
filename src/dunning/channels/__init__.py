"""Channels: the ways a message reaches a debtor, and what comes back from them.

One module per channel. `dunning.channels.pec` reads the receipts (*ricevute*) of Italian
certified e-mail (PEC) into delivery evidence.
"""

from __future__ import annotations

__all__: list[str] = []
