"""Audience keys: who may see an entity on the change feed.

An entity is written to the feed once per audience; a reader pulls the changes of the
audiences they belong to. Keeping the names here keeps every domain spelling them alike.
"""

from __future__ import annotations


def user(user_id: str) -> str:
    return f"user:{user_id}"


def household(household_id: str) -> str:
    return f"household:{household_id}"


def association_members(association_id: str) -> str:
    return f"assoc:{association_id}"


def association_leaders(association_id: str) -> str:
    return f"assoc-leaders:{association_id}"


def shelter_staff(shelter_id: str) -> str:
    return f"shelter-staff:{shelter_id}"


WARD = "ward"
WARD_ADMINS = "ward-admins"
