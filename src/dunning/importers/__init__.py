"""Importers: turn a creditor's files into a `dunning.portfolio.Portfolio`.

`read_folder` reads the folder layout of ``dunning run`` (``dunning.toml`` and CSV files);
`read_table` one table an ERP exports (CSV, ``.xlsx``, Parquet) with its own column names;
`dunning.importers.fatturapa.read` and `dunning.importers.ubl.read` one e-invoice (FatturaPA
1.2.x, UBL 2.1 / Peppol BIS 3.0; ``docs/importers.md``).
`dunning.importers.camt` reads the payments of bank statements (camt.053, camt.054), which
`dunning.reconcile` matches to the debtors.
"""

from __future__ import annotations

from .folder import Folder, PolicyConfig, read_folder
from .table import Columns, Dialect, Table, read_table

__all__ = ["Columns", "Dialect", "Folder", "PolicyConfig", "Table", "read_folder", "read_table"]
