"""Runtime settings, read once from the environment (set by .chalice/config.json, infra or the local stack)."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    stage: str
    intake_queue_url: str
    dead_letter_queues: dict[str, str]  # name -> URL of each dead-letter queue (DEAD_LETTER_QUEUES="name=url,...")
    idempotency_table: str
    auth_mode: str  # "cognito" in AWS, "local" with a development signing key
    local_jwt_secret: str | None
    token_secret_name: str | None
    notifier: str  # "aws" (SES e-mail, SNS SMS) or "outbox" (a local JSON-lines file)
    outbox_dir: str
    sender_email: str
    public_base_url: str
    mail_bucket: str = ""
    model_dir: str = ""  # the build's category model: the layer's /opt/model/category/vN in AWS
    model_bucket: str = ""  # the model registry (retrained versions); empty: the build's model only
    model_refresh_seconds: float = 300.0
    triage_confidence_threshold: float = 0.5  # below it the complaint goes to the needs_triage queue
    duplicate_window_days: float = 14.0  # how far back a complaint may be a duplicate of the same customer's
    duplicate_similarity: float = 0.7  # estimated Jaccard of shingles that makes a near-duplicate
    rollups_inline: bool = False  # the local stack has no DynamoDB stream: the repository feeds the rollups
    sla_policy_file: str = ""  # the SLA and routing policy (TOML); empty: chalicelib/sla/default_policy.toml
    scheduler_group: str = ""
    timer_queue_arn: str = ""
    scheduler_role_arn: str = ""
    alerts_topic_arn: str = ""
    ses_configuration_set: str = ""
    ack_cap_per_day: int = 5
    attachment_limit_bytes: int = 5 * 1024 * 1024
    max_body_bytes: int = 32_768
    survey_delay_minutes: int = 60  # CSAT survey link sent this long after a resolution (0: at once)
    retention_days: int = 730  # a closed complaint, its history and message ids are deleted this long after (TTL)
    cognito_user_pool_id: str = ""  # staff sign-in (the console)
    cognito_client_id: str = ""

    @property
    def mail_domain(self) -> str:
        """The domain of our Message-IDs: the sender address's."""
        return self.sender_email.rpartition("@")[2] or "complaints.local"

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ.get
        return cls(
            stage=env("STAGE", "local"),
            intake_queue_url=env("INTAKE_QUEUE_URL", ""),
            dead_letter_queues=dict(pair.split("=", 1) for pair in env("DEAD_LETTER_QUEUES", "").split(",") if "=" in pair),
            idempotency_table=env("IDEMPOTENCY_TABLE", "idempotency"),
            auth_mode=env("AUTH_MODE", "local"),
            local_jwt_secret=env("LOCAL_JWT_SECRET"),
            token_secret_name=env("TOKEN_SECRET_NAME"),
            notifier=env("NOTIFIER", "outbox"),
            outbox_dir=env("OUTBOX_DIR", ".local/outbox"),
            sender_email=env("SENDER_EMAIL", "complaints@example.com"),
            public_base_url=env("PUBLIC_BASE_URL", "").rstrip("/"),
            mail_bucket=env("MAIL_BUCKET", ""),
            sla_policy_file=env("SLA_POLICY_FILE", ""),
            scheduler_group=env("SCHEDULER_GROUP", ""),
            timer_queue_arn=env("TIMER_QUEUE_ARN", ""),
            scheduler_role_arn=env("SCHEDULER_ROLE_ARN", ""),
            model_dir=env("MODEL_DIR", _default_model_dir()),
            model_bucket=env("MODEL_BUCKET", ""),
            model_refresh_seconds=float(env("MODEL_REFRESH_SECONDS", "300")),
            triage_confidence_threshold=float(env("TRIAGE_CONFIDENCE_THRESHOLD", "0.5")),
            duplicate_window_days=float(env("DUPLICATE_WINDOW_DAYS", "14")),
            duplicate_similarity=float(env("DUPLICATE_SIMILARITY", "0.7")),
            rollups_inline=env("ROLLUPS_INLINE", "") == "1",
            alerts_topic_arn=env("ALERTS_TOPIC_ARN", ""),
            ses_configuration_set=env("SES_CONFIGURATION_SET", ""),
            ack_cap_per_day=int(env("ACK_CAP_PER_DAY", "5")),
            attachment_limit_bytes=int(env("ATTACHMENT_LIMIT_BYTES", str(5 * 1024 * 1024))),
            survey_delay_minutes=int(env("SURVEY_DELAY_MINUTES", "60")),
            retention_days=int(env("RETENTION_DAYS", "730")),
            cognito_user_pool_id=env("COGNITO_USER_POOL_ID", ""),
            cognito_client_id=env("COGNITO_CLIENT_ID", ""),
        )


def _default_model_dir() -> str:
    """The newest version of the category model: the layer's copy in AWS, else the one models/ ships."""
    layer = "/opt/model/category"
    local = layer if os.path.isdir(layer) else os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models", "artifacts", "category")
    versions = sorted((v for v in os.listdir(local) if v[1:].isdigit()), key=lambda v: int(v[1:])) if os.path.isdir(local) else []
    return os.path.join(local, versions[-1]) if versions else ""


@functools.lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


@functools.lru_cache(maxsize=1)
def token_secret() -> bytes:
    """HMAC key for customer access tokens: TOKEN_SECRET locally, Secrets Manager in AWS (cached per container)."""
    return _local_or_secret("TOKEN_SECRET", "TOKEN_SECRET_NAME").encode()


@functools.lru_cache(maxsize=1)
def twilio_auth_token() -> str:
    """The Twilio account's auth token, which signs its webhooks: TWILIO_AUTH_TOKEN locally, Secrets Manager in AWS."""
    return _local_or_secret("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN_SECRET")


def _local_or_secret(local_variable: str, secret_variable: str) -> str:
    local = os.environ.get(local_variable)
    if local:
        return local
    name = os.environ.get(secret_variable)
    if not name:
        raise RuntimeError(f"Set {local_variable} (local) or {secret_variable} (a Secrets Manager secret)")
    from aws_lambda_powertools.utilities.parameters import get_secret

    return str(get_secret(name))
