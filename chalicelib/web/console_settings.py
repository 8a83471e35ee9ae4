"""The console's settings pages (admin): teams, SLA policies, routing, escalation, categories, root causes and canned
responses, each edited by its own form. A form changes one section of the configuration document; the change is
previewed (differences, effect on open complaints, field-level errors) and saved as a new version like any other
(chalicelib.sla.live), so the history, the audit and the one-step rollback cover it.

The pages register on the console's blueprint (app.py imports this module)."""
from __future__ import annotations

from typing import Any

from chalice import Response

from ..domain.errors import ConcurrentModification, InvalidCommand, NotFound
from ..domain.taxonomy import SLUG
from ..wiring import services
from .console import N_, Viewer, add_route, form_lists, language_of, page, query, redirect, show

TITLES = {"teams": N_("Teams"), "policies": N_("SLA policies"), "routing": N_("Routing"),
          "escalation": N_("Escalation and alert storms"), "categories": N_("Categories"),
          "root-causes": N_("Root causes"), "canned-responses": N_("Canned responses")}
LIST_NAMES = {"policies": "policies", "canned-responses": "canned_responses"}  # sections kept as lists


def _options(config: Any, language: str) -> dict[str, list[tuple[str, str]]]:
    """The choices a select or a group of checkboxes offers, from the configuration in force."""
    calendars = [(name, name) for name in config.calendars] + [("24x7", "24x7")]
    teams = [(name, name) for name in config.teams]
    return {
        "calendars": calendars,
        "policy_calendars": [("team", N_("team (the complaint's team)"))] + calendars,
        "teams": teams,
        "teams_or_fallback": [("", N_("(the fallback team)"))] + teams,
        "categories": [(name, c.label_in(language)) for name, c in config.categories.items()],
        "priorities": [(p, p) for p in ("P1", "P2", "P3", "P4")],
        "channels": [("web", N_("Web form")), ("email", N_("E-mail")), ("sms", N_("SMS"))],
        "languages": [("en", "English"), ("zh", "中文")],
    }


def _section(name: str):
    from ..sla.sections import SECTIONS

    return SECTIONS[name]


@page("admin")
def settings_index(viewer: Viewer) -> Response:
    config = services.live_config.current()
    return show("settings.html", viewer, titles=TITLES, config=config)


def _named(view: Any, name: str) -> Any:
    view.__name__ = name.replace("-", "_")
    return view


def _list_page(name: str):
    def view(viewer: Viewer) -> Response:
        return _show_list(viewer, name)

    return page("admin")(_named(view, f"list_{name}"))


def _show_list(viewer: Viewer, name: str, status: int = 200, errors: dict[str, str] | None = None) -> Response:
    version = services.live_config.version()
    config = services.live_config.current()
    members = services.staff.members() if name == "teams" else []
    return show(f"settings/{name}.html", viewer, status, section=name, title=TITLES[name], config=config,
                expected=version.version, errors=errors or {}, saved=query().get("saved"), members=members)


def _item_page(name: str):
    def view(viewer: Viewer, key: str = "") -> Response:
        import tomlkit

        section = _section(name)
        version = services.live_config.version()
        values = section.read(tomlkit.parse(version.text), key)
        if values is None and not (section.creatable and key == "new"):
            raise NotFound(f"no {name} {key!r}")
        return _show_item(viewer, name, key, values or {}, {}, None, version.version, query().get("saved"))

    return page("admin")(_named(view, f"{name}_item"))


def _change_page(name: str):
    def view(viewer: Viewer, form: dict[str, str], key: str = "") -> Response:
        return _change(viewer, name, key, form_lists())

    return page("admin", "POST")(_named(view, f"change_{name}"))


def _change(viewer: Viewer, name: str, key: str, form: dict[str, list[str]]) -> Response:
    import tomlkit

    from .configuration import open_complaints

    section, live = _section(name), services.live_config
    current = live.version()
    document = tomlkit.parse(current.text)
    if section.read(document, key) is None and not (section.creatable and key == "new"):
        raise NotFound(f"no {name} {key!r}")
    expected = int(_one(form, "expected_version") or 0) if _one(form, "expected_version").isdigit() else 0
    errors: dict[str, str] = {}
    target = key
    if key == "new" and not section.listed:  # a new team or category is named by the form
        target = _one(form, "name")
        if not SLUG.match(target):
            errors["name"] = N_("enter a name of lowercase letters, digits and _ (at most 40), e.g. fraud")
        elif section.read(document, target) is not None:
            errors["name"] = N_("that name is taken; choose another")
    preview, status = None, 400
    if not errors:
        errors = section.write(document, target, form)
        if key == "new" and section.listed:
            target = "0" if name == "policies" else str(len(document[LIST_NAMES[name]]) - 1)
    if not errors:
        text = tomlkit.dumps(document)
        try:
            if _one(form, "action") == "save":
                note = _one(form, "note") or f"{name} {target}".strip()
                saved = live.save(text, viewer.id, expected, note)
                where = f"/console/admin/{name}" + ("" if section.singleton else f"/{target}")
                return redirect(f"{where}?saved={saved.version}")
            preview, status = live.preview(text, open_complaints), 200
        except InvalidCommand as refused:
            errors = _fields(section, target, refused)
        except ConcurrentModification as conflict:
            errors, status = {"expected_version": str(conflict)}, 409
    values = {field: values if len(values) > 1 or field in _multi(section) else values[-1]
              for field, values in form.items()}
    return _show_item(viewer, name, key, values, errors, preview, expected, None, status)


def _fields(section: Any, key: str, refused: InvalidCommand) -> dict[str, str]:
    """The validator's complaints about this item, by form field; the others under "form"."""
    errors: dict[str, str] = {}
    for path, message in (refused.fields or {"form": str(refused)}).items():
        errors.setdefault(section.field_for(key, path) or "form", message if section.field_for(key, path)
                          else f"{path}: {message}")
    return errors


def _multi(section: Any) -> set[str]:
    config = services.live_config.current()
    return {f.name for f in section.fields(config) if f.kind in ("choices", "checkbox")}


def _show_item(viewer: Viewer, name: str, key: str, values: dict[str, Any], errors: dict[str, str], preview: Any,
               expected: int, saved: str | None, status: int = 200) -> Response:
    section = _section(name)
    config = services.live_config.current()
    language = language_of(viewer)
    template = "settings/routing_form.html" if name == "routing" else "settings/form.html"
    return show(template, viewer, status, section=section, title=TITLES[name], key=key,
                fields=section.fields(config), options=_options(config, language), values=values, errors=errors,
                preview=preview, expected=expected, saved=saved, config=config,
                action=f"/console/admin/{name}" + ("" if section.singleton else f"/{key}"))


@page("admin", "POST")
def move_policy_up(viewer: Viewer, form: dict[str, str], key: str) -> Response:
    from ..sla.sections import move_policy_up as moved

    return _save_whole(viewer, "policies", form, lambda text: moved(text, int(key)) if key.isdigit() else text,
                       f"policy {key} moved up")


def _delete_page(name: str):
    def view(viewer: Viewer, form: dict[str, str], key: str) -> Response:
        from ..sla.sections import delete_item

        return _save_whole(viewer, name, form, lambda text: delete_item(text, LIST_NAMES[name], key),
                           f"{name} {key} deleted")

    return page("admin", "POST")(_named(view, f"delete_{name}"))


def _save_whole(viewer: Viewer, name: str, form: dict[str, str], change: Any, note: str) -> Response:
    """A one-button change from a list page (move up, delete): saved at once, refused with the reason."""
    live = services.live_config
    expected = int(form["expected_version"]) if form.get("expected_version", "").isdigit() else 0
    try:
        saved = live.save(change(live.version().text), viewer.id, expected, note)
    except InvalidCommand as refused:
        return _show_list(viewer, name, 400, {k: v for k, v in (refused.fields or {"form": str(refused)}).items()})
    except ConcurrentModification as conflict:
        return _show_list(viewer, name, 409, {"expected_version": str(conflict)})
    return redirect(f"/console/admin/{name}?saved={saved.version}")


def _one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[-1].strip()


# -- the routes -------------------------------------------------------------------------------------------------------
add_route("/console/admin/settings", "GET", settings_index)
for _name in ("teams", "policies", "categories", "root-causes", "canned-responses"):
    add_route(f"/console/admin/{_name}", "GET", _list_page(_name))
    add_route(f"/console/admin/{_name}/{{key}}", "GET", _item_page(_name))
    add_route(f"/console/admin/{_name}/{{key}}", "POST", _change_page(_name))
for _name in ("routing", "escalation"):
    add_route(f"/console/admin/{_name}", "GET", _item_page(_name))
    add_route(f"/console/admin/{_name}", "POST", _change_page(_name))
add_route("/console/admin/policies/{key}/up", "POST", move_policy_up)
for _name in LIST_NAMES:
    add_route(f"/console/admin/{_name}/{{key}}/delete", "POST", _delete_page(_name))
