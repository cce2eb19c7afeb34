"""Where a debtor's clock is: the time zone, or the time zones, a debtor may be in.

Contact hours (`dunning.ContactHours`) are local time at the debtor's location. The debtor's
own ``timezone`` wins when it is set; otherwise the zone comes from where the debtor is: the
country and, in the US, the state (``Debtor.address.province``, the two-letter USPS code, when
the address is in the debtor's country). A place that spans several zones gives all of them,
and a contact must then be convenient in every one (12 CFR § 1006.6(b)(1)(i): when the
consumer may be in more than one zone, the time must be convenient in all of them; see
`ContactHours.common_window`).

>>> zones_for("US", "IL").zones
('America/Chicago',)
>>> zones_for("US", "TX").note
'convenient in every time zone of TX: America/Chicago, America/Denver'
>>> zones_for("US").note
'convenient in every US time zone: state unknown'
>>> zones_for("IT").zones, zones_for("IT").note
(('Europe/Rome',), 'time zone of IT')
>>> zones_for("JP").zones, zones_for("JP").note
((), "no time zone known for country 'JP': set the debtor's timezone")

The tables follow the IANA time zone database (``zone.tab``). For US states they also list
the zone a few communities keep unofficially (Phenix City, Alabama, on Eastern time; Kenton,
Oklahoma, and Jackpot, Nevada, on Mountain time): a debtor anywhere in the state may be
there. Give a debtor its ``timezone`` whenever you know it: it is exact, and the window is
then the full 08:00-21:00.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import attrs

if TYPE_CHECKING:
    from .model import Debtor

__all__ = ["COUNTRY_ZONES", "US_STATE_ZONES", "US_ZONES", "Zones", "debtor_zones", "zones_for"]

_NY = "America/New_York"
_CHI = "America/Chicago"
_DEN = "America/Denver"
_LA = "America/Los_Angeles"
_BOISE = "America/Boise"

#: IANA zones per US state, DC and territory (USPS codes), the state's main zone first; every
#: zone the state spans is listed (officially, or as some of its communities keep it).
US_STATE_ZONES: Mapping[str, tuple[str, ...]] = {
    "AL": (_CHI, _NY),  # Phenix City area keeps Eastern time (unofficially)
    "AK": (
        "America/Anchorage",
        "America/Juneau",
        "America/Sitka",
        "America/Metlakatla",
        "America/Yakutat",
        "America/Nome",
        "America/Adak",  # western Aleutians: Hawaii-Aleutian time
    ),
    "AZ": ("America/Phoenix", _DEN),  # no DST, except the Navajo Nation (Mountain with DST)
    "AR": (_CHI,),
    "CA": (_LA,),
    "CO": (_DEN,),
    "CT": (_NY,),
    "DE": (_NY,),
    "DC": (_NY,),
    "FL": (_NY, _CHI),  # the panhandle west of the Apalachicola is Central
    "GA": (_NY,),
    "HI": ("Pacific/Honolulu",),
    "ID": (_BOISE, _LA),  # the north is Pacific
    "IL": (_CHI,),
    "IN": (
        "America/Indiana/Indianapolis",
        "America/Indiana/Vincennes",
        "America/Indiana/Winamac",
        "America/Indiana/Marengo",
        "America/Indiana/Petersburg",
        "America/Indiana/Vevay",
        _CHI,  # the north-west (Gary) and the south-west (Evansville) are Central
        "America/Indiana/Tell_City",
        "America/Indiana/Knox",
    ),
    "IA": (_CHI,),
    "KS": (_CHI, _DEN),  # four western counties are Mountain
    "KY": (_NY, "America/Kentucky/Louisville", "America/Kentucky/Monticello", _CHI),
    "LA": (_CHI,),
    "ME": (_NY,),
    "MD": (_NY,),
    "MA": (_NY,),
    "MI": ("America/Detroit", "America/Menominee"),  # four Upper Peninsula counties: Central
    "MN": (_CHI,),
    "MS": (_CHI,),
    "MO": (_CHI,),
    "MT": (_DEN,),
    "NE": (_CHI, _DEN),  # the west is Mountain
    "NV": (_LA, _DEN),  # West Wendover (officially) and Jackpot (unofficially) are Mountain
    "NH": (_NY,),
    "NJ": (_NY,),
    "NM": (_DEN,),
    "NY": (_NY,),
    "NC": (_NY,),
    "ND": (
        _CHI,
        "America/North_Dakota/Center",
        "America/North_Dakota/New_Salem",
        "America/North_Dakota/Beulah",
        _DEN,  # the south-west is Mountain
    ),
    "OH": (_NY,),
    "OK": (_CHI, _DEN),  # Kenton keeps Mountain time (unofficially)
    "OR": (_LA, _BOISE),  # Malheur County is Mountain
    "PA": (_NY,),
    "RI": (_NY,),
    "SC": (_NY,),
    "SD": (_CHI, _DEN),  # the west is Mountain
    "TN": (_CHI, _NY),  # East Tennessee is Eastern
    "TX": (_CHI, _DEN),  # El Paso and Hudspeth counties are Mountain
    "UT": (_DEN,),
    "VT": (_NY,),
    "VA": (_NY,),
    "WA": (_LA,),
    "WV": (_NY,),
    "WI": (_CHI,),
    "WY": (_DEN,),
    # territories
    "PR": ("America/Puerto_Rico",),
    "VI": ("America/St_Thomas",),
    "GU": ("Pacific/Guam",),
    "MP": ("Pacific/Saipan",),
    "AS": ("Pacific/Pago_Pago",),
    "UM": ("Pacific/Midway", "Pacific/Wake"),
}

_TERRITORIES = frozenset({"PR", "VI", "GU", "MP", "AS", "UM"})
#: Armed Forces "states" of military mail: they say nothing of where the addressee is.
_ARMED_FORCES = frozenset({"AA", "AE", "AP"})

#: Every zone of the 50 states and DC (a US debtor whose state is unknown may be in any of
#: them), Eastern first. The territories are not included: a debtor there has the territory's
#: code as state (or as country).
US_ZONES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [_NY]
        + [
            zone
            for state, zones in US_STATE_ZONES.items()
            if state not in _TERRITORIES
            for zone in zones
        ]
    )
)

#: IANA zones per country (ISO 3166 code): the EU and EEA, the United Kingdom, Switzerland,
#: their small neighbours, the US and its territories. A country with several zones lists them
#: all, its main zone first.
COUNTRY_ZONES: Mapping[str, tuple[str, ...]] = {
    "AD": ("Europe/Andorra",),
    "AT": ("Europe/Vienna",),
    "BE": ("Europe/Brussels",),
    "BG": ("Europe/Sofia",),
    "CH": ("Europe/Zurich",),
    "CY": ("Asia/Nicosia", "Asia/Famagusta"),
    "CZ": ("Europe/Prague",),
    "DE": ("Europe/Berlin", "Europe/Busingen"),
    "DK": ("Europe/Copenhagen",),
    "EE": ("Europe/Tallinn",),
    "ES": ("Europe/Madrid", "Africa/Ceuta", "Atlantic/Canary"),
    "FI": ("Europe/Helsinki",),
    "FR": ("Europe/Paris",),
    "GB": ("Europe/London",),
    "GI": ("Europe/Gibraltar",),
    "GR": ("Europe/Athens",),
    "HR": ("Europe/Zagreb",),
    "HU": ("Europe/Budapest",),
    "IE": ("Europe/Dublin",),
    "IS": ("Atlantic/Reykjavik",),
    "IT": ("Europe/Rome",),
    "LI": ("Europe/Vaduz",),
    "LT": ("Europe/Vilnius",),
    "LU": ("Europe/Luxembourg",),
    "LV": ("Europe/Riga",),
    "MC": ("Europe/Monaco",),
    "MT": ("Europe/Malta",),
    "NL": ("Europe/Amsterdam",),
    "NO": ("Europe/Oslo",),
    "PL": ("Europe/Warsaw",),
    "PT": ("Europe/Lisbon", "Atlantic/Madeira", "Atlantic/Azores"),
    "RO": ("Europe/Bucharest",),
    "SE": ("Europe/Stockholm",),
    "SI": ("Europe/Ljubljana",),
    "SK": ("Europe/Bratislava",),
    "SM": ("Europe/San_Marino",),
    "VA": ("Europe/Vatican",),
    "US": US_ZONES,
    **{code: US_STATE_ZONES[code] for code in sorted(_TERRITORIES)},
}


@attrs.frozen
class Zones:
    """The time zones a debtor may be in, and how they were found.

    ``zones``: IANA names, the one to show times in first (empty when nothing is known);
    ``basis``: ``"timezone"`` (the debtor's own), ``"region"`` (the US state), ``"country"``
    or ``"unknown"``; ``note``: how they were found, as a phrase for an explanation (empty
    for the debtor's own zone).
    """

    zones: tuple[str, ...]
    basis: Literal["timezone", "region", "country", "unknown"]
    note: str = ""

    @property
    def exact(self) -> bool:
        """Whether exactly one zone is possible."""
        return len(self.zones) == 1


def _several(zones: tuple[str, ...], place: str, note: str = "") -> str:
    if len(zones) == 1:
        return f"time zone of {place}"
    return f"convenient in every time zone of {place}: {note or ', '.join(zones)}"


def zones_for(country: str | None, region: str | None = None) -> Zones:
    """The zones a debtor in ``country`` (ISO 3166 code) and ``region`` (for the US the
    state's USPS code, ``"TX"`` or ``"US-TX"``) may be in."""
    code = (country or "").strip().upper()
    if code == "US":
        state = (region or "").strip().upper().removeprefix("US-")
        if state in US_STATE_ZONES:
            zones = US_STATE_ZONES[state]
            return Zones(zones, "region", _several(zones, state))
        if state in _ARMED_FORCES:
            note = (
                f"an armed forces address ({state}) gives no time zone: set the debtor's timezone"
            )
            return Zones((), "unknown", note)
        unknown = f"state {region!r} unknown" if state else "state unknown"
        return Zones(US_ZONES, "country", f"convenient in every US time zone: {unknown}")
    zones = COUNTRY_ZONES.get(code, ())
    if not zones:
        note = f"no time zone known for country {country!r}: set the debtor's timezone"
        return Zones((), "unknown", note)
    return Zones(zones, "country", _several(zones, code))


def debtor_zones(debtor: Debtor) -> Zones:
    """The zones ``debtor`` may be in: its own ``timezone`` when set, else those of its
    country and (when its address is in that country) its address's region."""
    if debtor.timezone is not None:
        return Zones((debtor.timezone,), "timezone")
    address = debtor.address
    region = address.province if address is not None and address.country == debtor.country else None
    return zones_for(debtor.country, region or None)
