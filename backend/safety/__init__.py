"""Safety domain: incidents, check-ins, shelters and their import, roll-call, PFIF export."""
