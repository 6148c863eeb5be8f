"""Intake (docs/architecture.md, "Interfaces"): validate a campaign, store it with every
recipient, cut its chunks — in one transaction, or nothing at all."""

from dispatcher.intake.once import Submitted, as_stored, submit_once
from dispatcher.intake.spec import CampaignSpec, RequestHasher
from dispatcher.intake.submit import IntakeResult, submit

__all__ = [
    "CampaignSpec",
    "IntakeResult",
    "RequestHasher",
    "Submitted",
    "as_stored",
    "submit",
    "submit_once",
]
