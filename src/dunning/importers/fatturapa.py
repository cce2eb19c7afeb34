"""Read an Italian e-invoice (FatturaPA 1.2.x, ``FPR12`` and ``FPA12``) into a `Portfolio`.

``read(source)`` takes a path or the file's bytes: plain XML, or a signed ``.xml.p7m``
envelope (CAdES, DER or base64; opening one needs the ``p7m`` extra; the signature is **not**
verified). It returns a `Portfolio` with the creditor (``CedentePrestatore``), the debtor
(``CessionarioCommittente``), one `Invoice` per ``FatturaElettronicaBody`` (a batch has
several) with one open item per ``DettaglioPagamento``, and a `CreditNote` per ``TD04``.
Amounts are `Money` in the document's ``Divisa``, read straight into `Decimal`.

Elements are matched by local name, so the namespace prefix real files carry (``p:``,
``ns2:``, none) and the schema version (1.2, 1.2.1, 1.2.2) do not matter. Every problem is a
`DataError` naming the file, the document and the element path with the value found, e.g.
``FatturaElettronicaBody[2]/DatiPagamento[1]/DettaglioPagamento[1]/ImportoPagamento``; all the
problems of a file are collected and raised together. See ``docs/importers.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from xml.etree.ElementTree import Element

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
    _tax_code_error,
    _vat_error,
)
from ..money import Money
from ..portfolio import Portfolio
from ..terms import CONDITIONS, METHODS, InstalmentTerms, PaymentTerms
from . import _xml
from ._xml import (
    MAX_XML_BYTES,
    Node,
    Problems,
    build,
    currency_problem,
    document_id,
    link,
    load,
    local,
    parse,
    plus_days,
    unwrap,
)

__all__ = [
    "CREDIT_NOTE_TYPES",
    "DEFAULT_DAYS",
    "INVOICE_TYPES",
    "MAX_XML_BYTES",
    "SELF_INVOICE_TYPES",
    "read",
    "read_all",
]


#: The ``TipoDocumento`` codes read as invoices: what the ``CessionarioCommittente`` owes the
#: ``CedentePrestatore``.
INVOICE_TYPES: dict[str, str] = {
    "TD01": "fattura",
    "TD02": "acconto/anticipo su fattura",
    "TD03": "acconto/anticipo su parcella",
    "TD05": "nota di debito",
    "TD06": "parcella",
    "TD24": "fattura differita (art. 21 c. 4 lett. a)",
    "TD25": "fattura differita (art. 21 c. 4 terzo periodo lett. b)",
    "TD26": "cessione di beni ammortizzabili e passaggi interni",
}
#: The ``TipoDocumento`` codes read as credit notes.
CREDIT_NOTE_TYPES: dict[str, str] = {"TD04": "nota di credito"}
#: Self-invoices and integrations (reverse charge, self-consumption, San Marino): the buyer
#: issues them to itself, so nobody owes anything on them; they are refused.
SELF_INVOICE_TYPES: dict[str, str] = {
    "TD16": "integrazione fattura reverse charge interno",
    "TD17": "integrazione/autofattura per acquisto servizi dall'estero",
    "TD18": "integrazione per acquisto di beni intracomunitari",
    "TD19": "integrazione/autofattura per acquisto di beni ex art. 17 c. 2",
    "TD20": "autofattura per regolarizzazione e integrazione delle fatture",
    "TD21": "autofattura per splafonamento",
    "TD22": "estrazione beni da Deposito IVA",
    "TD23": "estrazione beni da Deposito IVA con versamento dell'IVA",
    "TD27": "fattura per autoconsumo o per cessioni gratuite senza rivalsa",
    "TD28": "acquisti da San Marino con IVA (fattura cartacea)",
}

#: Days after the document date an item is due when the file states no due date: D.Lgs.
#: 231/2002 art. 4(2)(a), 30 days from the receipt of the invoice (the SdI delivers it within
#: days of its date; the receipt date itself is not in the file).
DEFAULT_DAYS = 30

_FORMATS = {"FPR12": "business", "FPA12": "public_admin"}
_NUMBER = {
    "id": "DatiGenerali/DatiGeneraliDocumento/Numero",
    "number": "DatiGenerali/DatiGeneraliDocumento/Numero",
}


def read(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    default_days: int = DEFAULT_DAYS,
    strict_numbers: bool = False,
) -> Portfolio:
    """The creditor, debtor, invoices and credit notes of one FatturaPA file.

    ``source`` is a path or the file's bytes (``name`` is then what errors call it).
    ``default_days`` is the term used when a document states no due date (see
    `DEFAULT_DAYS`). A VAT number or *codice fiscale* that fails its check digits is kept as
    the debtor's id but left out of ``vat_number``/``tax_code``; with ``strict_numbers`` it is
    an error instead. Raises `DataError` (every problem of the file, each naming the element
    path and the value), `dunning.letters.MissingExtra` for a ``.p7m`` without the ``p7m``
    extra.
    """
    data, label = load(source, name)
    xml, signed = unwrap(data, label)
    root = parse(xml, label)
    return _Reader(root, label, default_days, strict_numbers, signed).portfolio()


def read_all(
    sources: Iterable[str | os.PathLike[str] | bytes],
    *,
    default_days: int = DEFAULT_DAYS,
    strict_numbers: bool = False,
) -> Portfolio:
    """Several files of one creditor (e.g. a folder of the invoices the SdI delivered) as one
    `Portfolio`: a debtor met in several files is one debtor, a credit note is linked to the
    invoice it names in any of the files, an id met twice is an error naming both files, and
    every problem of every file is raised together. Options as for `read`."""
    return _xml.read_all(
        sources, lambda s: read(s, default_days=default_days, strict_numbers=strict_numbers)
    )


class _Reader:
    def __init__(
        self, root: Element, label: str, default_days: int, strict_numbers: bool, signed: bool
    ) -> None:
        self.label = label
        self.default_days = default_days
        self.strict = strict_numbers
        self.signed = signed
        self.problems = Problems(label)
        if local(root.tag) != "FatturaElettronica":
            raise DataError(
                f"has root element <{local(root.tag)}>, expected <FatturaElettronica> "
                "(FatturaPA 1.2.x)",
                source=label,
            )
        version = (root.get("versione") or "").strip()
        if version not in _FORMATS:
            raise DataError(
                f"versione={version!r} is not a FatturaPA 1.2.x format: expected FPR12 "
                "(between private parties) or FPA12 (to a public administration); the "
                "simplified invoice FSM10 is not read",
                source=label,
                field="FatturaElettronica/@versione",
            )
        self.version = version
        self.top = Node(root, "", self.problems, None)

    # -- parties -----------------------------------------------------------------------------

    def _name(self, anagrafica: Node | None) -> str | None:
        if anagrafica is None:
            return None
        denominazione = anagrafica.text("Denominazione")
        if denominazione:
            return denominazione
        person = " ".join(filter(None, [anagrafica.text("Nome"), anagrafica.text("Cognome")]))
        return person or None

    def _name_path(self, party: Node) -> str:
        anagrafica = party.at("DatiAnagrafici", "Anagrafica")
        if anagrafica is not None and anagrafica.text("Denominazione"):
            return "DatiAnagrafici/Anagrafica/Denominazione"
        return "DatiAnagrafici/Anagrafica"

    def _address(self, sede: Node | None) -> PostalAddress | None:
        if sede is None:
            return None
        street = " ".join(filter(None, [sede.text("Indirizzo"), sede.text("NumeroCivico")]))
        return PostalAddress(
            [street] if street else [],
            sede.text("CAP") or "",
            sede.text("Comune") or "",
            sede.text("Provincia") or "",
            sede.text("Nazione") or "IT",
        )

    def _vat(self, node: Node, country: str) -> tuple[str | None, str | None]:
        """(the id ``IdPaese+IdCodice`` as written, the VAT number when its check passes)."""
        vat = node.at("DatiAnagrafici", "IdFiscaleIVA")
        if vat is None:
            return None, None
        paese = vat.text("IdPaese", required=True)
        codice = vat.text("IdCodice", required=True)
        if not paese or not codice:
            return None, None
        number = f"{paese}{codice}"
        why = _vat_error(number, country)
        if why is None:
            return number, number
        if self.strict:
            vat.fail(f"{number!r} is not a valid VAT number: {why}", "IdCodice")
        return number, None

    def _tax_code(self, node: Node, country: str) -> tuple[str | None, str | None]:
        code = node.text("DatiAnagrafici", "CodiceFiscale")
        if code is None:
            return None, None
        why = _tax_code_error(code, country)
        if why is None:
            return code, code
        if self.strict:
            node.fail(
                f"{code!r} is not a valid codice fiscale: {why}", "DatiAnagrafici/CodiceFiscale"
            )
        return code, None

    def creditor(self, header: Node, iban: str | None) -> Creditor | None:
        node = header.one("CedentePrestatore")
        if node is None:
            header.fail("is missing: the element is mandatory", "CedentePrestatore")
            return None
        node.record = "creditor"
        name = self._name(node.at("DatiAnagrafici", "Anagrafica"))
        if name is None:
            node.fail("has no Denominazione nor Nome and Cognome", "DatiAnagrafici/Anagrafica")
            return None
        address = self._address(node.one("Sede"))
        country = address.country if address else "IT"
        _, vat_number = self._vat(node, country)
        email = node.text("Contatti", "Email")
        return build(
            node,
            Creditor,
            name,
            where={"name": self._name_path(node)},
            vat_number=vat_number,
            address=address,
            iban=iban,
            email=email if email and _EMAIL.match(email) else None,
            country=country,
        )

    def debtor(self, header: Node) -> Debtor | None:
        node = header.one("CessionarioCommittente")
        if node is None:
            header.fail("is missing: the element is mandatory", "CessionarioCommittente")
            return None
        node.record = "debtor"
        anagrafica = node.at("DatiAnagrafici", "Anagrafica")
        name = self._name(anagrafica)
        address = self._address(node.one("Sede"))
        country = address.country if address else "IT"
        vat_id, vat_number = self._vat(node, country)
        code, tax_code = self._tax_code(node, country)
        debtor_id = vat_id or code
        if debtor_id is None:
            node.fail(
                "has neither IdFiscaleIVA nor CodiceFiscale: one is needed to identify the debtor",
                "DatiAnagrafici",
            )
            return None
        if name is None:
            node.fail("has no Denominazione nor Nome and Cognome", "DatiAnagrafici/Anagrafica")
            return None
        kind: DebtorKind
        if self.version == "FPA12":
            kind = "public_admin"
        elif vat_id is not None or (anagrafica and anagrafica.text("Denominazione")):
            kind = "business"
        else:
            kind = "consumer"
        pec = self.top.text("FatturaElettronicaHeader", "DatiTrasmissione", "PECDestinatario")
        if pec is not None and not _EMAIL.match(pec):
            header.fail(f"{pec!r} is not an e-mail address", "DatiTrasmissione/PECDestinatario")
            pec = None
        return build(
            node,
            Debtor,
            debtor_id,
            name,
            where={
                "name": self._name_path(node),
                "id": "DatiAnagrafici/IdFiscaleIVA" if vat_id else "DatiAnagrafici/CodiceFiscale",
            },
            kind=kind,
            vat_number=vat_number,
            tax_code=tax_code,
            country=country,
            pec=pec,
            address=address,
        )

    # -- documents -----------------------------------------------------------------------------

    def portfolio(self) -> Portfolio:
        header = self.top.one("FatturaElettronicaHeader")
        if header is None:
            self.top.fail("is missing: the element is mandatory", "FatturaElettronicaHeader")
            self.problems.raise_if_any()
            raise AssertionError  # pragma: no cover
        bodies = self.top.all("FatturaElettronicaBody")
        if not bodies:
            self.top.fail("is missing: the element is mandatory", "FatturaElettronicaBody")
        debtor = self.debtor(header)
        invoices: list[Invoice] = []
        notes: list[tuple[Node, str, date, Money, str | None]] = []
        seen: dict[tuple[str, int], str] = {}
        ibans: list[str] = []
        for body in bodies:
            self.document(body, debtor, invoices, notes, seen, ibans)
        creditor = self.creditor(header, ibans[0] if ibans else None)
        credit_notes: list[CreditNote] = []
        for body, number, when, amount, linked in notes:
            if debtor is None:
                continue
            note = build(
                body,
                CreditNote,
                document_id(number, when),
                debtor.id,
                when,
                amount,
                where=_NUMBER,
                invoice_id=link(linked, invoices),
                reference=linked,
            )
            if note is not None:
                credit_notes.append(note)
        self.problems.raise_if_any()
        assert creditor is not None
        assert debtor is not None
        try:
            return Portfolio(creditor, [debtor], invoices, credit_notes=credit_notes)
        except DataError as error:  # pragma: no cover  (the checks above come first)
            raise DataError(
                error.message, record=error.record, field=error.field, source=self.label
            ) from None

    def document(
        self,
        body: Node,
        debtor: Debtor | None,
        invoices: list[Invoice],
        notes: list[tuple[Node, str, date, Money, str | None]],
        seen: dict[tuple[str, int], str],
        ibans: list[str],
    ) -> None:
        general = body.at("DatiGenerali", "DatiGeneraliDocumento")
        if general is None:
            body.fail("is missing: the element is mandatory", "DatiGenerali/DatiGeneraliDocumento")
            return
        number = general.text("Numero", required=True)
        body.record = general.record = f"document {number}" if number else None
        kind = general.text("TipoDocumento", required=True)
        currency = general.text("Divisa", required=True)
        issued = general.date("Data", required=True)
        if currency is not None and (why := currency_problem(currency)):
            general.fail(why, "Divisa")
            currency = None
        if kind is not None and kind not in INVOICE_TYPES and kind not in CREDIT_NOTE_TYPES:
            if kind in SELF_INVOICE_TYPES:
                general.fail(
                    f"{kind!r} ({SELF_INVOICE_TYPES[kind]}) is a self-invoice or an "
                    "integration: nobody owes anything on it, so it is not imported",
                    "TipoDocumento",
                )
            else:
                general.fail(
                    f"{kind!r} is not a FatturaPA document type (TD01 ... TD28)", "TipoDocumento"
                )
            return
        if number is None or issued is None or currency is None or kind is None:
            return
        key = (number, issued.year)
        if key in seen:
            general.fail(
                f"number {number!r} of {issued.year} is already the document in {seen[key]}",
                "Numero",
            )
            return
        seen[key] = body.path
        total = general.money("ImportoTotaleDocumento", currency=currency)
        owed, owed_notes = self.owed(body, general, total, currency)
        if kind in CREDIT_NOTE_TYPES:
            linked = body.text("DatiGenerali", "DatiFattureCollegate", "IdDocumento")
            linked_on = body.date("DatiGenerali", "DatiFattureCollegate", "Data")
            if linked and linked_on:
                linked = document_id(linked, linked_on)
            if owed is not None:
                if not owed.is_positive:
                    general.fail(
                        f"the credit note's amount is {owed}: a credit note states a positive "
                        "amount",
                        "ImportoTotaleDocumento",
                    )
                else:
                    notes.append((body, number, issued, owed, linked))
            return
        items, details, item_notes = self.instalments(
            body, issued, currency, total, (owed, owed_notes), ibans
        )
        if not items or debtor is None:
            return
        early = [(i, item) for i, item in enumerate(items, 1) if item.due_date < issued]
        item_notes += [
            f"instalment {i} is due {item.due_date}, before the document date {issued}: kept "
            "as the file states it"
            for i, item in early
        ]
        terms = PaymentTerms(
            f"FatturaPA {self.version}"
            + (" (signed .p7m, signature not verified)" if self.signed else ""),
            kind,
            document_total=total,
            instalments=details,
            notes=item_notes,
            due_before_issue=bool(early),
        )
        invoice = build(
            body,
            Invoice,
            document_id(number, issued),
            debtor.id,
            issued,
            items,
            where=_NUMBER,
            number=number,
            terms=terms,
        )
        if invoice is not None:
            invoices.append(invoice)

    def owed(
        self, body: Node, general: Node, total: Money | None, currency: str
    ) -> tuple[Money | None, list[str]]:
        """What the debtor owes on the document when no instalment says: its total (or the
        sum of ``DatiRiepilogo``), less the withholding tax and the split-payment VAT, which
        the debtor pays to the State, not to the creditor."""
        notes: list[str] = []
        if total is None:
            summaries = body.at("DatiBeniServizi")
            amounts: list[Money] = []
            for summary in summaries.all("DatiRiepilogo") if summaries else []:
                for field in ("ImponibileImporto", "Imposta"):
                    amount = summary.money(field, currency=currency)
                    if amount is not None:
                        amounts.append(amount)
            if not amounts:
                return None, notes
            total = sum(amounts, Money.zero(currency))
            notes.append(
                f"no ImportoTotaleDocumento: the total {total} is the sum of DatiRiepilogo "
                "(ImponibileImporto + Imposta)"
            )
        owed = total
        for withholding in general.all("DatiRitenuta"):
            amount = withholding.money("ImportoRitenuta", currency=currency)
            if amount is not None:
                owed -= amount
                notes.append(f"less the withholding tax of {amount} (DatiRitenuta)")
        summaries = body.at("DatiBeniServizi")
        for summary in summaries.all("DatiRiepilogo") if summaries else []:
            if summary.text("EsigibilitaIVA") == "S":
                vat = summary.money("Imposta", currency=currency)
                if vat is not None:
                    owed -= vat
                    notes.append(f"less the split-payment VAT of {vat} (EsigibilitaIVA S)")
        return owed, notes

    def instalments(
        self,
        body: Node,
        issued: date,
        currency: str,
        total: Money | None,
        owing: tuple[Money | None, list[str]],
        ibans: list[str],
    ) -> tuple[list[OpenItem], list[InstalmentTerms], list[str]]:
        owed, owed_notes = owing
        items: list[OpenItem] = []
        details: list[InstalmentTerms] = []
        notes: list[str] = []
        blocks = body.all("DatiPagamento")
        days = self.default_days
        default_rule = (
            f"document date + {days} days (D.Lgs. 231/2002 art. 4(2)(a)): the file states no "
            "due date"
        )
        if not blocks:
            if owed is None:
                body.fail(
                    "has no DatiPagamento, no ImportoTotaleDocumento and no DatiRiepilogo: "
                    "nothing says what is owed",
                    "DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento",
                )
                return [], [], []
            if not owed.is_positive:
                body.fail(
                    f"what is owed is {owed}: nothing to claim",
                    "DatiGenerali/DatiGeneraliDocumento/ImportoTotaleDocumento",
                )
                return [], [], []
            items.append(OpenItem(plus_days(issued, days), owed))
            details.append(InstalmentTerms(1, due_rule=default_rule))
            notes += owed_notes
            notes.append(f"no DatiPagamento: one item of {owed}, due {plus_days(issued, days)}")
            return items, details, notes
        for block in blocks:
            condition = block.text("CondizioniPagamento", required=True)
            if condition is not None and condition not in CONDITIONS:
                block.fail(
                    f"{condition!r} is not a payment condition (TP01, TP02 or TP03)",
                    "CondizioniPagamento",
                )
            lines = block.all("DettaglioPagamento")
            if not lines:
                block.fail("is missing: the element is mandatory", "DettaglioPagamento")
            for line in lines:
                self.instalment(line, issued, currency, condition, items, details, ibans)
        stated = sum((item.amount for item in items), Money.zero(currency))
        if items and total is not None and stated != total:
            notes.append(
                f"the instalments add up to {stated}, the document total "
                f"(ImportoTotaleDocumento) is {total}: the instalments are what is claimed"
            )
        return items, details, notes

    def instalment(
        self,
        line: Node,
        issued: date,
        currency: str,
        condition: str | None,
        items: list[OpenItem],
        details: list[InstalmentTerms],
        ibans: list[str],
    ) -> None:
        method = line.text("ModalitaPagamento", required=True)
        if method is not None and method not in METHODS:
            line.fail(f"{method!r} is not a payment method (MP01 ... MP23)", "ModalitaPagamento")
        amount = line.money("ImportoPagamento", currency=currency, required=True, positive=True)
        due = line.date("DataScadenzaPagamento")
        reference = line.date("DataRiferimentoTerminiPagamento")
        days = line.integer("GiorniTerminiPagamento")
        if due is not None:
            rule = "stated"
        elif reference is not None or days is not None:
            start = reference or issued
            due = plus_days(start, days or 0)
            origin = "DataRiferimentoTerminiPagamento" if reference else "the document date"
            rule = (
                f"{origin} {start} + {days} days (GiorniTerminiPagamento)"
                if days is not None
                else f"{origin} {start} (no GiorniTerminiPagamento: 0 days)"
            )
        else:
            due = plus_days(issued, self.default_days)
            rule = (
                f"document date + {self.default_days} days (D.Lgs. 231/2002 art. 4(2)(a)): "
                "the file states no due date"
            )
        iban = line.text("IBAN")
        if iban is not None and (why := _iban_error(iban)):
            line.fail(f"{iban!r} is not a valid IBAN: {why}", "IBAN")
            iban = None
        if iban is not None:
            ibans.append(iban)
        penalty = line.money("PenalitaPagamentiRitardati", currency=currency, positive=True)
        discount = line.money("ScontoPagamentoAnticipato", currency=currency, positive=True)
        detail = InstalmentTerms(
            len(details) + 1,
            due_rule=rule,
            condition=condition,
            method=method,
            iban=iban,
            bic=line.text("BIC"),
            bank=line.text("IstitutoFinanziario"),
            beneficiary=line.text("Beneficiario"),
            payment_code=line.text("CodicePagamento"),
            reference_date=reference,
            days=days,
            penalty=penalty,
            penalty_from=line.date("DataDecorrenzaPenale"),
            early_discount=discount,
            early_discount_until=line.date("DataLimitePagamentoAnticipato"),
        )
        if amount is not None:
            items.append(OpenItem(due, amount))
            details.append(detail)
