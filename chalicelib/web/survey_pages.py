"""Server-rendered CSAT survey pages: the form, the thanks page, and the pages of a link that cannot be used.
Accessible and JavaScript-free, like pages.py (whose page shell they share). Every value is escaped."""
from __future__ import annotations

from html import escape
from typing import Any, Mapping

from ..domain.surveys import AnswerResult
from ..quality.survey import MAX_COMMENT, REASONS
from .pages import _page as page  # the shared shell: head, style, <main>

SCORES = ((5, "Very satisfied"), (4, "Satisfied"), (3, "Neither satisfied nor dissatisfied"),
          (2, "Dissatisfied"), (1, "Very dissatisfied"))
REASON_LABELS = {
    "slow": "It took too long",
    "unresolved": "My problem was not solved",
    "rude": "Staff were unhelpful or impolite",
    "unclear": "Your answers were unclear",
    "other": "Something else",
}
_FIELDSET = ' style="border:0;padding:0;margin:1rem 0 0"'
_RADIO = ' style="width:auto;margin-right:.5rem;transform:scale(1.3)"'  # pages.py's style sizes only checkboxes


def survey_form(reference: str, values: Mapping[str, Any] | None = None,
                errors: Mapping[str, str] | None = None) -> str:
    """The survey; posts back to its own URL (the link with the token)."""
    values, errors = values or {}, errors or {}
    parts = [f"<h1>How did we do?</h1><p>About your complaint <span class=\"ref\">{escape(reference)}</span>. "
             "It takes a minute; only the rating is required.</p>"]
    if errors:
        items = "".join(f'<li><a href="#{_anchor(f)}">{escape(m)}</a></li>' for f, m in errors.items())
        parts.append('<div class="summary" role="alert" aria-labelledby="error-title">'
                     f'<h2 id="error-title">There is a problem</h2><ul>{items}</ul></div>')
    parts.append('<form method="post" accept-charset="utf-8" novalidate>')
    parts.append(_score_fieldset(str(values.get("score") or ""), errors.get("score")))
    parts.append(_reason_select(str(values.get("reason") or ""), errors.get("reason")))
    parts.append(_comment_box(str(values.get("comment") or ""), errors.get("comment")))
    checked = " checked" if str(values.get("not_solved") or "").lower() in ("on", "true", "1", "yes") else ""
    parts.append(
        f"<fieldset{_FIELDSET}><legend class=\"hint\">Is your problem solved?</legend>"
        f'<label class="check" for="not_solved"><input type="checkbox" id="not_solved" name="not_solved" '
        f'value="on"{checked}>My problem is not solved: please reopen my complaint.</label></fieldset>'
        '<button type="submit">Send my answer</button></form>'
    )
    return page(f"Survey about complaint {reference}", "".join(parts))


def _score_fieldset(selected: str, error: str | None) -> str:
    described = ' aria-describedby="score-error"' if error else ""
    radios = "".join(
        f'<label class="check" for="score-{score}"><input type="radio" id="score-{score}" name="score"{_RADIO} '
        f'value="{score}"{" checked" if selected == str(score) else ""}{described}>{score}: {escape(label)}</label>'
        for score, label in SCORES
    )
    message = f'<div class="err" id="score-error">{escape(error)}</div>' if error else ""
    return (f"<fieldset{_FIELDSET}><legend><strong>How satisfied are you with how we handled your complaint?"
            f"</strong></legend>{message}{radios}</fieldset>")


def _reason_select(selected: str, error: str | None) -> str:
    options = ['<option value="">Choose a reason</option>'] + [
        f'<option value="{code}"{" selected" if selected == code else ""}>{escape(REASON_LABELS.get(code, code))}</option>'
        for code in REASONS
    ]
    described = "reason-hint reason-error" if error else "reason-hint"
    return (
        '<label for="reason">What went wrong?</label>'
        '<div class="hint" id="reason-hint">Required if you chose 1 or 2.</div>'
        + (f'<div class="err" id="reason-error">{escape(error)}</div>' if error else "")
        + f'<select id="reason" name="reason" aria-describedby="{described}"'
        + (' aria-invalid="true"' if error else "") + f'>{"".join(options)}</select>'
    )


def _comment_box(value: str, error: str | None) -> str:
    described = "comment-hint comment-error" if error else "comment-hint"
    return (
        '<label for="comment">Anything else you want to tell us? (optional)</label>'
        f'<div class="hint" id="comment-hint">At most {MAX_COMMENT} characters.</div>'
        + (f'<div class="err" id="comment-error">{escape(error)}</div>' if error else "")
        + f'<textarea id="comment" name="comment" rows="5" maxlength="{MAX_COMMENT}" aria-describedby="{described}"'
        + (' aria-invalid="true"' if error else "") + f">{escape(value)}</textarea>"
    )


def _anchor(field: str) -> str:
    return "score-5" if field == "score" else escape(field)


def thanks_page(result: AnswerResult, new_complaint_url: str) -> str:
    ref = escape(result.reference)
    parts = ["<h1>Thank you for your answer</h1>", "<p>It helps us do better.</p>"]
    if result.reopen == "reopened":
        parts.append(f'<p>We have reopened your complaint <span class="ref">{ref}</span>. '
                     "An agent will get back to you.</p>")
    elif result.reopen == "open":
        parts.append(f'<p>Your complaint <span class="ref">{ref}</span> is open again already: we are working on it.</p>')
    elif result.reopen == "closed":
        parts.append(f'<p>Your complaint <span class="ref">{ref}</span> is closed, so we cannot reopen it. '
                     f'If your problem is not solved, please <a href="{escape(new_complaint_url)}">make a new '
                     f"complaint</a> and mention the reference {ref}.</p>")
    if result.alerted:
        parts.append("<p>We are sorry we let you down. A team lead will look at your answer.</p>")
    return page("Thank you", "".join(parts))


# What the customer reads for a link that cannot be used, by SurveyTokenError.reason.
_LINK_PROBLEMS = {
    "used": ("This survey has already been answered",
             "Each survey link works once, and we already have an answer for this one. Thank you."),
    "expired": ("This survey link has expired",
                "Survey links work for a limited time. If you still have a problem, please make a new complaint."),
    "malformed": ("This survey link is incomplete",
                  "Part of the link may be missing. Please copy the whole link from our message into the address bar."),
    "invalid": ("This survey link is not valid",
                "We could not find a survey for this link. Please use the link from our message as it is."),
}


def link_problem_page(reason: str, new_complaint_url: str) -> str:
    title, text = _LINK_PROBLEMS.get(reason, _LINK_PROBLEMS["invalid"])
    body = (f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
            f'<p><a href="{escape(new_complaint_url)}">Make a complaint</a></p>')
    return page(title, body)
