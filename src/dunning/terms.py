"""Payment terms as an e-invoice states them: how, where and by when each instalment is paid.

An invoice read from a FatturaPA or UBL file (`dunning.importers.fatturapa`,
`dunning.importers.ubl`) carries its `PaymentTerms` in `Invoice.terms`: the payment method
(FatturaPA ``MP05``, UBL/UNCL 4461 ``58``), the account to pay into, the late-payment penalty
and the early-payment discount the document sets, and, for each open item, how its due date
was found (stated in the file, or computed by a documented rule).

>>> from datetime import date
>>> from dunning.money import Money
>>> t = InstalmentTerms(1, method="MP05", iban="IT60X0542811101000000123456",
...                     penalty=Money("15.00", "EUR"), penalty_from=date(2026, 4, 1))
>>> t.method_name
'bank transfer (bonifico)'
>>> PaymentTerms("FatturaPA FPR12", "TD01", instalments=(t,)).iban
'IT60X0542811101000000123456'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from .money import Money

__all__ = ["CONDITIONS", "METHODS", "UNCL4461", "InstalmentTerms", "PaymentTerms"]

#: FatturaPA ``CondizioniPagamento`` (specifiche tecniche 1.2.x, table 2.4.1).
CONDITIONS: Mapping[str, str] = {
    "TP01": "payment in instalments (pagamento a rate)",
    "TP02": "payment in full (pagamento completo)",
    "TP03": "advance payment (anticipo)",
}

#: FatturaPA ``ModalitaPagamento`` (specifiche tecniche 1.2.x, table 2.4.2.2).
METHODS: Mapping[str, str] = {
    "MP01": "cash (contanti)",
    "MP02": "cheque (assegno)",
    "MP03": "banker's draft (assegno circolare)",
    "MP04": "cash at the treasury (contanti presso Tesoreria)",
    "MP05": "bank transfer (bonifico)",
    "MP06": "promissory note (vaglia cambiario)",
    "MP07": "bank payment slip (bollettino bancario)",
    "MP08": "payment card (carta di pagamento)",
    "MP09": "direct debit (RID)",
    "MP10": "utility direct debit (RID utenze)",
    "MP11": "fast direct debit (RID veloce)",
    "MP12": "bank receipt (RIBA)",
    "MP13": "payment order (MAV)",
    "MP14": "treasury receipt (quietanza erario)",
    "MP15": "transfer on special accounting accounts (giroconto su conti di contabilità speciale)",
    "MP16": "bank direct debit (domiciliazione bancaria)",
    "MP17": "postal direct debit (domiciliazione postale)",
    "MP18": "postal payment slip (bollettino di c/c postale)",
    "MP19": "SEPA Direct Debit",
    "MP20": "SEPA Direct Debit CORE",
    "MP21": "SEPA Direct Debit B2B",
    "MP22": "deduction from sums already collected (trattenuta su somme già riscosse)",
    "MP23": "PagoPA",
}

#: UN/CEFACT UNCL 4461 payment means codes met in UBL / Peppol BIS Billing 3.0 invoices (the
#: common ones; another code is kept as written and named by its code).
UNCL4461: Mapping[str, str] = {
    "1": "instrument not defined",
    "10": "cash",
    "20": "cheque",
    "30": "credit transfer",
    "31": "debit transfer",
    "42": "payment to bank account",
    "48": "bank card",
    "49": "direct debit",
    "54": "credit card",
    "55": "debit card",
    "57": "standing agreement",
    "58": "SEPA credit transfer",
    "59": "SEPA direct debit",
    "68": "online payment service",
    "97": "clearing between partners",
    "ZZZ": "mutually defined",
}


@attrs.frozen
class InstalmentTerms:
    """The terms of one open item (instalment) ``number`` of an invoice.

    ``due_rule`` says how the item's due date was found: ``"stated"`` (the file gives the due
    date), or the rule applied when it does not (e.g. ``"document date + 30 days (D.Lgs.
    231/2002 art. 4(2)(a)): the file states no due date"``). ``method`` is the code as written
    (FatturaPA ``MP05``, UBL ``58``). ``penalty`` is the late-payment penalty the document
    sets (FatturaPA ``PenalitaPagamentiRitardati``), due from ``penalty_from``
    (``DataDecorrenzaPenale``); ``early_discount`` the discount for paying by
    ``early_discount_until``. ``payment_code`` is the reference the debtor is asked to quote
    (FatturaPA ``CodicePagamento``, UBL ``PaymentID``).
    """

    number: int
    due_rule: str = "stated"
    condition: str | None = None
    method: str | None = None
    iban: str | None = None
    bic: str | None = None
    bank: str | None = None
    beneficiary: str | None = None
    payment_code: str | None = None
    reference_date: date | None = None
    days: int | None = None
    penalty: Money | None = None
    penalty_from: date | None = None
    early_discount: Money | None = None
    early_discount_until: date | None = None

    @property
    def method_name(self) -> str | None:
        """The method in words: ``"bank transfer (bonifico)"`` for ``MP05``."""
        if self.method is None:
            return None
        return METHODS.get(self.method) or UNCL4461.get(self.method) or self.method

    @property
    def stated(self) -> bool:
        """Whether the file states the due date (rather than a rule computing it)."""
        return self.due_rule == "stated"


def _instalments(value: Iterable[InstalmentTerms]) -> tuple[InstalmentTerms, ...]:
    return tuple(value)


def _notes(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen
class PaymentTerms:
    """The payment terms an e-invoice states, kept on `Invoice.terms`.

    ``source`` names the format (``"FatturaPA FPR12"``, ``"UBL Invoice"``), ``document_type``
    the kind of document (FatturaPA ``TD01``, UBL ``380``), ``document_total`` the document's
    total as stated (FatturaPA ``ImportoTotaleDocumento``, UBL ``PayableAmount``), ``note``
    the free-text payment terms (UBL ``PaymentTerms/Note``). ``instalments`` has one entry per
    open item, in the same order. ``notes`` are what the importer noticed and did about it (a
    due date computed by rule, instalments that do not add up to the total...).

    ``due_before_issue`` is set when the document states a due date before its own date: the
    item is kept as stated (the `Invoice` accepts it only then) and a note says so.
    """

    source: str
    document_type: str | None = None
    document_total: Money | None = None
    note: str | None = None
    instalments: tuple[InstalmentTerms, ...] = attrs.field(default=(), converter=_instalments)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_notes)
    due_before_issue: bool = False

    @property
    def iban(self) -> str | None:
        """The first IBAN the terms name (where the debtor is asked to pay)."""
        return next((t.iban for t in self.instalments if t.iban), None)

    @property
    def method(self) -> str | None:
        """The first payment method code the terms name."""
        return next((t.method for t in self.instalments if t.method), None)

    def for_item(self, number: int) -> InstalmentTerms | None:
        """The terms of open item ``number`` (from 1), or None."""
        return next((t for t in self.instalments if t.number == number), None)
