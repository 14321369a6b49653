"""The processor register (promise P18) and the transfer rule it must obey.

A processor outside the EU/EEA is allowed only with a recorded safeguard: an
adequacy decision for its country, or standard contractual clauses.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, HttpUrl

from interpreta.datamap.vocabulary import Category
from interpreta.i18n.catalogues import N_

EEA_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
"""ISO 3166-1 alpha-2 codes of the EU member states and the other EEA states."""

ADEQUACY_COUNTRIES = frozenset(
    ["AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY", "US"]
)
"""Countries with a European Commission adequacy decision (US: EU-US Data Privacy
Framework, for certified organisations only)."""

CERTIFIED_ONLY = frozenset(["US"])
"""Countries whose adequacy decision covers certified organisations only (the US: the
EU-US Data Privacy Framework, Commission decision of 10 July 2023)."""

Safeguard = Literal["EU/EEA", "adequacy decision", "standard contractual clauses"]

SAFEGUARD_WORDS: tuple[str, ...] = (
    N_("EU/EEA"),
    N_("adequacy decision"),
    N_("standard contractual clauses"),
)
"""The safeguards' names marked for the catalogue: the notice shows them translated."""


class Processor(BaseModel):
    """One entry of the register: who processes what for us, and where."""

    name: str = Field(min_length=1)
    function: str = Field(min_length=1)
    categories: list[str] = Field(min_length=1)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    safeguard: Safeguard | None = None
    hosts: list[str] = Field(
        default_factory=list,
        description="Where the platform reaches it (SMTP relay, API host); '*.x' for subdomains.",
    )
    internal: bool = Field(
        default=False,
        description="The operator's own infrastructure on a private network (a local relay).",
    )
    activities: list[str] = Field(
        default_factory=list, description="The processing activities it serves (empty: all)."
    )
    notify_url: HttpUrl | None = Field(
        default=None,
        description=(
            "Where it is told of rectified or erased data (Art. 19): an HTTPS endpoint on "
            "one of its hosts, reached through the outbound guard."
        ),
    )
    dpf_certified_on: date | None = Field(
        default=None,
        description=(
            "For a US processor relying on the adequacy decision: the day its EU-US Data "
            "Privacy Framework certification was last seen active on the DPF list."
        ),
    )


class TransferRefused(ValueError):
    """The register names a transfer the law does not allow."""


def transfer_problems(processors: list[Processor]) -> list[str]:
    """Why each non-compliant entry of the register is refused (empty when all is well)."""
    known = {c.value for c in Category}
    found: list[str] = []
    for p in processors:
        country = p.country.upper()
        for category in p.categories:
            if category not in known:
                found.append(f"processor {p.name!r}: unknown data category {category!r}")
        if country in EEA_COUNTRIES:
            continue
        if p.safeguard == "standard contractual clauses":
            continue
        if p.safeguard == "adequacy decision":
            if country not in ADEQUACY_COUNTRIES:
                found.append(
                    f"processor {p.name!r} in {country}: the European Commission has no "
                    "adequacy decision for that country; record standard contractual clauses"
                )
            elif country in CERTIFIED_ONLY and p.dpf_certified_on is None:
                found.append(
                    f"processor {p.name!r} in {country}: the adequacy decision covers only "
                    "organisations certified under the EU-US Data Privacy Framework; record "
                    "dpf_certified_on (when its certification was seen active) or standard "
                    "contractual clauses"
                )
            continue
        found.append(
            f"processor {p.name!r} is outside the EU/EEA ({country}) and no safeguard is "
            "recorded: set safeguard to 'adequacy decision' or 'standard contractual clauses'"
        )
    return found


def check_transfers(processors: list[Processor]) -> None:
    """Raise :class:`TransferRefused` when the register breaks the transfer rule."""
    found = transfer_problems(processors)
    if found:
        raise TransferRefused("; ".join(found))
