"""Builds the adapters and use cases once per container, lazily; tests swap in fakes with override()."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .config import settings, token_secret


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def _repository():
    from .adapters.dynamo_repository import DynamoComplaintRepository

    repository = DynamoComplaintRepository()
    if settings().rollups_inline:  # no DynamoDB stream (the local stack): count each stored version at once
        from .adapters.change_feed import ChangeFeedRepository

        return ChangeFeedRepository(repository, lambda complaint: services.rollups.count(complaint))
    return repository


def _intake_queue():
    from .adapters.sqs_queue import SqsIntakeQueue

    return SqsIntakeQueue(settings().intake_queue_url)


def _transport():
    from .adapters.notifiers import AwsTransport, OutboxTransport

    config = settings()
    if config.notifier == "aws":
        return AwsTransport(config.sender_email, configuration_set=config.ses_configuration_set or None)
    return OutboxTransport(config.outbox_dir, config.sender_email)


def _notifier():
    from .adapters.notifiers import ChannelNotifier

    return ChannelNotifier(
        services.transport, idempotency_table=settings().idempotency_table, sms_consents=services.sms_consents,
        mail_domain=settings().mail_domain, links=services.links,
    )


def _uploads():
    """The customers' photos and documents, in the mail bucket's uploads/ prefix (None without a bucket)."""
    from .adapters.web_uploads import WebUploads

    return WebUploads(settings().mail_bucket) if settings().mail_bucket else None


def _customer_access():
    from .adapters.staff_store import DynamoSessionStore
    from .domain.customer_access import CustomerAccess

    return CustomerAccess(DynamoSessionStore(), services.clock)


def _sign_in_limiter():
    from .adapters.ack_limits import DynamoAckLimiter
    from .domain.customer_access import LINKS_PER_DAY

    return DynamoAckLimiter(LINKS_PER_DAY)


def _links():
    from .domain.customer_messages import CustomerLinks

    return CustomerLinks(settings().public_base_url, services.token_secret)


def _alerts():
    from .adapters.sns_alerts import SnsAlertPublisher
    from .adapters.stats_store import RecordedAlerts

    topic = settings().alerts_topic_arn
    if not topic:
        return None
    return RecordedAlerts(SnsAlertPublisher(topic, idempotency_table=settings().idempotency_table), services.stats,
                          services.clock)


def _reports():
    from .quality.reporting import Reports

    config = services.live_config.current()
    return Reports(services.stats, list(config.categories), sorted(config.teams))


def _actions():
    from .adapters.actions_store import DynamoActionStore

    return DynamoActionStore()


def _stats():
    from .adapters.stats_store import DynamoStatsStore

    return DynamoStatsStore()


def _rollups():
    from .quality.ingest import RollupIngest

    from .adapters.dynamo_repository import DynamoComplaintRepository

    return RollupIngest(DynamoComplaintRepository(), services.stats)


def _ack_limiter():
    from .adapters.ack_limits import DynamoAckLimiter

    return DynamoAckLimiter(settings().ack_cap_per_day)


def _email_intake():
    from .adapters.mail_gateway import DynamoMailLog, S3MailStore
    from .domain.deliveries import DeliveryRecorder
    from .domain.email_intake import EmailIntake

    return EmailIntake(
        services.intake_queue, services.repository, DeliveryRecorder(services.repository, services.clock, services.alerts),
        S3MailStore(settings().mail_bucket), DynamoMailLog(), attachment_limit=settings().attachment_limit_bytes,
    )


def _sms_consents():
    from .adapters.sms_consents import DynamoSmsConsents

    return DynamoSmsConsents()


def _sms_intake():
    from .domain.sms import SmsIntake

    return SmsIntake(services.intake_queue, services.sms_consents)


def _serving_model():
    """The category model's directory now: the registry's active version when there is a registry."""
    config = settings()
    if not config.model_bucket:
        return config.model_dir
    from .adapters.model_registry import S3ModelRegistry, ServingModel

    return ServingModel(S3ModelRegistry(config.model_bucket), config.model_dir,
                        refresh_seconds=config.model_refresh_seconds)


def _triage():
    from .triage.stage import Triage, TriageSettings

    config = settings()
    return Triage(_serving_model(), TriageSettings(
        confidence_threshold=config.triage_confidence_threshold,
        duplicate_window=timedelta(days=config.duplicate_window_days),
        similarity_threshold=config.duplicate_similarity,
    ), categories=lambda: services.live_config.current().taxonomy().categories)


def _pipeline():
    from .domain.service import IntakePipeline

    return IntakePipeline(
        repository=services.repository,
        notifier=services.notifier,
        triage=_triage(),
        sla=services.sla_keeper,
        router=services.router,
        clock=services.clock,
        token_secret=services.token_secret,
        ack_limiter=services.ack_limiter,
        alerts=services.alerts,
    )


def _complaint_service():
    from .domain.service import ComplaintService

    return ComplaintService(services.repository, services.notifier, services.clock, services.alerts,
                            sla=services.sla_keeper, router=services.router,
                            taxonomy=lambda: services.live_config.current().taxonomy())


def _live_config():
    """The SLA and routing configuration in force (DynamoDB, versioned); the first start imports the file."""
    from pathlib import Path

    from .adapters.config_store import DynamoConfigVersions
    from .sla.config import DEFAULT_PATH
    from .sla.live import LiveSlaConfig

    path = Path(settings().sla_policy_file or DEFAULT_PATH)
    return LiveSlaConfig(DynamoConfigVersions(), services.clock, seed=lambda: path.read_text(encoding="utf-8"))


def _sla_keeper():
    from .sla.keeper import SlaKeeper

    config = settings()
    timers = None
    if config.scheduler_group and config.timer_queue_arn:
        from .adapters.sla_adapters import SchedulerTimers

        timers = SchedulerTimers(config.scheduler_group, config.timer_queue_arn, config.scheduler_role_arn)
    return SlaKeeper(services.live_config.current, timers, survey_delay=timedelta(minutes=config.survey_delay_minutes))


def _router():
    from .adapters.sla_adapters import DynamoWorkload
    from .sla.keeper import SkillRouter

    return SkillRouter(services.live_config.current, DynamoWorkload(), services.staff)


def _sla_monitor():
    from .adapters.sla_adapters import DynamoAlertWindows
    from .sla.keeper import SlaMonitor

    return SlaMonitor(services.repository, services.sla_keeper, services.alerts, DynamoAlertWindows(),
                      base_url=settings().public_base_url)


def _surveys():
    from datetime import timedelta

    from .domain.surveys import SurveyService

    config = settings()
    return SurveyService(
        services.repository, services.notifier, services.clock, services.complaint_service, services.token_secret,
        base_url=config.public_base_url, delay=timedelta(minutes=config.survey_delay_minutes), alerts=services.alerts,
    )


def _staff():
    from .adapters.staff_store import DynamoStaffStore
    from .domain.staff import StaffDirectory

    return StaffDirectory(DynamoStaffStore(), services.clock)


def _sessions():
    from .adapters.staff_store import DynamoSessionStore
    from .web.sessions import Sessions

    return Sessions(DynamoSessionStore(), services.clock)


def _identity():
    from .adapters.cognito import CognitoIdentity

    config = settings()
    return CognitoIdentity(config.cognito_user_pool_id, config.cognito_client_id)


class Services:
    _factories: dict[str, Callable[[], Any]] = {
        "repository": _repository,
        "intake_queue": _intake_queue,
        "transport": _transport,
        "notifier": _notifier,
        "links": _links,
        "uploads": _uploads,
        "customer_access": _customer_access,
        "sign_in_limiter": _sign_in_limiter,
        "sms_consents": _sms_consents,
        "sms_intake": _sms_intake,
        "email_intake": _email_intake,
        "live_config": _live_config,
        "sla_keeper": _sla_keeper,
        "router": _router,
        "sla_monitor": _sla_monitor,
        "alerts": _alerts,
        "stats": _stats,
        "reports": _reports,
        "actions": _actions,
        "rollups": _rollups,
        "ack_limiter": _ack_limiter,
        "pipeline": _pipeline,
        "complaint_service": _complaint_service,
        "clock": SystemClock,
        "token_secret": token_secret,
        "surveys": _surveys,
        "staff": _staff,
        "sessions": _sessions,
        "identity": _identity,
    }

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        factory = self._factories.get(name)
        if factory is None:
            raise AttributeError(name)
        if name not in self._built:
            self._built[name] = factory()
        return self._built[name]

    def override(self, **instances: Any) -> None:
        self._built.update(instances)

    def reset(self) -> None:
        self._built.clear()


services = Services()
