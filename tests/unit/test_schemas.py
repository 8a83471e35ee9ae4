"""Input schemas: normalization of contacts and the quirks of HTML forms."""
import pytest
from pydantic import ValidationError

from chalicelib.web.schemas import ComplaintListQuery, ComplaintSubmission, ResolveBody

BASE = {
    "name": "Ada Lovelace",
    "subject": "Parcel never arrived",
    "description": "My order 4411 was marked delivered on 3 Nov but nothing came.",
    "consent": True,
}


def submit(**fields):
    return ComplaintSubmission.model_validate({**BASE, **fields})


def errors(**fields) -> dict[str, str]:
    with pytest.raises(ValidationError) as invalid:
        submit(**fields)
    return {".".join(map(str, e["loc"])) or "body": e["msg"] for e in invalid.value.errors()}


@pytest.mark.parametrize(
    "given, stored",
    [("Ada@Example.COM", "ada@example.com"), ("  ada.lovelace+complaints@example.co.uk ", "ada.lovelace+complaints@example.co.uk"),
     ("ADA@EXAMPLE.com", "ada@example.com")],
)
def test_email_is_validated_and_normalized(given, stored):
    assert submit(email=given).email == stored


@pytest.mark.parametrize("given", ["not-an-email", "ada@", "@example.com", "ada@example", "ada @example.com"])
def test_bad_email_is_rejected_on_the_email_field(given):
    assert "email" in errors(email=given)


@pytest.mark.parametrize(
    "given, e164",
    [
        ("+44 20 7946 0958", "+442079460958"),  # UK, international format
        ("+44 (0)20 7946 0958", "+442079460958"),
        ("(212) 456-7890", "+12124567890"),  # US national format: the default region is US
        ("+1 650-253-0000", "+16502530000"),
        ("650.253.0000", "+16502530000"),
    ],
)
def test_phone_is_stored_in_e164(given, e164):
    assert submit(phone=given).phone == e164


@pytest.mark.parametrize("given", ["12", "phone me", "+44 20 7946", "020 7946 0958"])
def test_bad_phone_is_rejected_on_the_phone_field(given):
    assert "phone" in errors(phone=given, email="ada@example.com")


def test_blank_form_strings_count_as_missing():
    form = {**BASE, "email": "", "phone": "+44 20 7946 0958", "category": "  ", "language": "", "consent": "on"}
    submission = ComplaintSubmission.model_validate(form)
    assert (submission.email, submission.category, submission.language) == (None, None, None)
    assert submission.phone == "+442079460958"


def test_a_blank_required_field_is_reported_as_missing():
    found = errors(name="   ", email="ada@example.com")
    assert "name" in found and "required" in found["name"].lower()


@pytest.mark.parametrize("checkbox", ["on", "ON", "true", "yes", "1", True])
def test_consent_checkbox_values_mean_true(checkbox):
    assert submit(email="ada@example.com", consent=checkbox).consent is True


@pytest.mark.parametrize("checkbox", ["off", "no", "0", False])
def test_consent_must_be_given(checkbox):
    assert "consent" in errors(email="ada@example.com", consent=checkbox)


def test_consent_is_required():
    body = {**BASE, "email": "ada@example.com"}
    del body["consent"]
    with pytest.raises(ValidationError, match="consent"):
        ComplaintSubmission.model_validate(body)


def test_an_email_or_a_phone_is_required():
    for contact in ({}, {"email": "", "phone": " "}):
        found = errors(**contact)
        assert list(found) == ["body"]
        assert "e-mail address or a phone number" in found["body"]


def test_either_contact_alone_is_enough():
    assert submit(email="ada@example.com").phone is None
    assert submit(phone="+44 20 7946 0958").email is None


def test_unknown_fields_and_categories_are_rejected():
    assert "surprise" in errors(email="ada@example.com", surprise=1)
    assert "category" in errors(email="ada@example.com", category="Weather!")  # the taxonomy decides the rest


def test_text_is_trimmed_and_unicode_kept():
    submission = submit(email="ada@example.com", subject="  包裹丢失  ", description="快递三天没到，客服电话打不通。")
    assert submission.subject == "包裹丢失"
    assert submission.description == "快递三天没到，客服电话打不通。"


def test_list_query_dates_need_a_timezone():
    with pytest.raises(ValidationError, match="created_from needs a timezone"):
        ComplaintListQuery.model_validate({"created_from": "2026-11-01T00:00:00"})
    query = ComplaintListQuery.model_validate({"created_from": "2026-11-01T00:00:00Z", "limit": "2", "status": "new"})
    assert query.created_from.tzinfo is not None and query.limit == 2


@pytest.mark.parametrize("bad", [{"limit": "0"}, {"limit": "101"}, {"status": "open"}, {"channel": "fax"}, {"sort": "x"}])
def test_list_query_rejects_out_of_range_values(bad):
    with pytest.raises(ValidationError):
        ComplaintListQuery.model_validate(bad)


def test_resolve_body_only_accepts_known_codes():
    assert ResolveBody.model_validate({"resolution_code": "fixed", "root_cause": "product"}).root_cause == "product"
    with pytest.raises(ValidationError, match="resolution_code"):
        ResolveBody.model_validate({"resolution_code": "magic", "root_cause": "product"})


def test_the_pdca_kpi_names_in_the_api_are_the_ones_the_kpi_code_knows():
    from chalicelib.quality.pdca import CAUSE_KPIS
    from chalicelib.quality.rollups import METRICS
    from chalicelib.web.schemas import TARGET_KPIS

    assert TARGET_KPIS == (*METRICS, *CAUSE_KPIS)


def test_a_pdca_action_names_a_known_kpi_and_cause_or_is_refused_by_field():
    from chalicelib.web.schemas import NewActionBody

    action = {"title": "Faster handoffs", "owner": "m-1", "plan": "p", "target_kpi": "cause_share",
              "target_value": 0.1, "direction": "lower", "start": "2026-12-01", "due": "2026-12-31"}
    assert NewActionBody.model_validate({**action, "root_cause": "process/handoff"}).root_cause == "process/handoff"
    with pytest.raises(ValidationError) as invalid:
        NewActionBody.model_validate({**action, "target_kpi": "happiness", "root_cause": "luck/lunch"})
    assert {e["loc"][0] for e in invalid.value.errors()} == {"target_kpi", "root_cause"}
    # a well-formed sub-cause passes the schema; the taxonomy in force decides (quality.pdca.new_action)
    assert NewActionBody.model_validate({**action, "root_cause": "process/lunch"}).root_cause == "process/lunch"
