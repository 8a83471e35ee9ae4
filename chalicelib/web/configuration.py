"""Run-time configuration for admins (JSON): the SLA and routing document in force, its history, a preview of a
change (differences and effects on open complaints), saving and one-step rollback. Pages: chalicelib/web/console."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from ..wiring import services
from . import schemas as s
from .auth import StaffUser
from .http import route

if TYPE_CHECKING:
    from ..sla.live import ConfigVersion

configuration_routes = Blueprint(__name__)
PATH = "/staff/config/sla"
CONFIG_BODY_BYTES = 512 * 1024  # a document of 60,000 characters, JSON-escaped
ERRORS = {400: s.ErrorResponse, 401: s.ErrorResponse, 403: s.ErrorResponse}


def version_view(version: ConfigVersion, with_text: bool = True) -> s.ConfigVersionView:
    return s.ConfigVersionView(document=version.document, version=version.version, action=version.action,
                               saved_by=version.saved_by, saved_at=version.saved_at, note=version.note,
                               text=version.text if with_text else None)


@route(configuration_routes, PATH, "GET", tag="configuration", role="admin",
       summary="The SLA and routing configuration in force (TOML), with its version",
       responses={200: s.ConfigVersionView, **ERRORS})
def current_configuration(request: Any, user: StaffUser):
    return version_view(services.live_config.version())


@route(configuration_routes, f"{PATH}/history", "GET", tag="configuration", role="admin", query=s.ConfigHistoryQuery,
       summary="Every saved version, newest first: who, when, why (the audit trail of configuration changes)",
       responses={200: s.ConfigHistory, **ERRORS})
def configuration_history(request: Any, user: StaffUser, query: s.ConfigHistoryQuery):
    versions = services.live_config.history(query.limit, query.before)
    more = len(versions) == query.limit and versions[-1].version > 1
    return s.ConfigHistory(versions=[version_view(v, with_text=False) for v in versions],
                           next_before=versions[-1].version if more else None)


@route(configuration_routes, f"{PATH}/versions/{{version}}", "GET", tag="configuration", role="admin",
       summary="One saved version, with its text", responses={200: s.ConfigVersionView, 404: s.ErrorResponse, **ERRORS})
def configuration_version(request: Any, user: StaffUser, version: str):
    if not version.isdigit():
        from ..domain.errors import NotFound

        raise NotFound(f"configuration version {version!r} does not exist")
    return version_view(services.live_config.get(int(version)))


@route(configuration_routes, f"{PATH}/preview", "POST", tag="configuration", role="admin", body=s.ConfigText,
       max_body_bytes=CONFIG_BODY_BYTES, summary="Validate a proposed configuration and say what it would change",
       responses={200: s.ConfigPreview, **ERRORS})
def preview_configuration(request: Any, user: StaffUser, body: s.ConfigText):
    return preview_view(services.live_config.preview(body.text, open_complaints))


@route(configuration_routes, PATH, "POST", tag="configuration", role="admin", body=s.ConfigChange,
       max_body_bytes=CONFIG_BODY_BYTES,
       summary="Save a new version (in force everywhere within 60 s); 409 if the configuration changed meanwhile",
       responses={200: s.ConfigVersionView, 409: s.ErrorResponse, **ERRORS})
def save_configuration(request: Any, user: StaffUser, body: s.ConfigChange):
    return version_view(services.live_config.save(body.text, user.id, body.expected_version, body.note))


@route(configuration_routes, f"{PATH}/rollback", "POST", tag="configuration", role="admin", body=s.ConfigRollback,
       summary="Put the previous version back in force (saved as a new version)",
       responses={200: s.ConfigVersionView, 409: s.ErrorResponse, **ERRORS})
def rollback_configuration(request: Any, user: StaffUser, body: s.ConfigRollback):
    return version_view(services.live_config.rollback(user.id, body.expected_version, body.note))


def preview_view(preview: Any) -> s.ConfigPreview:
    return s.ConfigPreview(version=preview.current.version, changed=preview.changed, diff=preview.diff,
                           effects=preview.effects)


OPEN_SAMPLE = 100  # open complaints counted per team, at most: a bounded read, not the backlog


def open_complaints(teams: Any) -> dict[str, str]:
    """Open complaints per team with a running clock, counted up to OPEN_SAMPLE ("100+" beyond)."""
    from ..adapters.sla_adapters import count_open

    return {team: count_open(team, OPEN_SAMPLE) for team in teams}
