"""Safety inhibits of the flight app; the hazard table is HAZARDS.md beside this file."""
