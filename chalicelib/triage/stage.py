"""The intake pipeline's triage stage: screening (invalid, spam, duplicate) and classification (category,
priority with its signals, sentiment), composed from the pure modules of this package.

The category model is loaded once per container and version: the version retraining published (model registry),
else the one the build ships (a layer in AWS, models/artifacts locally). Without one, the customer's chosen
category is used and the complaint goes to the triage queue. A version may also carry `priority_levels.json`: the
priority rule levels retraining learnt from staff corrections (else the default SeverityRules apply).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from ..domain.model import Complaint, IntakeMessage, OPEN_STATUSES
from ..domain.stages import DEFAULT_CATEGORIES, Classification, Screening
from .sentiment import analyze_sentiment
from .severity import DEFAULT_RULES, SAFETY, SeverityRules, assess_severity
from .similarity import DEFAULT_THRESHOLD, MinHashSignature, is_near_duplicate, signature, sketch
from .spam import score_spam
from .validity import check_validity

REPEAT_WINDOW = timedelta(days=30)
BODY_ALONE_WORDS = 6  # a body of this many words is compared without its subject


def compared_text(subject: str, body: str) -> str:
    """What duplicate detection compares: the body, whose words a re-sent complaint keeps whatever its channel
    (a web subject, an e-mail subject line and an SMS's first line all differ); with the subject for short bodies."""
    long_enough = len(body.split()) >= BODY_ALONE_WORDS or len(body) >= 4 * BODY_ALONE_WORDS  # CJK has no spaces
    return body if long_enough else f"{subject}\n{body}"


@dataclass(frozen=True)
class TriageSettings:
    confidence_threshold: float = 0.5  # below it, a person checks category and priority (needs_triage)
    duplicate_window: timedelta = timedelta(days=14)
    similarity_threshold: float = DEFAULT_THRESHOLD  # estimated Jaccard of word/character shingles
    categories: tuple[str, ...] = DEFAULT_CATEGORIES

    def __post_init__(self):
        if not 0.0 <= self.confidence_threshold <= 1.0:
            raise ValueError(f"confidence_threshold must be within [0, 1], not {self.confidence_threshold}")
        if self.duplicate_window <= timedelta(0):
            raise ValueError(f"duplicate_window must be positive, not {self.duplicate_window}")
        if not 0.0 < self.similarity_threshold <= 1.0:
            raise ValueError(f"similarity_threshold must be within (0, 1], not {self.similarity_threshold}")


class Triage:
    def __init__(self, model_dir: str | Path | Callable[[], Path | None] | None = None,
                 settings: TriageSettings = TriageSettings(),
                 categories: Callable[[], tuple[str, ...]] | None = None):
        """`model_dir`: the model's directory, or a callable that says which directory serves now (the model
        registry, which retraining updates). `categories`: the taxonomy in force (default: settings.categories)."""
        self._categories = categories or (lambda: settings.categories)
        self._locate = model_dir if callable(model_dir) else (lambda: Path(model_dir) if model_dir else None)
        self.settings = settings
        self._model, self._model_dir, self._rules = None, None, DEFAULT_RULES

    @property
    def model(self):
        """The serving version's category model (None without one)."""
        self._refresh()
        return self._model

    def _refresh(self) -> None:
        directory = self._locate()
        if directory == self._model_dir:
            return
        self._model_dir, self._model, self._rules = directory, None, DEFAULT_RULES
        if directory is not None and (directory / "manifest.json").exists():
            from .text_model import load_for_serving

            self._model = load_for_serving(directory)  # on the encoder, or its lexical twin without the layer
        if directory is not None:
            self._rules = priority_rules(directory)

    def assess(self, message: IntakeMessage, recent: list[Complaint], now: datetime) -> tuple[Screening, Classification]:
        """`recent`: the same customer's complaints (by e-mail or phone), newest first."""
        self._refresh()  # once: category model and priority rules come from the same version
        shape = sketch(compared_text(message.subject, message.text))
        classification = self._classify(message, recent, now, shape)
        return self._screen(message, recent, now, shape), classification

    # screening ------------------------------------------------------------------------------------------------
    def _screen(self, message: IntakeMessage, recent: list[Complaint], now: datetime, shape) -> Screening:
        verdict = check_validity(message.text, message.subject)
        if not verdict.valid:
            return Screening("invalid", verdict.reason)
        spam = score_spam(message.text, subject=message.subject, channel=message.channel.value,
                          sender_email=message.sender.email,
                          ses_spam_verdict=(message.details.get("verdicts") or {}).get("spam"))
        if spam.is_spam:
            return Screening("spam", "spam signals: " + ", ".join(spam.reasons))
        original = self._original_of(recent, now, shape.signature, shape.fingerprint)
        if original is not None:
            complaint, how = original
            return Screening("duplicate", f"{how} of {complaint.reference}", duplicate_of=complaint.reference)
        return Screening("accepted")

    def _original_of(self, recent: list[Complaint], now: datetime, sig: MinHashSignature,
                     exact: str) -> tuple[Complaint, str] | None:
        """The oldest open complaint of this customer within the window with the same or nearly the same text."""
        since = now - self.settings.duplicate_window
        for complaint in sorted(recent, key=lambda c: c.created_at):
            if complaint.created_at < since or complaint.status not in OPEN_STATUSES or complaint.duplicate_of:
                continue
            stored = complaint.classification or {}
            if stored.get("fingerprint") == exact:
                return complaint, "exact duplicate"
            theirs = (MinHashSignature.decode(stored["minhash"]) if stored.get("minhash")
                      else signature(compared_text(complaint.subject, complaint.description)))
            if is_near_duplicate(sig, theirs, self.settings.similarity_threshold):
                return complaint, "near duplicate"
        return None

    # classification -------------------------------------------------------------------------------------------
    def _classify(self, message: IntakeMessage, recent: list[Complaint], now: datetime, shape) -> Classification:
        feeling = analyze_sentiment(message.text, subject=message.subject)
        repeats = sum(1 for c in recent if c.created_at >= now - REPEAT_WINDOW)
        severity = assess_severity(message.text, subject=message.subject, prior_complaints_30d=repeats,
                                   sentiment=feeling.score, rules=self._rules)
        category, confidence, needs_triage, top, model_version = self._category(message, severity.signal_names)
        signals = severity.signal_names
        if message.requested_category in self._categories():
            signals += ("customer_selected_category",)
        return Classification(
            category=category,
            priority=severity.priority,
            sentiment=round(feeling.score, 3),
            confidence=confidence,
            signals=signals,
            model=model_version,
            details={
                "sentiment_label": feeling.label,
                "emotion": feeling.emotion,
                "evidence": {s.name: s.evidence for s in severity.signals},
                "priority_reason": severity.explanation,
                "priority_rule": severity.rule,
                "priority_raised": severity.raised,
                "top_categories": top,
                "needs_triage": needs_triage,
                "fingerprint": shape.fingerprint,
                "minhash": shape.signature.encode(),
            },
        )

    def _category(self, message: IntakeMessage, signals: tuple[str, ...] = ()):
        """(category, confidence, needs_triage, top, model version). The customer's own choice stands unless the
        model is clearly better (OVERRIDE); without a choice, the model's label, checked by a person when it is
        unsure. A safety signal does not go to a category no hazard belongs to (SAFETY_CATEGORIES)."""
        requested = message.requested_category if message.requested_category in self._categories() else None
        model = self._model
        if model is None:
            return requested or "general", None, requested is None, [], "no-model"
        prediction = model.predict(f"{message.subject}\n{message.text}", top_k=100)  # every label
        ranked = [(label, p) for label, p in prediction.top if label in self._categories()] or [("general", 0.0)]
        if SAFETY in signals and ranked[0][0] not in SAFETY_CATEGORIES:
            ranked = sorted(ranked, key=lambda item: item[0] not in SAFETY_CATEGORIES)  # stable: by probability
        label, probability = ranked[0]
        top = [[name, round(p, 3)] for name, p in ranked[:3]]
        if requested is not None and not overrides(probability, dict(ranked).get(requested, 0.0)):
            return requested, round(probability, 3), False, top, model.version
        return label, round(probability, 3), probability < self.settings.confidence_threshold, top, model.version


# The model replaces the customer's own category only when it is sure of its label and finds the customer's
# unlikely: measured in tests/performance/test_category_override.py.
OVERRIDE = (0.85, 0.05)  # (at least this probability for the model's label, at most this for the customer's)
SAFETY_CATEGORIES = ("product", "technical", "delivery", "service_attitude")  # where a hazard can come from


def overrides(model_probability: float, requested_probability: float) -> bool:
    return model_probability >= OVERRIDE[0] and requested_probability <= OVERRIDE[1]


PRIORITY_LEVELS_FILE = "priority_levels.json"


def priority_rules(directory: Path) -> SeverityRules:
    """The default rules with the levels a model version carries (a file retraining writes), if any."""
    path = directory / PRIORITY_LEVELS_FILE
    if not path.exists():
        return DEFAULT_RULES
    return DEFAULT_RULES.with_levels(json.loads(path.read_text(encoding="utf-8"))["levels"])
