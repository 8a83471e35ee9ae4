"""The console's forms for the configuration document, one section at a time (teams, policies, routing, escalation,
categories, root causes, canned responses). Each section reads its values for a form and writes a form back into the
TOML document with tomlkit, keeping comments and layout; the result is then validated like any other version
(chalicelib.sla.live), and the validator's field paths are mapped back to the form's fields.

Pure: TOML text in, TOML text out. A form is a dict of lists (a checkbox group sends several values)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

Form = dict[str, list[str]]
PRIORITIES = ("P1", "P2", "P3", "P4")
CHANNELS = ("web", "email", "sms")
LANGUAGES = ("en", "zh")
TARGETS = ("first_response", "next_update", "resolution")


def N_(text: str) -> str:
    """Marks a text for the catalogs (infra/babel.cfg); the form's template translates it."""
    return text


def one(form: Form, name: str) -> str:
    values = form.get(name) or [""]
    return values[-1].strip()


def words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", text) if w]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str = "text"  # text | textarea | select | choices (checkboxes) | checkbox | number
    hint: str = ""
    options: str = ""  # for select and choices: which list of the configuration (see console_settings.OPTIONS)
    rows: int = 3


@dataclass(frozen=True)
class Section:
    """One kind of item in the document, edited by one form."""

    name: str  # URL segment
    fields: Callable[[Any], tuple[FormField, ...]]  # from the configuration in force
    read: Callable[[Any, str], dict[str, Any] | None]  # (document, key) -> form values, None: no such item
    write: Callable[[Any, str, Form], dict[str, str]]  # sets the item from the form; returns the form's own problems
    field_for: Callable[[str, str], str | None]  # (key, validator path) -> form field, None: not this item's
    creatable: bool = False  # "new" is a key: a new item (named by the form's `name` unless `listed`)
    singleton: bool = False  # one item, no key (routing, escalation)
    listed: bool = False  # a list in the document: the key is the position


def _table(document: Any, *path: str):
    import tomlkit

    node = document
    for i, part in enumerate(path):
        if part not in node:
            node[part] = tomlkit.table(is_super_table=i < len(path) - 1)
        node = node[part]
    return node


def _list(values: list[str]):
    import tomlkit

    array = tomlkit.array()
    array.extend(values)
    return array


def _prefixed(prefix: str, path: str, renames: dict[str, str] | None = None) -> str | None:
    if path == prefix.rstrip("."):
        return "form"
    if not path.startswith(prefix):
        return None
    rest = path.removeprefix(prefix)
    return (renames or {}).get(rest, rest.split(".")[0].split("[")[0])


# -- teams ------------------------------------------------------------------------------------------------------------
def _team_fields(_config: Any) -> tuple[FormField, ...]:
    return (
        FormField("calendar", N_("Calendar"), "select", N_("Business hours the team's SLA clocks count."), "calendars"),
        FormField("lead", N_("Team lead (L1 contact)"), hint=N_("Alerted when a clock reaches its warning. A staff id or role.")),
        FormField("manager", N_("Manager (L2 contact)"), hint=N_("Alerted at a breach. A staff id or role.")),
    )


def _team_values(document: Any, key: str) -> dict[str, Any] | None:
    team = document.get("teams", {}).get(key)
    if team is None:
        return None
    return {"calendar": str(team.get("calendar", "")), "lead": str(team.get("lead", "")),
            "manager": str(team.get("manager", ""))}


def _write_team(document: Any, key: str, form: Form) -> dict[str, str]:
    team = _table(document, "teams", key)
    for name in ("calendar", "lead", "manager"):
        team[name] = one(form, name)
    return {}


# -- SLA policies (a list in matching order; the key is the position, "new" adds one at the top) --------------------
def _policy_fields(_config: Any) -> tuple[FormField, ...]:
    return (
        FormField("name", N_("Name")),
        FormField("priorities", N_("Priorities"), "choices", N_("None ticked: any priority."), "priorities"),
        FormField("categories", N_("Categories"), "choices", N_("None ticked: any category."), "categories"),
        FormField("channels", N_("Channels"), "choices", N_("None ticked: any channel."), "channels"),
        FormField("teams", N_("Teams"), "choices", N_("None ticked: any team."), "teams"),
        FormField("tiers", N_("Customer tiers"), hint=N_("Separated by commas; empty: any customer (with or without a tier).")),
        FormField("calendar", N_("Calendar"), "select", N_("\"team\": the calendar of the team the complaint is routed to."),
                  "policy_calendars"),
        FormField("warning_at", N_("Warning at"), "number", N_("The share of a target after which a clock is in warning, "
                                                        "e.g. 0.75.")),
        FormField("alert_lateness", N_("Alerts may be late by"), hint=N_(
            "e.g. 0, 10m, 2h: spreads alerts that fall on the same instant (the clocks stay exact).")),
        FormField("first_response", N_("First response within"), hint=N_("e.g. 30m, 4h, 1d (business time).")),
        FormField("next_update", N_("Next update within"), hint=N_("After each customer message.")),
        FormField("resolution", N_("Resolution within")),
    )


def _policy_values(document: Any, key: str) -> dict[str, Any] | None:
    policies = document.get("policies", [])
    if key == "new":
        return {"name": "", "priorities": [], "categories": [], "channels": [], "teams": [], "tiers": "",
                "calendar": "team", "warning_at": "0.75", "alert_lateness": "0", **{t: "" for t in TARGETS}}
    if not key.isdigit() or int(key) >= len(policies):
        return None
    policy = policies[int(key)]
    targets = policy.get("targets", {})
    return {"name": str(policy.get("name", "")), "priorities": [str(p) for p in policy.get("priorities", [])],
            "categories": [str(c) for c in policy.get("categories", [])],
            "channels": [str(c) for c in policy.get("channels", [])],
            "teams": [str(t) for t in policy.get("teams", [])],
            "tiers": ", ".join(str(t) for t in policy.get("tiers", [])), "calendar": str(policy.get("calendar", "team")),
            "warning_at": str(policy.get("warning_at", 0.75)),
            "alert_lateness": str(policy.get("alert_lateness", "0")), **{t: str(targets.get(t, "")) for t in TARGETS}}


def _write_policy(document: Any, key: str, form: Form) -> dict[str, str]:
    import tomlkit

    problems: dict[str, str] = {}
    if "policies" not in document:
        document["policies"] = tomlkit.aot()
    policies = document["policies"]
    if key == "new":
        policies.insert(0, tomlkit.table())
        policy = policies[0]
    else:
        policy = policies[int(key)]
    policy["name"] = one(form, "name")
    for name in ("priorities", "categories", "channels", "teams"):
        chosen = [v for v in form.get(name, []) if v]
        if chosen:
            policy[name] = _list(chosen)
        elif name in policy:
            del policy[name]
    tiers = words(one(form, "tiers"))
    if tiers:
        policy["tiers"] = _list(tiers)
    elif "tiers" in policy:
        del policy["tiers"]
    policy["calendar"] = one(form, "calendar") or "team"
    try:
        policy["warning_at"] = float(one(form, "warning_at") or 0.75)
    except ValueError:
        problems["warning_at"] = "enter a number between 0 and 1, e.g. 0.75"
    lateness = one(form, "alert_lateness")
    if lateness and lateness != "0":
        policy["alert_lateness"] = lateness
    elif "alert_lateness" in policy:
        del policy["alert_lateness"]
    targets = tomlkit.inline_table()
    for name in TARGETS:
        targets[name] = one(form, name)
    policy["targets"] = targets
    return problems


_POLICY_PATH = re.compile(r"^policies\[(\d+)\]( \([^)]*\))?(\.(?P<rest>.*))?$")


def _policy_field(key: str, path: str) -> str | None:
    index = "0" if key == "new" else key
    if path == "policies" or path.startswith("policies:"):
        return "form"
    match = _POLICY_PATH.match(path)
    if not match or match.group(1) != index:
        return None
    rest = match.group("rest") or "form"
    return rest.removeprefix("targets.").split(".")[0].split("[")[0]


def move_policy_up(text: str, index: int) -> str:
    import tomlkit

    document = tomlkit.parse(text)
    policies = document["policies"]
    if 0 < index < len(policies):
        moved = policies.pop(index)
        policies.insert(index - 1, moved)
    return tomlkit.dumps(document)


# -- routing (one form) -----------------------------------------------------------------------------------------------
def _routing_fields(config: Any) -> tuple[FormField, ...]:
    fields = [FormField("fallback_team", N_("Team for categories without a rule"), "select", options="teams")]
    for category in config.categories:
        fields.append(FormField(f"team-{category}", category, "select", options="teams_or_fallback"))
        fields.append(FormField(f"skill-{category}", category, hint=N_("Skill (empty: the category's name)")))
    return tuple(fields)


def _routing_values(document: Any, _key: str) -> dict[str, Any] | None:
    routing = document.get("routing", {})
    values = {"fallback_team": str(routing.get("fallback_team", ""))}
    for category in document.get("categories", {}) or {}:
        values[f"team-{category}"] = str(routing.get("categories", {}).get(category, ""))
        values[f"skill-{category}"] = str(routing.get("skills", {}).get(category, ""))
    for category, team in routing.get("categories", {}).items():
        values.setdefault(f"team-{category}", str(team))
    for category, skill in routing.get("skills", {}).items():
        values.setdefault(f"skill-{category}", str(skill))
    return values


def _write_routing(document: Any, _key: str, form: Form) -> dict[str, str]:
    import tomlkit

    routing = _table(document, "routing")
    routing["fallback_team"] = one(form, "fallback_team")
    teams, skills = tomlkit.table(), tomlkit.table()
    for name in sorted(form):
        if name.startswith("team-") and one(form, name):
            teams[name.removeprefix("team-")] = one(form, name)
        if name.startswith("skill-") and one(form, name):
            skills[name.removeprefix("skill-")] = one(form, name)
    routing["categories"] = teams
    routing["skills"] = skills
    return {}


def _routing_field(_key: str, path: str) -> str | None:
    if path == "routing.fallback_team":
        return "fallback_team"
    for section, prefix in (("routing.categories.", "team-"), ("routing.skills.", "skill-")):
        if path.startswith(section):
            return prefix + path.removeprefix(section)
    return "form" if path.startswith("routing") else None


# -- escalation and alert storms (one form) ---------------------------------------------------------------------------
def _escalation_fields(_config: Any) -> tuple[FormField, ...]:
    return (
        FormField("head_of_service", N_("Head of service (L3 contact)"), hint=N_("A staff id or role.")),
        FormField("l3_after_breach", N_("Tell L3 after a breach lasts"), hint=N_("Clock time, e.g. 2h.")),
        FormField("max_per_team", N_("Alerts per team per window"), "number",
                  N_("Past this, alerts go into one digest (alert-storm protection).")),
        FormField("window", N_("Window"), hint=N_("e.g. 15m.")),
    )


def _escalation_values(document: Any, _key: str) -> dict[str, Any] | None:
    escalation, alerts = document.get("escalation", {}), document.get("alerts", {})
    return {"head_of_service": str(escalation.get("head_of_service", "")),
            "l3_after_breach": str(escalation.get("l3_after_breach", "2h")),
            "max_per_team": str(alerts.get("max_per_team", 10)), "window": str(alerts.get("window", "15m"))}


def _write_escalation(document: Any, _key: str, form: Form) -> dict[str, str]:
    escalation, alerts = _table(document, "escalation"), _table(document, "alerts")
    escalation["head_of_service"] = one(form, "head_of_service")
    escalation["l3_after_breach"] = one(form, "l3_after_breach")
    alerts["window"] = one(form, "window")
    count = one(form, "max_per_team")
    if not count.isdigit():
        return {"max_per_team": "enter a whole number, 1 or more"}
    alerts["max_per_team"] = int(count)
    return {}


def _escalation_field(_key: str, path: str) -> str | None:
    if path.startswith(("escalation.", "alerts.")):
        return path.split(".")[1]
    return None


# -- categories -------------------------------------------------------------------------------------------------------
def _category_fields(_config: Any) -> tuple[FormField, ...]:
    return (
        FormField("label", N_("Name in English")),
        FormField("label_zh", N_("Name in Chinese")),
        FormField("description", N_("Description"), "textarea", N_("What belongs here; staff see it when they classify.")),
        FormField("on_form", N_("Offered to customers on the complaint form"), "checkbox"),
    )


def _category_values(document: Any, key: str) -> dict[str, Any] | None:
    category = document.get("categories", {}).get(key)
    if category is None:
        return None
    return {"label": str(category.get("label", "")), "label_zh": str(category.get("label_zh", "")),
            "description": str(category.get("description", "")),
            "on_form": ["on"] if category.get("on_form", True) else []}


def _write_category(document: Any, key: str, form: Form) -> dict[str, str]:
    category = _table(document, "categories", key)
    for name in ("label", "label_zh", "description"):
        category[name] = one(form, name)
    category["on_form"] = bool(one(form, "on_form"))
    return {}


# -- root causes (the fishbone's fixed bones; their sub-causes are edited) -------------------------------------------
def _root_cause_fields(_config: Any) -> tuple[FormField, ...]:
    return (
        FormField("description", N_("Description"), "textarea"),
        FormField("sub_causes", N_("Sub-causes"), "textarea", N_("One a line: lowercase letters, digits and _. A removed "
                                                          "sub-cause stays on the complaints that carry it."), rows=6),
    )


def _root_cause_values(document: Any, key: str) -> dict[str, Any] | None:
    cause = document.get("root_causes", {}).get(key)
    if cause is None:
        return None
    return {"description": str(cause.get("description", "")),
            "sub_causes": "\n".join(str(s) for s in cause.get("sub_causes", []))}


def _write_root_cause(document: Any, key: str, form: Form) -> dict[str, str]:
    cause = _table(document, "root_causes", key)
    cause["description"] = one(form, "description")
    cause["sub_causes"] = _list(words(one(form, "sub_causes")))
    return {}


# -- canned responses (a list; the key is the position, "new" adds one at the end) ------------------------------------
def _canned_fields(_config: Any) -> tuple[FormField, ...]:
    return (
        FormField("title", N_("Title")),
        FormField("language", N_("Language"), "select", options="languages"),
        FormField("teams", N_("Teams"), "choices", N_("None ticked: every team."), "teams"),
        FormField("text", N_("Text"), "textarea", N_("Placeholders: {customer_name}, {reference}, {agent_name}, {team}, {status_link}."),
                  rows=10),
    )


def _canned_values(document: Any, key: str) -> dict[str, Any] | None:
    responses = document.get("canned_responses", [])
    if key == "new":
        return {"title": "", "language": "en", "teams": [], "text": ""}
    if not key.isdigit() or int(key) >= len(responses):
        return None
    canned = responses[int(key)]
    return {"title": str(canned.get("title", "")), "language": str(canned.get("language", "en")),
            "teams": [str(t) for t in canned.get("teams", [])], "text": str(canned.get("text", ""))}


def _write_canned(document: Any, key: str, form: Form) -> dict[str, str]:
    import tomlkit

    if "canned_responses" not in document:
        document["canned_responses"] = tomlkit.aot()
    responses = document["canned_responses"]
    if key == "new":
        responses.append(tomlkit.table())
    canned = responses[-1 if key == "new" else int(key)]
    canned["title"] = one(form, "title")
    canned["language"] = one(form, "language")
    canned["teams"] = _list([t for t in form.get("teams", []) if t])
    text = (form.get("text") or [""])[-1].replace("\r\n", "\n").strip()
    canned["text"] = tomlkit.string(text, multiline="\n" in text)
    return {}


def _canned_field(key: str, path: str) -> str | None:
    match = re.match(r"^canned_responses\[(\d+)\]( \([^)]*\))?\.?(?P<rest>.*)$", path)
    if not match or match.group(1) != key:
        return None
    return (match.group("rest") or "form").split(".")[0]


def delete_item(text: str, section: str, key: str) -> str:
    """The document without list item `key` of `section` (policies, canned_responses)."""
    import tomlkit

    document = tomlkit.parse(text)
    items = document.get(section)
    if items is not None and key.isdigit() and int(key) < len(items):
        items.pop(int(key))
    return tomlkit.dumps(document)


SECTIONS: dict[str, Section] = {
    "teams": Section("teams", _team_fields, _team_values, _write_team,
                     lambda key, path: _prefixed(f"teams.{key}.", path), creatable=True),
    "policies": Section("policies", _policy_fields, _policy_values, _write_policy, _policy_field, creatable=True,
                        listed=True),
    "routing": Section("routing", _routing_fields, _routing_values, _write_routing, _routing_field, singleton=True),
    "escalation": Section("escalation", _escalation_fields, _escalation_values, _write_escalation, _escalation_field,
                          singleton=True),
    "categories": Section("categories", _category_fields, _category_values, _write_category,
                          lambda key, path: _prefixed(f"categories.{key}.", path), creatable=True),
    "root-causes": Section("root-causes", _root_cause_fields, _root_cause_values, _write_root_cause,
                           lambda key, path: _prefixed(f"root_causes.{key}.", path)),
    "canned-responses": Section("canned-responses", _canned_fields, _canned_values, _write_canned,
                                _canned_field, creatable=True, listed=True),
}
