"""Datasets that sit next to shelter files in the same portals but are not shelters.

Recognising them by name lets the importer refuse with the real reason ("this is the AED
list") instead of a vague "unknown format", and stops a facility list with coordinates from
being imported as places to evacuate to — a wrong designation is worse than a missing one.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.safety.importer.formats import normalise_header

_NOT_DESIGNATED = "not designated as 指定避難所 or 指定緊急避難場所 under the 災害対策基本法"


@dataclass(frozen=True)
class RefusedFormat:
    name: str
    title: str
    signature: tuple[str, ...]
    reason: str

    def matches(self, headers: frozenset[str]) -> bool:
        return {normalise_header(name) for name in self.signature} <= headers


REFUSED_FORMATS: tuple[RefusedFormat, ...] = (
    RefusedFormat(
        name="aed",
        title="自治体標準オープンデータセット 08 AED設置箇所一覧",
        signature=("設置位置", "小児対応設備の有無"),
        reason="AED locations are first-aid equipment, " + _NOT_DESIGNATED,
    ),
    RefusedFormat(
        name="care-services",
        title="自治体標準オープンデータセット 09 介護サービス事業所一覧",
        signature=("介護サービス事業所名称",),
        reason=(
            "care-service providers are " + _NOT_DESIGNATED + "; 福祉避難所 come from the "
            "municipality's shelter designations, not from this register"
        ),
    ),
    RefusedFormat(
        name="public-facilities",
        title="自治体標準オープンデータセット 01 公共施設一覧",
        signature=("POIコード", "名称_通称"),
        reason=(
            "many public facilities are schools that serve as shelters, but this list does not "
            "say which are designated or for which hazards"
        ),
    ),
    RefusedFormat(
        name="water-supply-points",
        title="東京都水道局 給水拠点一覧",
        signature=("施設名", "確保水量（立方メートル）"),
        reason=(
            "給水拠点 are emergency drinking-water points (応急給水槽, 浄水場): a resource to fetch "
            "water from, " + _NOT_DESIGNATED
        ),
    ),
    RefusedFormat(
        name="stranded-commuter-stations",
        title="帰宅困難者支援ステーション (九都県市協定店舗)",
        signature=("協定締結の主体", "店名"),
        reason=(
            "shops that give water, toilets and route information to people walking home; "
            + _NOT_DESIGNATED
        ),
    ),
    RefusedFormat(
        name="temporary-stay-facilities",
        title="都立一時滞在施設一覧",
        signature=("施設名称", "所在地"),
        reason=(
            "一時滞在施設 shelter commuters stranded in central Tokyo (帰宅困難者対策条例); they are "
            + _NOT_DESIGNATED
            + ", and the file has no coordinates"
        ),
    ),
    # Last resort for other standard-layout lists (e.g. Ichikawa's 医療救護所): a name and
    # coordinates but none of the columns that make a place a shelter.
    RefusedFormat(
        name="standard-facility-list",
        title="標準データセット形式の施設一覧 (災害種別・収容人数の列なし)",
        signature=("全国地方公共団体コード", "名称", "緯度", "経度"),
        reason=(
            "it has no hazard (災害種別_…), 指定避難所との重複 or capacity column, so nothing "
            "says these places are designated shelters or evacuation sites"
        ),
    ),
)
