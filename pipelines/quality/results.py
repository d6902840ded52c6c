"""What a quality run produces: one CheckResult per check (a GX expectation or a dbt data test), gathered
in a QualityReport. The words of the checks (families, severities) are the OHDSI Data Quality Dashboard's
categories and the severities of the TDB MS controls (spec §5.2)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

FAMILIES = ("conformance", "completeness", "plausibility")
SEVERITIES = ("bloquant", "avertissement", "info")
BLOCKING = "bloquant"
ALL_INDICATORS = "*"  # `feeds` value: every indicator

FAMILY_LABELS = {"conformance": "conformité", "completeness": "complétude", "plausibility": "plausibilité"}


@dataclass(frozen=True)
class CheckResult:
    check_id: str
    origin: str  # 'gx' (an expectation of a suite in expectations/) | 'dbt' (a data test of the models)
    family: str
    severity: str
    description: str  # French, for a director
    table_name: str
    column_name: str | None
    success: bool
    failing_rows: int | None
    total_rows: int | None
    threshold: str | None = None  # JSON of the thresholds (mostly, min_value, max_value)
    examples: str | None = None  # JSON list of at most 5 example keys (pseudonymous keys, FINESS, period)
    feeds: tuple[str, ...] = ()  # indicator codes a blocking failure marks failed_checks, or "*"
    error: str | None = None  # why the check could not be evaluated

    @property
    def is_blocking_failure(self) -> bool:
        return not self.success and self.severity == BLOCKING

    @property
    def example_keys(self) -> list[dict]:
        return json.loads(self.examples) if self.examples else []

    @property
    def thresholds(self) -> dict:
        return json.loads(self.threshold) if self.threshold else {}


@dataclass
class QualityReport:
    association_id: str
    started_at: dt.datetime
    finished_at: dt.datetime
    results: list[CheckResult]
    skipped_tables: list[str] = field(default_factory=list)  # absent or empty: nothing to check
    docs_path: Path | None = None
    run_id: int | None = None

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success]

    @property
    def blocking(self) -> list[CheckResult]:
        return [r for r in self.results if r.is_blocking_failure]

    def failed_counts(self) -> Counter:
        """Failed checks per (family, severity)."""
        return Counter((r.family, r.severity) for r in self.failed)

    @property
    def blocked_feeds(self) -> frozenset[str]:
        """What the blocking failures feed, as fct_indicator_values reads it (macro blocked_indicators)."""
        return frozenset(code for r in self.blocking for code in r.feeds)

    def blocked_indicators(self, all_codes: list[str]) -> list[str]:
        """Indicator codes fed by a blocking failure ("*" = every code of `all_codes`)."""
        codes = self.blocked_feeds
        return sorted(set(all_codes) if ALL_INDICATORS in codes else codes)
