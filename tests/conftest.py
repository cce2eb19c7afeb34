"""Test configuration: hypothesis profiles and paths to shared real-world fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"

# "dev": quick local runs. "ci": what CI runs (selected by CI=true or HYPOTHESIS_PROFILE=ci).
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


@pytest.fixture
def shared_fixtures() -> Path:
    """The folder of real sample files beside the project; skips when it is absent."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    return SHARED_FIXTURES


# -- databases: the store's tests run on SQLite and on a PostgreSQL started on loopback ----------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A throw-away PostgreSQL server (tests/pg.py); skips when PostgreSQL is not installed."""
    from pg import find_bin, postgres_server

    bin_dir = find_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    with postgres_server(bin_dir) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'dunning.sqlite'}"
    server = request.getfixturevalue("pg_server")
    return str(server.new_database())


# -- the same tests on PostgreSQL ------------------------------------------------------------------
#
# The tests that go through the command line keep their history in the event store: by default
# SQLite in the data folder's .dunning/dunning.sqlite. With DUNNING_TEST_STORE=postgresql each of
# them gets a fresh database on the throw-away server instead (through $DUNNING_STORE, as an
# operator would point the command line at a server), so `.ci/run` runs them on both backends:
#
#     DUNNING_TEST_STORE=postgresql python -m pytest -m store

TEST_STORE = os.environ.get("DUNNING_TEST_STORE", "sqlite")


def _uses_the_store(module: object) -> bool:
    """Whether a test module goes through the command line or the store (and does not already
    run each test on both backends: ``BOTH_BACKENDS = True``)."""
    if getattr(module, "BOTH_BACKENDS", False):
        return False
    names = {getattr(value, "__module__", "") or "" for value in vars(module).values()}
    return any(n == "dunning.cli" or n.startswith("dunning.store") for n in names)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and _uses_the_store(module):
            item.add_marker(pytest.mark.store)


@pytest.fixture(autouse=True)
def _store_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if TEST_STORE != "postgresql" or request.node.get_closest_marker("store") is None:
        return
    server = request.getfixturevalue("pg_server")
    monkeypatch.setenv("DUNNING_STORE", str(server.new_database()))


# -- fault injection: tests/test_faults.py records its figures, printed at the end of the run ----

FAULT_FIGURES = pytest.StashKey[dict[str, Any]]()


@pytest.fixture(scope="session")
def fault_figures(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Where tests/test_faults.py puts its figures (kills by point, messages, duplicates...)."""
    return pytestconfig.stash.setdefault(FAULT_FIGURES, {})


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    figures = config.stash.get(FAULT_FIGURES, None)
    if figures:
        from faults_report import report

        terminalreporter.write_sep("=", "fault injection (tests/test_faults.py)")
        for line in report(figures):
            terminalreporter.write_line(line)
