"""Interest reference rates as data: the shipped table, supplied rows, files, data packages,
and what a statement and a plan do with a period nobody has published."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import dunning
from dunning import (
    Creditor,
    Debtor,
    GermanyBGB288,
    Invoice,
    ItalyCommercial,
    ItalyLegal,
    Money,
    Policy,
    PolicyError,
    Portfolio,
    RateSet,
    Step,
    email,
    plan,
    rates,
)
from dunning.interest import REGIMES, UnknownRate, compute, coverage, get_regime
from dunning.policies import PRESETS, load
from dunning.rates import (
    RatesError,
    builtin_rates,
    installed_rates,
    load_rates,
    period_of,
    periods_between,
)
from dunning.statement import statement

D = Decimal


def eur(text: str) -> Money:
    return Money(text, "EUR")


# -- the shipped table -----------------------------------------------------------------------


def test_every_built_in_row_names_its_source() -> None:
    table = builtin_rates()
    assert set(table.names()) == {"ecb", "it-legal", "de-basiszinssatz", "boe-bank-rate"}
    for key in table.names():
        for row in table.rows(key):
            assert row.source.strip(), (key, row.period)
            assert row.origin == "built-in"


@pytest.mark.parametrize(
    ("key", "period", "rate", "source"),
    [
        # confirmed in review: GU n. 167 of 17/07/2013 (MEF notice, D.Lgs. 231/2002 art. 5)
        ("ecb", "2013-H2", "0.50", "GU n. 167 of 17/07/2013"),
        # confirmed in review: GU n. 197 of 24/08/2022 — 0.00, the ECB hike came on 27/07/2022
        ("ecb", "2022-H2", "0.00", "GU n. 197 of 24/08/2022"),
        # confirmed in review: DM 10/12/2025, GU n. 289 of 13/12/2025 (art. 1284 c.c.)
        ("it-legal", "2026", "1.6", "DM 10/12/2025, GU n. 289 of 13/12/2025"),
    ],
)
def test_rows_the_review_confirmed_are_sourced_and_not_marked_verify(
    key: str, period: str, rate: str, source: str
) -> None:
    row = builtin_rates().get(key, period)
    assert row is not None
    assert (row.value, row.source, row.verify) == (D(rate), source, False)


def test_uk_2024_h2_is_5_25_the_rate_on_30_june_2024() -> None:
    # Bank Rate was 5.25 % on 30/06/2024; the first cut (to 5.00 %) came on 01/08/2024
    # (SI 2002/1675: the rate in force on 30 June applies to July–December).
    row = builtin_rates().get("boe-bank-rate", "2024-H2")
    assert row is not None
    assert (row.value, row.verify) == (D("5.25"), False)


def test_the_built_in_file_is_a_valid_rates_file() -> None:
    path = Path(dunning.__file__).parent / "data" / "interest_rates.toml"
    assert load_rates(path, origin="built-in") == builtin_rates()


# -- supplied rows -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ({"it-231": {"2026-H2": 2.15}}, "write the rate as a string"),
        ({"it-231": {"2026-2": "2.15"}}, '"YYYY-H1", "YYYY-H2"'),
        ({"it-231": {"2026-H2": "<rate>"}}, "no rate given"),
        ({"it-231": {"2026-H2": "two"}}, "not a decimal number"),
        ({"it-231": {"2026-H2": "215"}}, "not a plausible rate"),
        ({"it-231": {"2026-H2": {"rate": "2.15", "sorce": "GU"}}}, "unknown field(s) ['sorce']"),
        ({"it-231": {"2026-H2": {"source": "GU"}}}, "the field 'rate' is missing"),
        ({"it-231": {"2026-H2": "2.15", "2027": "2.15"}}, "mixes semesters and years"),
        ({"it-231": "2.15"}, "must be a table of periods"),
    ],
)
def test_bad_rows_are_errors_naming_the_table_and_row(rows: dict, problem: str) -> None:
    with pytest.raises(RatesError) as info:
        RateSet.parse(rows, origin="dunning.toml", prefix="interest.reference_rates")
    assert problem in str(info.value)
    assert str(info.value).startswith('dunning.toml: [interest.reference_rates."it-231"]')


def test_a_supplied_row_completes_the_table_and_keeps_its_source() -> None:
    supplied = RateSet.parse(
        {"it-231": {"2026-H2": {"rate": "2.15", "source": "GU n. 160 of 13/07/2026"}}},
        origin="dunning.toml",
    )
    regime = ItalyCommercial().with_rates(supplied)
    assert regime.rate_on(date(2026, 9, 1)) == D("10.15")
    # 1,000 EUR due 30/06/2026, to 30/09/2026: 92 days at 10.15 % = 25.58
    assert compute(eur("1000.00"), date(2026, 6, 30), date(2026, 9, 30), regime).amount == eur(
        "25.58"
    )
    row = rates.lookup([supplied, installed_rates()], regime.rate_keys, "2026-H2")
    assert row is not None
    assert (row.source, row.origin) == ("GU n. 160 of 13/07/2026", "dunning.toml")


def test_a_series_row_serves_every_regime_that_reads_the_series() -> None:
    ecb = RateSet.of({"ecb": {"2026-H2": "2.15"}})
    day = date(2026, 8, 3)
    readers = [key for key in REGIMES if get_regime(key).series == "ecb"]
    assert readers == ["it-231", "fr-l441-10", "es-3-2004"]
    rates_on = {key: get_regime(key).with_rates(ecb).rate_on(day) for key in readers}
    assert rates_on["it-231"] == D("10.15")
    assert rates_on["fr-l441-10"] == D("12.15")
    assert rates_on["es-3-2004"] == D("10.15")
    with pytest.raises(UnknownRate):
        get_regime("de-288").with_rates(ecb).rate_on(day)  # the Basiszinssatz is another series


def test_rates_given_on_the_object_win_over_supplied_rows() -> None:
    regime = ItalyCommercial(reference_rates={(2026, 2): D("2.00")})
    assert regime.with_rates(RateSet.of({"it-231": {"2026-H2": "3"}})).rate_on(
        date(2026, 8, 1)
    ) == D("10.00")


def test_a_yearly_row_for_a_semester_regime_is_refused() -> None:
    with pytest.raises(PolicyError, match="unknown regime or series 'it231'"):
        Policy(Step("s", "reminder", via=email), interest="it-231", interest_rates={"it231": {}})
    with pytest.raises(RatesError, match='it-231 has a rate per semester: write "2026-H2"'):
        Policy(
            Step("s", "reminder", via=email),
            interest="it-231",
            interest_rates={"it-231": {"2027": "2"}},
        )


def test_italian_legal_rate_for_a_year_nobody_published_can_be_supplied() -> None:
    with pytest.raises(UnknownRate, match=r'it-legal: no published rate for 2027; .*"2027"'):
        ItalyLegal().rate_on(date(2027, 3, 1))
    supplied = ItalyLegal().with_rates(RateSet.of({"it-legal": {"2027": "1.5"}}))
    assert supplied.rate_on(date(2027, 3, 1)) == D("1.5")


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_takes_interest_rates(preset: str) -> None:
    supplied = {"ecb": {"2026-H2": "2.15"}, "de-basiszinssatz": {"2026-H2": "1.27"}}
    required = {"country": "NL"} if preset == "eu.directive_2011_7" else {}
    policy = load(preset, interest_rates=supplied, **required)
    for p in policy.all_policies:
        assert p.interest_rates == RateSet.of(supplied)
        if p.regime is not None and p.regime.series in ("ecb", "de-basiszinssatz"):
            p.regime.rate_on(date(2026, 8, 1))  # known now


# -- rates files and data packages -------------------------------------------------------------


def test_a_rates_file_must_say_its_format(tmp_path: Path) -> None:
    path = tmp_path / "rates.toml"
    path.write_text('[reference_rates.ecb]\n"2026-H2" = "2.15"\n')
    with pytest.raises(RatesError, match="reads rates files of format 1, not None"):
        load_rates(path)
    path.write_text('format = 1\n[reference_rates.ecb]\n"2026-H2" = "2.15"\n')
    assert load_rates(path).get("ecb", "2026-H2") is not None
    with pytest.raises(RatesError, match="is not a UTF-8 TOML rates file"):
        load_rates(b"format = = 1")


@pytest.fixture
def data_package(tmp_path: Path) -> Iterator[Path]:
    """A data package installed for real: a module and a .dist-info with an entry point in
    the group dunning.interest_rates, found by importlib.metadata on sys.path."""
    (tmp_path / "dunning_rates_test.py").write_text(
        textwrap.dedent(
            """
            from pathlib import Path
            RATES = Path(__file__).with_name("dunning_rates_test.toml")
            """
        )
    )
    (tmp_path / "dunning_rates_test.toml").write_text(
        textwrap.dedent(
            """
            format = 1
            [reference_rates.ecb]
            "2026-H2" = { rate = "2.15", source = "GU n. 160 of 13/07/2026" }
            """
        )
    )
    info = tmp_path / "dunning_rates_test-2026.7.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: dunning-rates-test\nVersion: 2026.7\n"
    )
    (info / "entry_points.txt").write_text(
        "[dunning.interest_rates]\nitaly = dunning_rates_test:RATES\n"
    )
    sys.path.insert(0, str(tmp_path))
    rates._reset()
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("dunning_rates_test", None)
        rates._reset()


def test_a_data_package_adds_rates_between_releases(data_package: Path) -> None:
    row = installed_rates().get("ecb", "2026-H2")
    assert row is not None
    assert (row.value, row.source, row.origin) == (
        D("2.15"),
        "GU n. 160 of 13/07/2026",
        "package italy",
    )
    assert ItalyCommercial().rate_on(date(2026, 8, 1)) == D("10.15")


def test_without_the_data_package_the_period_is_unknown_again() -> None:
    with pytest.raises(UnknownRate):
        ItalyCommercial().rate_on(date(2026, 8, 1))


# -- statements, plans: interest up to the last known rate, never a guess ----------------------

DEBTOR = Debtor("B1", "Officina Rossi S.n.c.", email="amministrazione@rossi.example")
LATE = Portfolio(
    Creditor("Tipografia Emiliana S.r.l."),
    [DEBTOR],
    [Invoice.single("2026/0001", "B1", date(2026, 3, 2), date(2026, 3, 31), eur("1000.00"))],
)


def test_coverage_names_the_missing_periods() -> None:
    cover = coverage("it-231", date(2026, 3, 31), date(2027, 2, 1))
    assert (cover.known_until, cover.missing) == (date(2026, 6, 30), ("2026-H2", "2027-H1"))
    assert coverage("it-231", date(2025, 3, 31), date(2026, 6, 30)).complete
    # UK: the rate is fixed when interest starts to run, so later semesters do not matter
    assert coverage("uk-1998", date(2026, 3, 31), date(2027, 2, 1)).complete


def test_periods_between() -> None:
    assert periods_between(date(2025, 12, 31), date(2027, 1, 1), "semester") == [
        "2025-H2",
        "2026-H1",
        "2026-H2",
        "2027-H1",
    ]
    assert periods_between(date(2025, 12, 31), date(2027, 1, 1), "year") == [
        "2025",
        "2026",
        "2027",
    ]


def test_a_statement_stops_at_the_last_known_rate_and_says_so() -> None:
    s = statement(LATE, "B1", date(2026, 9, 30), interest="it-231")
    (line,) = s.lines
    # 1 April – 30 June 2026: 91 days at 10.15 %: 1000 × 10.15 × 91 / 36500 = 25.31
    assert line.interest_accrued == eur("25.31")
    assert (line.interest_until, line.missing_rates) == (date(2026, 6, 30), ("2026-H2",))
    assert (s.interest_until, s.missing_rates) == (date(2026, 6, 30), ("2026-H2",))
    assert "interest up to 2026-06-30 only: no published rate for 2026-H2" in s.text()
    assert "keeps accruing" in s.text()
    supplied = ItalyCommercial().with_rates(RateSet.of({"it-231": {"2026-H2": "2.15"}}))
    full = statement(LATE, "B1", date(2026, 9, 30), interest=supplied)
    # + 92 days at 10.15 %: 25.58
    assert full.interest_due == eur("50.89")
    assert full.missing_rates == ()
    assert "interest up to" not in full.text()


def test_plan_warns_when_a_claimed_item_accrues_over_an_unknown_period() -> None:
    policy = Policy(Step("sollecito", "reminder", via=email), interest="it-231")
    proposal = plan(LATE, policy, date(2026, 7, 15))
    (alert,) = [a for a in proposal.alerts if a.kind == "interest_rate"]
    assert alert.debtor_id == "B1"
    assert alert.date == date(2026, 7, 1)
    assert '[interest.reference_rates."it-231"] "2026-H2" = "<rate>"' in alert.why
    assert "2026/0001 is shown up to 2026-06-30 only" in alert.why
    known = Policy(
        Step("sollecito", "reminder", via=email),
        interest="it-231",
        interest_rates={"ecb": {"2026-H2": "2.15"}},
    )
    assert list(plan(LATE, known, date(2026, 7, 15)).alerts) == []
    # no regime, no interest, no alert
    plain = Policy(Step("sollecito", "reminder", via=email))
    assert plan(LATE, plain, date(2026, 7, 15)).alerts == ()


# -- interest older than five years (art. 2948 n. 4 c.c.) --------------------------------------


def test_interest_older_than_five_years_is_shown_apart_and_not_claimed() -> None:
    old = Portfolio(
        Creditor("Tipografia Emiliana S.r.l."),
        [DEBTOR],
        [Invoice.single("2019/0100", "B1", date(2019, 11, 30), date(2019, 12, 31), eur("1000"))],
    )
    s = statement(old, "B1", date(2026, 6, 30), interest="it-231")
    (line,) = s.lines
    # Art. 2948 n. 4 c.c.: interest prescribes in five years. As of 30/06/2026 the interest of
    # 1/1/2020 – 30/6/2021 (547 days at 8.00 %, ECB 0.00 + 8) is older than five years:
    # 1000 × 8 × 547 / 36500 = 119.89
    assert line.interest_time_barred == eur("119.89")
    assert line.interest_due == line.interest_accrued - eur("119.89")
    assert s.interest_time_barred == eur("119.89")
    assert "not claimed: interest of 119.89 EUR accrued more than 5 years ago" in s.text()
    # a regime that does not say (Germany here) claims it all
    de = statement(old, "B1", date(2026, 6, 30), interest=GermanyBGB288())
    assert de.lines[0].interest_time_barred is None
    assert de.interest_due == de.lines[0].interest_accrued


@given(
    due=st.dates(date(2025, 1, 1), date(2026, 12, 31)),
    days=st.integers(0, 400),
    amount=st.decimals("0.01", "50000", places=2),
    ecb=st.decimals("0", "6", places=2),
)
def test_a_statement_without_a_rate_is_the_full_one_cut_at_the_last_known_day(
    due: date, days: int, amount: Decimal, ecb: Decimal
) -> None:
    """Never a guess: the statement without the 2026 H2 rate shows exactly the interest of the
    full statement up to 30 June 2026, and never more than the full one, whatever the rate
    published later turns out to be."""
    as_of = due + timedelta(days=days)
    pf = Portfolio(
        Creditor("Tipografia Emiliana S.r.l."),
        [DEBTOR],
        [Invoice.single("F1", "B1", min(due, date(2026, 1, 1)), due, eur(str(amount)))],
    )
    partial = statement(pf, "B1", as_of, interest="it-231")
    supplied = ItalyCommercial().with_rates(RateSet.of({"ecb": {"2026-H2": str(ecb)}}))
    full = statement(pf, "B1", as_of, interest=supplied)
    (cut,), (whole,) = partial.lines, full.lines
    assert cut.interest_due <= whole.interest_due
    known = max(date(2026, 6, 30), due)  # the last day whose rate the tables know, or due
    if as_of <= known:
        assert cut.missing_rates == ()
        assert cut.interest_due == whole.interest_due
    else:
        assert cut.missing_rates[0] == period_of(known + timedelta(days=1), "semester")
        assert cut.interest_until == known
        expected = compute(eur(str(amount)), due, known, supplied)
        assert cut.interest == attrs.evolve(expected, regime=cut.interest.regime)
