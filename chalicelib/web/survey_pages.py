"""Server-rendered CSAT survey pages: the form, the thanks page, and the pages of a link that cannot be used.
Accessible and JavaScript-free, in the customer pages' layout (templates/survey/, in English or Chinese); the
templates escape every value."""
from __future__ import annotations

from typing import Any, Mapping

from ..domain.surveys import AnswerResult
from ..quality.survey import MAX_COMMENT, REASONS
from ..i18n import N_, gettext_for
from .render import render

SCORES = ((5, N_("Very satisfied")), (4, N_("Satisfied")), (3, N_("Neither satisfied nor dissatisfied")),
          (2, N_("Dissatisfied")), (1, N_("Very dissatisfied")))
REASON_LABELS = {
    "slow": N_("It took too long"),
    "unresolved": N_("My problem was not solved"),
    "rude": N_("Staff were unhelpful or impolite"),
    "unclear": N_("Your answers were unclear"),
    "other": N_("Something else"),
}
_TRUE = ("on", "true", "1", "yes")


def survey_form(reference: str, values: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None, language: str = "en") -> str:
    """The survey; posts back to its own URL (the link with the token)."""
    values = {k: str(v) for k, v in (values or {}).items() if v is not None}
    text = gettext_for(language)
    return render("survey/form.html", language, reference=reference, values=values,
                  errors=_plain_errors(errors or {}, text), max_comment=MAX_COMMENT,
                  scores=[(score, text(label)) for score, label in SCORES],
                  reasons=[(code, text(REASON_LABELS.get(code, code))) for code in REASONS],
                  not_solved=values.get("not_solved", "").lower() in _TRUE, here="")


def _plain_errors(errors: Mapping[str, str], text) -> dict[str, str]:
    """quality.survey's messages in plain words, in the page's language (others are shown as they are)."""
    plain = {}
    for field, message in errors.items():
        if field == "score":
            message = text(N_("Choose how satisfied you are, from 1 to 5"))
        elif field == "reason":
            message = text(N_("Tell us what went wrong: a reason is required for a score of 1 or 2")
                           if "required" in message else N_("Choose a reason from the list"))
        elif field == "comment":
            message = text(N_("Use %(count)s characters or fewer")) % {"count": MAX_COMMENT}
        plain[field] = message
    return plain


def thanks_page(result: AnswerResult, new_complaint_url: str, language: str = "en") -> str:
    return render("survey/thanks.html", language, result=result, new_complaint_url=new_complaint_url)


# What the customer reads for a link that cannot be used, by SurveyTokenError.reason.
_LINK_PROBLEMS = {
    "used": (N_("This survey has already been answered"),
             N_("Each survey link works once, and we already have an answer for this one. Thank you.")),
    "expired": (N_("This survey link has expired"),
                N_("Survey links work for a limited time. If you still have a problem, please make a new complaint.")),
    "malformed": (N_("This survey link is incomplete"),
                  N_("Part of the link may be missing. Please copy the whole link from our message into the address "
                     "bar.")),
    "invalid": (N_("This survey link is not valid"),
                N_("We could not find a survey for this link. Please use the link from our message as it is.")),
}


def link_problem_page(reason: str, new_complaint_url: str, language: str = "en") -> str:
    text = gettext_for(language)
    title, explanation = _LINK_PROBLEMS.get(reason, _LINK_PROBLEMS["invalid"])
    return render("survey/link_problem.html", language, title=text(title), text=text(explanation),
                  new_complaint_url=new_complaint_url, here="")
