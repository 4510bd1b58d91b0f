"""The catalogue of layouts we know: shelter formats we import and datasets we knowingly refuse.

Columns are named, never numbered: real files insert stray columns (Matsuyama's 40th) and
reorder them. Names are written as published and compared after `normalise_header`, so
full-width brackets, line breaks and spaces inside header cells do not matter.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from backend.safety.importer.records import Accessibility, Hazard, ShelterKind


def normalise_header(cell: str) -> str:
    """'区市町村\\nコード' → '区市町村コード'; '収容可能人員（屋内）' → '収容可能人員(屋内)'."""
    return "".join(unicodedata.normalize("NFKC", cell).split())


class Field(Enum):
    COMMON_ID = "common_id"
    MUNICIPALITY_CODE = "municipality_code"
    LOCAL_ID = "local_id"
    NAME = "name"
    NAME_KANA = "name_kana"
    NAME_EN = "name_en"
    ADDRESS = "address"
    LAT = "lat"
    LON = "lon"
    PHONE = "phone"
    CAPACITY = "capacity"
    ASSOCIATIONS = "associations"
    OVERLAP = "overlap"  # also designated as the other kind → BOTH
    WELFARE_TARGETS = "welfare_targets"  # filled only for 福祉避難所


_HAZARD_NAMES = {
    "洪水": Hazard.FLOOD,
    "崖崩れ、土石流及び地滑り": Hazard.LANDSLIDE,
    "高潮": Hazard.STORM_SURGE,
    "地震": Hazard.EARTHQUAKE,
    "津波": Hazard.TSUNAMI,
    "大規模な火事": Hazard.LARGE_FIRE,
    "内水氾濫": Hazard.INLAND_FLOOD,
    "火山現象": Hazard.VOLCANO,
}
STANDARD_HAZARDS = {f"災害種別_{name}": hazard for name, hazard in _HAZARD_NAMES.items()}
BARE_HAZARDS = dict(_HAZARD_NAMES)


@dataclass(frozen=True)
class ShelterFormat:
    name: str
    title: str
    kind: ShelterKind
    signature: tuple[str, ...]  # header names that must all be present to recognise the file
    columns: Mapping[Field, tuple[str, ...]]  # candidate header names, first present one wins
    hazards: Mapping[str, Hazard] = field(default_factory=dict)
    accessibility: Mapping[str, Accessibility] = field(default_factory=dict)
    # Used when the joined address column is empty (the standard has both forms).
    address_parts: tuple[str, ...] = ()

    def matches(self, headers: frozenset[str]) -> bool:
        return {normalise_header(name) for name in self.signature} <= headers


STANDARD_03 = ShelterFormat(
    name="standard-03",
    title="自治体標準オープンデータセット 03 指定緊急避難場所一覧",
    kind=ShelterKind.EVACUATION_SITE,
    signature=("全国地方公共団体コード", "ID", "名称", "緯度", "経度", "指定避難所との重複"),
    columns={
        Field.COMMON_ID: ("ID",),
        Field.MUNICIPALITY_CODE: (
            "全国地方公共団体コード",
            "市区町村コード",
            "所在地_全国地方公共団体コード",
        ),
        Field.NAME: ("名称",),
        Field.NAME_KANA: ("名称_カナ",),
        Field.NAME_EN: ("名称_英字",),
        Field.ADDRESS: ("所在地_連結表記",),
        Field.LAT: ("緯度",),
        Field.LON: ("経度",),
        Field.PHONE: ("電話番号",),
        Field.CAPACITY: ("想定収容人数",),
        Field.ASSOCIATIONS: ("対象となる町会・自治会",),
        Field.OVERLAP: ("指定避難所との重複",),
    },
    hazards=STANDARD_HAZARDS,
    address_parts=(
        "所在地_都道府県",
        "所在地_市区町村",
        "所在地_町字",
        "所在地_番地以下",
        "建物名等(方書)",
    ),
)

# The 推奨データセット layout that preceded the standard: NO/lat/lon instead of ID/緯度/経度.
RECOMMENDED_EVACUATION_SPACE = ShelterFormat(
    name="recommended-evacuation-space",
    title="推奨データセット（旧）指定緊急避難場所 (NO, lat, lon)",
    kind=ShelterKind.EVACUATION_SITE,
    signature=("NO", "名称", "lat", "lon", "指定避難所との重複"),
    columns={
        Field.LOCAL_ID: ("NO",),
        Field.MUNICIPALITY_CODE: ("市区町村コード",),
        Field.NAME: ("名称",),
        Field.NAME_KANA: ("名称_カナ",),
        Field.ADDRESS: ("住所",),
        Field.LAT: ("lat",),
        Field.LON: ("lon",),
        Field.PHONE: ("電話番号",),
        Field.CAPACITY: ("想定収容人数",),
        Field.ASSOCIATIONS: ("対象となる町会・自治会",),
        Field.OVERLAP: ("指定避難所との重複",),
    },
    hazards=STANDARD_HAZARDS,
    address_parts=("住所", "方書"),
)

_GSI_COMMON = {
    Field.COMMON_ID: ("共通ID",),
    Field.NAME: ("施設・場所名",),
    Field.ADDRESS: ("住所",),
    Field.LAT: ("緯度",),
    Field.LON: ("経度",),
}

GSI_SHELTERS = ShelterFormat(
    name="gsi-shelters",
    title="国土地理院 指定避難所データ (mergeFromCity_1.csv)",
    kind=ShelterKind.SHELTER,
    signature=("共通ID", "施設・場所名", "指定緊急避難場所との住所同一", "緯度", "経度"),
    columns={
        **_GSI_COMMON,
        Field.OVERLAP: ("指定緊急避難場所との住所同一",),
        Field.WELFARE_TARGETS: ("受入対象者",),
    },
)

GSI_EVACUATION_SITES = ShelterFormat(
    name="gsi-evacuation-sites",
    title="国土地理院 指定緊急避難場所データ (mergeFromCity_2.csv)",
    kind=ShelterKind.EVACUATION_SITE,
    signature=("共通ID", "施設・場所名", "指定避難所との住所同一", "緯度", "経度"),
    columns={**_GSI_COMMON, Field.OVERLAP: ("指定避難所との住所同一",)},
    hazards=BARE_HAZARDS,
)

TOKYO_EVACUATION_AREAS = ShelterFormat(
    name="tokyo-evacuation-areas",
    title="東京都 避難場所一覧 (130001_evacuation_area.csv)",
    kind=ShelterKind.EVACUATION_SITE,
    signature=("区市町村コード", "施設名", "所在地住所", "緯度", "経度"),
    columns={
        Field.MUNICIPALITY_CODE: ("区市町村コード",),
        Field.NAME: ("施設名",),
        Field.ADDRESS: ("所在地住所",),
        Field.LAT: ("緯度",),
        Field.LON: ("経度",),
    },
    hazards={**BARE_HAZARDS, "その他": Hazard.OTHER},
    accessibility={
        "エレベーター有/避難スペースが１階": Accessibility.ELEVATOR_OR_GROUND_FLOOR,
        "スロープ等": Accessibility.SLOPE,
        "点字ブロック": Accessibility.TACTILE_PAVING,
        "車椅子使用者対応トイレ": Accessibility.ACCESSIBLE_TOILET,
    },
)

HAMAMATSU_SHELTERS = ShelterFormat(
    name="hamamatsu-shelters",
    title="浜松市 避難所 (収容可能人員（屋内）)",
    kind=ShelterKind.SHELTER,
    signature=("避難所名称", "収容可能人員（屋内）", "緯度", "経度"),
    columns={
        Field.MUNICIPALITY_CODE: ("都道府県コード又は市区町村コード",),
        Field.LOCAL_ID: ("NO",),
        Field.NAME: ("避難所名称",),
        Field.ADDRESS: ("所在地",),
        Field.LAT: ("緯度",),
        Field.LON: ("経度",),
        Field.PHONE: ("電話1",),
        Field.CAPACITY: ("収容可能人員（屋内）",),
    },
)

# Most specific first: the first format whose signature a header row contains wins.
SHELTER_FORMATS: tuple[ShelterFormat, ...] = (
    STANDARD_03,
    RECOMMENDED_EVACUATION_SPACE,
    GSI_SHELTERS,
    GSI_EVACUATION_SITES,
    TOKYO_EVACUATION_AREAS,
    HAMAMATSU_SHELTERS,
)

FORMATS_BY_NAME: Mapping[str, ShelterFormat] = {spec.name: spec for spec in SHELTER_FORMATS}
