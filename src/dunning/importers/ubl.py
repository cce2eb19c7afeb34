"""Read a UBL 2.1 ``Invoice`` or ``CreditNote`` (Peppol BIS Billing 3.0, EN 16931) into a
`Portfolio`.

``read(source)`` takes a path or the file's bytes and returns a `Portfolio` with the creditor
(``AccountingSupplierParty``), the debtor (``AccountingCustomerParty``) and one `Invoice`
(with its open items) or one `CreditNote`. What is owed is ``LegalMonetaryTotal/
PayableAmount``, which EN 16931 already states net of ``PrepaidAmount`` (BR-CO-16). The due
date is ``cbc:DueDate``, else ``PaymentMeans/PaymentDueDate``, else ``PaymentTerms/
PaymentDueDate``; instalments come from ``PaymentTerms`` that each give an ``Amount`` and an
``InstallmentDueDate``; without any of them the item is due 30 days after the issue date
(Directive 2011/7/EU art. 3(3)(b), D.Lgs. 231/2002 art. 4(2)(a)) and the invoice's
`PaymentTerms` says so. Elements are matched by local name (any namespace prefix). Every
problem is a `DataError` naming the file and the element path, e.g.
``LegalMonetaryTotal/PayableAmount``. See ``docs/importers.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from xml.etree.ElementTree import Element

import attrs

from ..errors import DataError
from ..model import (
    _EMAIL,
    CreditNote,
    Creditor,
    Debtor,
    DebtorKind,
    Invoice,
    OpenItem,
    PostalAddress,
    _iban_error,
    _vat_error,
)
from ..money import Money
from ..portfolio import Portfolio
from ..terms import InstalmentTerms, PaymentTerms
from . import _xml
from ._xml import (
    MAX_XML_BYTES,
    Node,
    Problems,
    build,
    currency_problem,
    document_id,
    load,
    local,
    parse,
    plus_days,
    unwrap,
)

__all__ = ["DEFAULT_DAYS", "MAX_XML_BYTES", "PUBLIC_ADMIN_SCHEMES", "read", "read_all"]


#: Days after the issue date an invoice stating no due date is due (Directive 2011/7/EU art.
#: 3(3)(b)(i); in Italy D.Lgs. 231/2002 art. 4(2)(a)).
DEFAULT_DAYS = 30

#: Peppol endpoint schemes (ISO 6523 ICD) that identify a public administration: 0201 is
#: the Italian IPA code (Codice Univoco Ufficio). A customer reached through one is a
#: ``public_admin`` debtor.
PUBLIC_ADMIN_SCHEMES = frozenset({"0201"})

_IBAN_LIKE = 15


def read(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    default_days: int = DEFAULT_DAYS,
) -> Portfolio:
    """The creditor, debtor and invoice (or credit note) of one UBL 2.1 document.

    ``source`` is a path or the file's bytes (``name`` is then what errors call it);
    ``default_days`` is the term used when the document states no due date. Raises
    `DataError` with every problem of the file, each naming the element path and the value.
    """
    data, label = load(source, name)
    xml, _ = unwrap(data, label)
    root = parse(xml, label)
    return _Reader(root, label, default_days).portfolio()


def read_all(
    sources: Iterable[str | os.PathLike[str] | bytes],
    *,
    default_days: int = DEFAULT_DAYS,
) -> Portfolio:
    """Several files of one creditor (e.g. a folder of the invoices the SdI delivered) as one
    `Portfolio`: a debtor met in several files is one debtor, a credit note is linked to the
    invoice it names in any of the files, an id met twice is an error naming both files, and
    every problem of every file is raised together. Options as for `read`."""
    return _xml.read_all(sources, lambda s: read(s, default_days=default_days))


class _Reader:
    def __init__(self, root: Element, label: str, default_days: int) -> None:
        self.label = label
        self.default_days = default_days
        self.problems = Problems(label)
        self.kind = local(root.tag)
        if self.kind not in ("Invoice", "CreditNote"):
            raise DataError(
                f"has root element <{self.kind}>, expected <Invoice> or <CreditNote> (UBL 2.1)",
                source=label,
            )
        self.top = Node(root, "", self.problems, None)

    # -- parties -----------------------------------------------------------------------------

    def _party(self, role: str) -> Node | None:
        node = self.top.at(role, "Party")
        if node is None:
            self.top.fail("is missing: the element is mandatory", f"{role}/Party")
        return node

    def _name(self, party: Node) -> str | None:
        name = party.text("PartyLegalEntity", "RegistrationName") or party.text("PartyName", "Name")
        if name is None:
            party.fail("has no PartyLegalEntity/RegistrationName nor PartyName/Name")
        return name

    def _where(self, party: Node) -> dict[str, str]:
        named = party.text("PartyLegalEntity", "RegistrationName")
        return {"name": "PartyLegalEntity/RegistrationName" if named else "PartyName/Name"}

    def _address(self, party: Node) -> PostalAddress | None:
        node = party.one("PostalAddress")
        if node is None:
            return None
        lines = [node.text("StreetName"), node.text("AdditionalStreetName")]
        lines += [line.text("Line") for line in node.all("AddressLine")]
        return PostalAddress(
            [line for line in lines if line],
            node.text("PostalZone") or "",
            node.text("CityName") or "",
            node.text("CountrySubentity") or "",
            node.text("Country", "IdentificationCode") or "IT",
        )

    def _vat(self, party: Node, country: str) -> str | None:
        for scheme in party.all("PartyTaxScheme"):
            number = scheme.text("CompanyID")
            if number is not None and _vat_error(number, country) is None:
                return number
        return None

    def creditor(self, iban: str | None) -> Creditor | None:
        party = self._party("AccountingSupplierParty")
        if party is None:
            return None
        party.record = "creditor"
        name = self._name(party)
        if name is None:
            return None
        address = self._address(party)
        country = address.country if address else "IT"
        email = party.text("Contact", "ElectronicMail")
        return build(
            party,
            Creditor,
            name,
            where=self._where(party),
            vat_number=self._vat(party, country),
            address=address,
            iban=iban,
            email=email if email and _EMAIL.match(email) else None,
            phone=party.text("Contact", "Telephone"),
            country=country,
        )

    def debtor(self) -> Debtor | None:
        party = self._party("AccountingCustomerParty")
        if party is None:
            return None
        party.record = "debtor"
        name = self._name(party)
        address = self._address(party)
        country = address.country if address else "IT"
        tax_ids = [s.text("CompanyID") for s in party.all("PartyTaxScheme")]
        endpoint = party.one("EndpointID")
        scheme = endpoint.element.get("schemeID", "").strip() if endpoint else ""
        endpoint_id = party.text("EndpointID")
        ids = [
            *tax_ids,
            party.text("PartyLegalEntity", "CompanyID"),
            f"{scheme}:{endpoint_id}" if endpoint_id and scheme else endpoint_id,
            *[p.text("ID") for p in party.all("PartyIdentification")],
        ]
        debtor_id = next((i for i in ids if i), None)
        if debtor_id is None:
            party.fail(
                "has no PartyTaxScheme/CompanyID, PartyLegalEntity/CompanyID, EndpointID nor "
                "PartyIdentification/ID: one is needed to identify the debtor"
            )
            return None
        if name is None:
            return None
        kind: DebtorKind = "public_admin" if scheme in PUBLIC_ADMIN_SCHEMES else "business"
        email = party.text("Contact", "ElectronicMail")
        if email is not None and not _EMAIL.match(email):
            party.fail(f"{email!r} is not an e-mail address", "Contact/ElectronicMail")
            email = None
        return build(
            party,
            Debtor,
            debtor_id,
            name,
            where=self._where(party),
            kind=kind,
            vat_number=self._vat(party, country),
            country=country,
            email=email,
            address=address,
        )

    # -- the document ------------------------------------------------------------------------

    def portfolio(self) -> Portfolio:
        top = self.top
        number = top.text("ID", required=True)
        top.record = f"{'credit note' if self.kind == 'CreditNote' else 'invoice'} {number or ''}"
        issued = top.date("IssueDate", required=True)
        currency = top.text("DocumentCurrencyCode", required=True)
        if currency is not None and (why := currency_problem(currency)):
            top.fail(why, "DocumentCurrencyCode")
            currency = None
        means = self.means()
        debtor = self.debtor()
        payable = self.payable(currency)
        iban = next((m.iban for m in means if m.iban), None)
        creditor = self.creditor(iban)
        invoices: list[Invoice] = []
        notes: list[CreditNote] = []
        if number and issued and currency and payable and debtor:
            if self.kind == "CreditNote":
                reference = top.text("BillingReference", "InvoiceDocumentReference", "ID")
                referenced_on = top.date(
                    "BillingReference", "InvoiceDocumentReference", "IssueDate"
                )
                if reference and referenced_on:
                    reference = document_id(reference, referenced_on)
                note = build(
                    top,
                    CreditNote,
                    document_id(number, issued),
                    debtor.id,
                    issued,
                    payable,
                    where={"id": "ID"},
                    reference=reference,
                )
                notes += [note] if note else []
            else:
                invoice = self.invoice(number, issued, currency, payable, debtor, means)
                invoices += [invoice] if invoice else []
        self.problems.raise_if_any()
        assert creditor is not None
        assert debtor is not None
        return Portfolio(creditor, [debtor], invoices, credit_notes=notes)

    def payable(self, currency: str | None) -> Money | None:
        total = self.top.one("LegalMonetaryTotal")
        if total is None:
            self.top.fail("is missing: the element is mandatory", "LegalMonetaryTotal")
            return None
        node = total.one("PayableAmount")
        if node is not None and currency is not None:
            stated = node.element.get("currencyID", currency).strip()
            if stated != currency:
                node.fail(
                    f"is in {stated!r} but the document's currency (DocumentCurrencyCode) is "
                    f"{currency!r}"
                )
                return None
        amount = total.money("PayableAmount", currency=currency, required=True)
        if amount is not None and not amount.is_positive:
            prepaid = total.text("PrepaidAmount")
            why = f" (PrepaidAmount {prepaid})" if prepaid else ""
            total.fail(
                f"is {amount}{why}: nothing is payable, so there is nothing to claim",
                "PayableAmount",
            )
            return None
        return amount

    def means(self) -> list[InstalmentTerms]:
        found: list[InstalmentTerms] = []
        for node in self.top.all("PaymentMeans"):
            account = node.text("PayeeFinancialAccount", "ID")
            iban = None
            if account is not None:
                compact = account.replace(" ", "")
                if compact[:2].isalpha() and compact[2:4].isdigit() and len(compact) >= _IBAN_LIKE:
                    if why := _iban_error(account):
                        node.fail(
                            f"{account!r} is not a valid IBAN: {why}", "PayeeFinancialAccount/ID"
                        )
                    else:
                        iban = account
            found.append(
                InstalmentTerms(
                    len(found) + 1,
                    method=node.text("PaymentMeansCode"),
                    iban=iban,
                    bic=node.text("PayeeFinancialAccount", "FinancialInstitutionBranch", "ID"),
                    beneficiary=node.text("PayeeFinancialAccount", "Name"),
                    payment_code=node.text("PaymentID"),
                )
            )
        return found

    def invoice(
        self,
        number: str,
        issued: date,
        currency: str,
        payable: Money,
        debtor: Debtor,
        means: list[InstalmentTerms],
    ) -> Invoice | None:
        top = self.top
        first = means[0] if means else InstalmentTerms(1)
        terms_nodes = top.all("PaymentTerms")
        note = "\n".join(filter(None, (t.text("Note") for t in terms_nodes))) or None
        notes: list[str] = []
        items: list[OpenItem] = []
        details: list[InstalmentTerms] = []
        staged = [t for t in terms_nodes if t.one("InstallmentDueDate") or t.one("Amount")]
        if staged:
            for node in staged:
                due = node.date("InstallmentDueDate", required=True)
                amount = node.money("Amount", currency=currency, required=True, positive=True)
                if due is not None and amount is not None:
                    items.append(OpenItem(due, amount))
                    details.append(_evolve(first, len(details) + 1, "stated"))
            stated = sum((i.amount for i in items), Money.zero(currency))
            if items and stated != payable:
                notes.append(
                    f"the instalments add up to {stated}, the PayableAmount is {payable}: the "
                    "instalments are what is claimed"
                )
        else:
            due = (
                top.date("DueDate")
                or next(
                    (d for m in top.all("PaymentMeans") if (d := m.date("PaymentDueDate"))), None
                )
                or next((d for t in terms_nodes if (d := t.date("PaymentDueDate"))), None)
            )
            rule = "stated"
            if due is None:
                due = plus_days(issued, self.default_days)
                rule = (
                    f"issue date + {self.default_days} days (Directive 2011/7/EU art. 3(3)(b); "
                    "D.Lgs. 231/2002 art. 4(2)(a)): the document states no due date"
                )
                notes.append(f"no due date in the document: due {due}")
            items.append(OpenItem(due, payable))
            details.append(_evolve(first, 1, rule))
        prepaid = top.money("LegalMonetaryTotal", "PrepaidAmount", currency=currency)
        if prepaid is not None and prepaid.is_positive:
            notes.append(f"PayableAmount {payable} is net of the PrepaidAmount {prepaid}")
        early = [i for i, item in enumerate(items, 1) if item.due_date < issued]
        notes += [
            f"instalment {i} is due {items[i - 1].due_date}, before the issue date {issued}: "
            "kept as the document states it"
            for i in early
        ]
        if not items:
            return None
        terms = PaymentTerms(
            f"UBL {self.kind}",
            top.text("InvoiceTypeCode"),
            document_total=payable,
            note=note,
            instalments=details,
            notes=notes,
            due_before_issue=bool(early),
        )
        return build(
            top,
            Invoice,
            document_id(number, issued),
            debtor.id,
            issued,
            items,
            where={"id": "ID", "number": "ID"},
            number=number,
            terms=terms,
        )


def _evolve(base: InstalmentTerms, number: int, rule: str) -> InstalmentTerms:
    return attrs.evolve(base, number=number, due_rule=rule)
