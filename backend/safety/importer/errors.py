"""Why a whole file cannot be imported; row-level problems are skips, not errors."""

from __future__ import annotations

from backend.core.errors import DomainError


class ShelterFileError(DomainError):
    """Base of every file-level import failure; the message is shown to the operator as is."""

    code = "SHELTER_FILE"


class UndecodableFile(ShelterFileError):
    code = "SHELTER_FILE_UNDECODABLE"


class UnknownFormat(ShelterFileError):
    """No header row matched any known layout; the message names the layouts we expected."""

    code = "SHELTER_FILE_UNKNOWN_FORMAT"


class RefusedFile(ShelterFileError):
    """A recognised dataset that does not hold shelters or evacuation sites."""

    code = "SHELTER_FILE_REFUSED"

    def __init__(self, dataset: str, reason: str) -> None:
        super().__init__(f"refused: {dataset} is not a shelter or evacuation-site file — {reason}")
        self.dataset = dataset
        self.reason = reason
