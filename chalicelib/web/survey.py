"""CSAT survey routes: the page behind a survey link, and its form-encoded answer. Handlers stay thin.

Statuses: 200 the page (or the thanks page); 400 the form again with what is missing; 404 a link we did not sign,
or an incomplete (malformed) one, which the page explains; 410 a link that was used or has expired. A link that cannot be used
changes nothing.
"""
from __future__ import annotations

from typing import Any, Optional

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from ..domain.errors import InvalidCommand
from ..observability import logger
from ..quality.survey import REASONS, SurveyAnswer, SurveyTokenError
from ..wiring import services
from . import survey_pages
from .http import FORM, html_response, public_url, route
from .pages import page_language
from .schemas import ErrorResponse, UnsupportedMediaType

survey_routes = Blueprint(__name__)
PATH = "/survey/{token}"
_LINK_STATUS = {"malformed": 404, "invalid": 404, "expired": 410, "used": 410}


class SurveyForm(BaseModel):
    """The survey form as a browser sends it. A missing or invalid answer comes back as the form with messages (400)."""

    # Lenient on purpose: the view checks the rules (quality.survey.SurveyAnswer) and shows the survey form again.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, defer_build=True)

    score: Optional[str] = Field(None, description="Required: 1 (very dissatisfied) to 5 (very satisfied)")
    reason: Optional[str] = Field(None, description=f"One of {', '.join(REASONS)}; required for a score of 1 or 2")
    comment: Optional[str] = Field(None, description="Optional, at most 2000 characters")
    not_solved: Optional[str] = Field(None, description='"on" when the customer says the problem is not solved')


@route(
    survey_routes, PATH, "GET", summary="The satisfaction survey behind a survey link (HTML page)", tag="customers",
    html=True, responses={200: None, 400: ErrorResponse, 404: ErrorResponse, 410: None},
)
def survey_page(request: Any, token: str):
    try:
        claim = services.surveys.check(token, services.clock.now())
    except SurveyTokenError as problem:
        return _link_problem(request, problem)
    return html_response(survey_pages.survey_form(claim.reference, language=page_language(request)))


@route(
    survey_routes, PATH, "POST",
    summary="Answer a satisfaction survey (form-encoded); the link works once",
    tag="customers", body=SurveyForm, content_types=(FORM,), html=True,
    responses={200: None, 400: ErrorResponse, 404: ErrorResponse, 410: None, 415: UnsupportedMediaType},
)
def answer_survey(request: Any, token: str, body: SurveyForm):
    now = services.clock.now()
    values = body.model_dump(exclude_none=True)
    try:
        claim = services.surveys.check(token, now)
    except SurveyTokenError as problem:
        return _link_problem(request, problem)
    try:
        answer = SurveyAnswer.parse(values)
    except InvalidCommand as error:
        errors = {error.field or "score": str(error)}
        return html_response(survey_pages.survey_form(claim.reference, values, errors, page_language(request)), 400)
    try:
        result = services.surveys.answer(token, answer, now)
    except SurveyTokenError as problem:  # answered in another tab meanwhile
        return _link_problem(request, problem)
    logger.set_correlation_id(result.reference)
    logger.info("survey answered", extra={"score": result.score, "reopen": result.reopen, "alerted": result.alerted})
    return html_response(survey_pages.thanks_page(result, public_url(request, "/"), page_language(request)))


def _link_problem(request: Any, problem: SurveyTokenError):
    status = _LINK_STATUS.get(problem.reason, 404)
    logger.info("survey link refused", extra={"reason": problem.reason, "status": status})
    page = survey_pages.link_problem_page(problem.reason, public_url(request, "/"), page_language(request))
    return html_response(page, status)
