"""Shared test setup: a clean, fake AWS environment before anything imports the app."""
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

_TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "COMPLAINTS_TABLE": "test-complaints",
    "EVENTS_TABLE": "test-complaint-events",
    "MESSAGES_TABLE": "test-message-index",
    "IDEMPOTENCY_TABLE": "test-idempotency",
    "STAGE": "test",
    "AUTH_MODE": "local",
    "LOCAL_JWT_SECRET": "test-jwt-signing-key-0123456789abcdef",
    "TOKEN_SECRET": "test-token-secret",
    "NOTIFIER": "outbox",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "complaints",
    "POWERTOOLS_METRICS_NAMESPACE": "Complaints",
    "PUBLIC_BASE_URL": "http://testserver",
}
for _key, _value in _TEST_ENV.items():
    os.environ[_key] = _value
for _key in ("AWS_ENDPOINT_URL", "DYNAMODB_ENDPOINT", "AWS_PROFILE"):
    os.environ.pop(_key, None)
