"""Deterministic demo sources: three fictional associations, in the exact formats of the specs."""
