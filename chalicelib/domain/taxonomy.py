"""The category and root-cause taxonomies staff decisions must use: which categories exist, and the fishbone's
sub-causes. The shipped defaults are below; the run-time configuration (chalicelib.sla.config) may extend them.

The taxonomy governs new decisions only: reports keep the labels that past complaints carry."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from .errors import InvalidCommand
from .stages import DEFAULT_CATEGORIES

# The fishbone (Ishikawa) bones are fixed, so causes compare across teams and years; their sub-causes are editable.
FISHBONE: dict[str, tuple[str, ...]] = {
    "people": ("training", "attitude", "staffing"),
    "process": ("handoff", "policy_gap", "delay"),
    "product": ("defect", "design", "packaging"),
    "technology": ("outage", "bug", "integration"),
    "policy": ("terms", "pricing", "eligibility"),
    "environment": ("weather", "carrier", "supplier"),
}
ROOT_CAUSES = tuple(FISHBONE)
CAUSE_LABELS = ROOT_CAUSES + tuple(f"{cause}/{sub}" for cause, subs in FISHBONE.items() for sub in subs)
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # a category or sub-cause name
CAUSE_LABEL = re.compile(rf"^({'|'.join(ROOT_CAUSES)})(/[a-z][a-z0-9_]{{0,39}})?$")  # "process" or "process/handoff"


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[str, ...]
    fishbone: Mapping[str, tuple[str, ...]]

    def check_category(self, category: str | None, field: str = "category") -> None:
        if category not in self.categories:
            raise InvalidCommand(f"unknown category {category!r}; use one of {', '.join(self.categories)}", field)

    def check_cause(self, root_cause: str | None, sub_cause: str | None = None) -> None:
        if root_cause not in self.fishbone:
            raise InvalidCommand(f"root_cause must be one of {', '.join(self.fishbone)}", "root_cause")
        if sub_cause and sub_cause not in self.fishbone[root_cause]:
            raise InvalidCommand(f"sub_cause of {root_cause} must be one of "
                                 f"{', '.join(self.fishbone[root_cause]) or '(none defined)'}", "sub_cause")

    def check_cause_label(self, label: str, field: str = "root_cause") -> None:
        """A label as PDCA actions and reports use it: "process" or "process/handoff"."""
        cause, _, sub = label.partition("/")
        try:
            self.check_cause(cause, sub or None)
        except InvalidCommand as refused:
            raise InvalidCommand(str(refused), field) from None


DEFAULT_TAXONOMY = Taxonomy(DEFAULT_CATEGORIES, FISHBONE)
