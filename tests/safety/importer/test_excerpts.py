"""The excerpts in fixtures/open-data are faithful: they parse to the first records of their file."""

from __future__ import annotations

import pytest

from backend.safety.importer import parse_file
from tests.safety.importer.paths import EXCERPTS, OPEN_DATA

EXCERPT_SOURCES = {
    "tokyo_130001_evacuation_area.excerpt.csv": "tokyo_130001_evacuation_area.csv",
    "matsuyama_382019_evacuation_space.excerpt.csv": "matsuyama_382019_evacuation_space.csv",
    "ichikawa_122033_103_evacuation_space.excerpt.cp932.csv":
        "ichikawa_122033_103_evacuation_space.cp932.csv",
    "gsi_mergeFromCity_1_designated_shelters_SAMPLE_sapporo.excerpt.csv":
        "gsi_mergeFromCity_1_designated_shelters_SAMPLE_sapporo.csv",
    "gsi_mergeFromCity_2_emergency_sites_SAMPLE_toshima.excerpt.csv":
        "gsi_mergeFromCity_2_emergency_sites_SAMPLE_toshima.csv",
    "hamamatsu_221390_hinanjo.excerpt.csv": "hamamatsu_221390_hinanjo.csv",
    "okinawa_ogimi_473022_evacuation_space.excerpt.csv":
        "okinawa_ogimi_473022_evacuation_space.csv",
}  # fmt: skip


def test_every_excerpt_has_a_source_and_an_attribution() -> None:
    readme = (EXCERPTS / "README.md").read_text()

    assert {path.name for path in EXCERPTS.glob("*.csv")} == set(EXCERPT_SOURCES)
    assert all(f"`{name}`" in readme for name in EXCERPT_SOURCES)


@pytest.mark.parametrize(("excerpt", "source"), sorted(EXCERPT_SOURCES.items()))
def test_excerpt_is_a_byte_prefix_of_its_source(excerpt: str, source: str) -> None:
    assert (OPEN_DATA / source).read_bytes().startswith((EXCERPTS / excerpt).read_bytes())


@pytest.mark.parametrize(("excerpt", "source"), sorted(EXCERPT_SOURCES.items()))
def test_excerpt_parses_to_the_first_three_records_of_its_source(excerpt: str, source: str) -> None:
    small = parse_file(EXCERPTS / excerpt)
    full = parse_file(OPEN_DATA / source)

    assert (small.format, small.encoding) == (full.format, full.encoding)
    assert small.records == full.records[:3]
