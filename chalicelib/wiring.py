"""Builds the adapters and use cases once per container, lazily; tests swap in fakes with override()."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from .config import settings, token_secret


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


def _repository():
    from .adapters.dynamo_repository import DynamoComplaintRepository

    return DynamoComplaintRepository()


def _intake_queue():
    from .adapters.sqs_queue import SqsIntakeQueue

    return SqsIntakeQueue(settings().intake_queue_url)


def _transport():
    from .adapters.notifiers import AwsTransport, OutboxTransport

    config = settings()
    return AwsTransport(config.sender_email) if config.notifier == "aws" else OutboxTransport(config.outbox_dir)


def _notifier():
    from .adapters.notifiers import ChannelNotifier

    return ChannelNotifier(
        services.transport, idempotency_table=settings().idempotency_table, sms_consents=services.sms_consents
    )


def _sms_consents():
    from .adapters.sms_consents import DynamoSmsConsents

    return DynamoSmsConsents()


def _sms_intake():
    from .domain.sms import SmsIntake

    return SmsIntake(services.intake_queue, services.sms_consents)


def _pipeline():
    from .domain.service import IntakePipeline
    from .domain.stages import BasicScreener, CategoryTeamRouter, FixedTargetsSla, RequestedCategoryClassifier

    return IntakePipeline(
        repository=services.repository,
        notifier=services.notifier,
        screener=BasicScreener(),
        classifier=RequestedCategoryClassifier(),
        sla=FixedTargetsSla(),
        router=CategoryTeamRouter(),
        clock=services.clock,
        token_secret=services.token_secret,
    )


def _complaint_service():
    from .domain.service import ComplaintService

    return ComplaintService(services.repository, services.notifier, services.clock)


class Services:
    _factories: dict[str, Callable[[], Any]] = {
        "repository": _repository,
        "intake_queue": _intake_queue,
        "transport": _transport,
        "notifier": _notifier,
        "sms_consents": _sms_consents,
        "sms_intake": _sms_intake,
        "pipeline": _pipeline,
        "complaint_service": _complaint_service,
        "clock": SystemClock,
        "token_secret": token_secret,
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
