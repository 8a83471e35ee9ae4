"""The whole service on this machine: moto, the resources of infra/resources.py, `chalice local` and the runner.

    python -m infra.local_stack [--port 8000] [--moto-port 5000] [--state-dir .local] [--demo]

Port 0 picks a free port. Keys are made once and kept in <state-dir>/keys.json; <state-dir>/endpoints.json is
written once the API answers (and removed on exit). Ctrl-C or SIGTERM stops everything.
The API runs as chalice local's server (infra.local_api) with the environment built here; for variables
.chalice/config.json also sets, the config wins, as in `chalice local`. The same values are applied here,
before the app is imported for the event runner.
"""
from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from pathlib import Path

from infra import local_state
from infra.mint_token import DEFAULT_STATE_DIR, ROLES, local_keys, mint

ROOT = Path(__file__).resolve().parents[1]
STACK_NAME = "local"
REGION = "us-east-1"
STAGE = "local"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the complaints service locally (moto + chalice local)")
    parser.add_argument("--port", type=int, default=8000, help="API port (0: a free port)")
    parser.add_argument("--moto-port", type=int, default=5000, help="moto server port (0: a free port)")
    parser.add_argument("--state-dir", default=DEFAULT_STATE_DIR, help="keys, endpoints.json and the outboxes")
    parser.add_argument("--retry-delay", type=int, default=10,
                        help="seconds before a failed queue record is retried (AWS: the queue's VisibilityTimeout)")
    parser.add_argument("--demo", action="store_true", help="post demo complaints once the stack is up")
    parser.add_argument("--sla-policy", help="SLA and routing policy file (TOML; default chalicelib/sla/default_policy.toml)")
    return parser.parse_args(argv)


def pick_port(port: int, option: str) -> int:
    """`port` if it is free on 127.0.0.1 (0: any free port); a clear error rather than a hang when it is taken."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise SystemExit(f"port {port} is in use (another local stack?): stop it or pass {option} 0") from None
        return probe.getsockname()[1]


def chalice_stage_environment(stage: str = STAGE) -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def use_environment(values: dict[str, str]) -> None:
    """Sets `values` in this process; AWS_* variables not in it are dropped so nothing reaches a real account."""
    for name in [n for n in os.environ if n.startswith("AWS_") and n not in values]:
        del os.environ[name]
    os.environ.update(values)


def check_sla_policy(path: str | None) -> None:
    """A bad SLA policy file stops the stack at start, naming every bad field."""
    from chalicelib.sla.config import SlaConfigError, load_config

    try:
        load_config(path)
    except SlaConfigError as error:
        raise SystemExit(f"SLA policy {path or 'chalicelib/sla/default_policy.toml'}: {error}") from None


def start_moto(port: int):
    from moto.server import ThreadedMotoServer

    from infra import moto_patches

    moto_patches.apply()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def create_stack(moto_url: str, keys: dict[str, str]):
    from infra.local_resources import create_resources, describe_skipped
    from infra.resources import function_environment, resources

    stack = create_resources(resources(), function_environment(), stack_name=STACK_NAME, region=REGION,
                             endpoint_url=moto_url, secret_values={"TokenSecret": keys["token_secret"],
                                            "TwilioAuthTokenSecret": keys["twilio_auth_token"]})
    for line in describe_skipped(stack):
        print(f"  not created locally: {line}")
    return stack


def seed_model_registry(bucket: str) -> str:
    """The retraining function's base data set: the default taxonomy's training rows, derived from the shared
    banking77 data when it is there (`python -m models.build_default --csv-out`). Returns what happened."""
    import boto3

    from functions.retrain.handler import BASE_DATA_KEY
    from models.build_default import DEFAULT_DATA, training_rows
    from models.data import training_csv

    if not (DEFAULT_DATA / "banking77" / "train.csv").exists():
        return f"no base data set ({DEFAULT_DATA} is absent): retraining learns from corrections alone"
    texts, labels = training_rows(DEFAULT_DATA)
    boto3.client("s3").put_object(Bucket=bucket, Key=BASE_DATA_KEY, Body=training_csv(texts, labels).encode())
    return f"s3://{bucket}/{BASE_DATA_KEY} ({len(texts)} rows)"


def forget_app_modules() -> None:
    """PynamoDB models read table names and the endpoint at import time, and infra.resources imported them before
    the environment was complete: the next import reads them afresh."""
    for name in [n for n in sys.modules if n == "app" or n == "chalicelib" or n.startswith("chalicelib.")]:
        del sys.modules[name]


def import_app():
    forget_app_modules()
    return importlib.import_module("app").app


def start_runner(stack, env: dict[str, str], alerts_file: Path, retry_delay: int, stop: threading.Event):
    from infra.event_runner import EventRunner, local_names
    from infra.resources import ASYNC_RETRY_ATTEMPTS, CHALICE_QUEUES, CHALICE_TOPICS, INBOUND_FAILURE_QUEUE

    app = import_app()
    queues = {k: a["Ref"] for a in stack.of_type("AWS::SQS::Queue").values() for k in (a["QueueName"], a["Arn"])}
    queues.update({name: stack.created[logical_id]["Ref"] for name, logical_id in CHALICE_QUEUES.items()})
    topics = local_names(app.app_name, STACK_NAME,
                         {a["TopicName"]: a["Ref"] for a in stack.of_type("AWS::SNS::Topic").values()})
    topics.update({name: stack.created[logical_id]["Ref"] for name, logical_id in CHALICE_TOPICS.items()})
    runner = EventRunner(
        app, queues, topics,
        topic_outboxes={env["ALERTS_TOPIC_ARN"]: str(alerts_file)}, stage=STAGE, region=REGION,
        endpoint_url=env["AWS_ENDPOINT_URL"], retry_delay_seconds=retry_delay,
        sns_failure_queue=stack.created[INBOUND_FAILURE_QUEUE]["Ref"], async_retries=ASYNC_RETRY_ATTEMPTS,
    ).start()
    thread = threading.Thread(target=runner.run, args=(stop,), name="event-runner", daemon=True)
    thread.start()
    return thread


def start_chalice(port: int, endpoints_file: Path) -> subprocess.Popen:
    """chalice local's server (infra.local_api), in its own process group so Ctrl-C handling stays ours. It gets
    SIGTERM when this process dies, even by SIGKILL (Linux's parent-death signal), and then removes the endpoints
    file: a killed stack leaves no server on its port and no stale endpoints."""
    command = [sys.executable, "-m", "infra.local_api", "--port", str(port), "--stage", STAGE,
               "--endpoints-file", str(endpoints_file)]
    return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), start_new_session=True,
                            preexec_fn=_terminate_with_parent)


def _terminate_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chalice local exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop_chalice(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGINT, 3), (signal.SIGKILL, 3)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)  # its own session: the reloader and its worker
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            pass


def endpoints(stack, api_url: str, moto_url: str, state_dir: Path, outbox: Path, alerts: Path) -> dict:
    return {
        "api_url": api_url,
        "form_url": f"{api_url}/",
        "moto_url": moto_url,
        "stack_name": STACK_NAME,
        "region": REGION,
        "queues": {a["QueueName"]: a["Ref"] for a in stack.of_type("AWS::SQS::Queue").values()},
        "tables": {a["Ref"]: a["Arn"] for a in stack.of_type("AWS::DynamoDB::Table").values()},
        "topics": {a["TopicName"]: a["Ref"] for a in stack.of_type("AWS::SNS::Topic").values()},
        "mail_bucket": stack.environment["MAIL_BUCKET"],
        "model_bucket": stack.environment["MODEL_BUCKET"],
        "twilio_webhook": f"{api_url}/sms/twilio",
        "environment": stack.environment,
        "outbox_file": str(outbox / "customer-messages.jsonl"),
        "alerts_file": str(alerts),
        **{f"{role}_token": mint(role, state_dir=state_dir) for role in ROLES},
    }


def banner(info: dict, seconds: float, retry_delay: int) -> str:
    return "\n".join([
        "",
        f"Local stack up in {seconds:.1f} s",
        f"  API (chalice local)  {info['api_url']}",
        f"  staff console        {info['console_url']}  (sign in; the first sign-in sets a new password)",
        *(f"    {s['role']:<8} sign-in name {s['sign_in']:<8} first password {s['first_password']}"
          for s in info["staff"]),
        f"  complaint form       {info['form_url']}",
        f"  moto (AWS APIs)      {info['moto_url']}",
        f"  acknowledgements     {info['outbox_file']}",
        f"  manager alerts       {info['alerts_file']}",
        f"  model base data      {info['model_base_data']}: make retrain, make rollback",
        f"  failed queue records are retried after {retry_delay} s (then the DLQ, as in AWS)",
        f"  agent token          {info['agent_token']}",
        f"  manager token        {info['manager_token']}",
        "  e.g. curl -H \"Authorization: Bearer $TOKEN\" " + info["api_url"] + "/staff/complaints",
        "  more tokens: make token ROLE=admin; all endpoints: .local/endpoints.json; Ctrl-C stops",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    api_port, moto_port = pick_port(args.port, "--port"), pick_port(args.moto_port, "--moto-port")
    state_dir = Path(args.state_dir).resolve()
    outbox, endpoints_file = state_dir / "outbox", state_dir / "endpoints.json"
    endpoints_file.unlink(missing_ok=True)
    keys = local_keys(state_dir, create=True)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())

    api_url = f"http://127.0.0.1:{api_port}"
    moto, moto_url = start_moto(moto_port)
    aws = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
           "AWS_REGION": REGION, "AWS_ENDPOINT_URL": moto_url, "DYNAMODB_ENDPOINT": moto_url}
    use_environment(aws)
    check_sla_policy(args.sla_policy)
    stack = create_stack(moto_url, keys)
    env = {**aws, **stack.environment, "LOCAL_JWT_SECRET": keys["jwt_secret"], "TOKEN_SECRET": keys["token_secret"],
           "OUTBOX_DIR": str(outbox), "PUBLIC_BASE_URL": api_url, "ROLLUPS_INLINE": "1", "MODEL_REFRESH_SECONDS": "10",
           **chalice_stage_environment(),
           **({"SLA_POLICY_FILE": str(Path(args.sla_policy).resolve())} if args.sla_policy else {})}
    use_environment(env)
    base_data = seed_model_registry(env["MODEL_BUCKET"])
    tables = [a["Ref"] for a in stack.of_type("AWS::DynamoDB::Table").values()]
    buckets = [env["MAIL_BUCKET"], env["MODEL_BUCKET"]]
    restored = local_state.restore(state_dir / "snapshot", moto_url, REGION)
    if restored["items"] or restored["objects"]:
        print(f"  restored {restored['items']} items and {restored['objects']} objects from {state_dir / 'snapshot'}")
    snapshots = local_state.Snapshots(state_dir / "snapshot", tables, buckets, moto_url, REGION).start()
    from infra.staff_seed import seed_staff

    forget_app_modules()
    staff = seed_staff(env["COGNITO_USER_POOL_ID"], keys["jwt_secret"])

    chalice = start_chalice(api_port, endpoints_file)
    stop_runner = threading.Event()
    runner = None
    status = 0
    try:
        runner = start_runner(stack, env, outbox / "alerts.jsonl", args.retry_delay, stop_runner)
        wait_for_http(f"{api_url}/", chalice)
        info = {**endpoints(stack, api_url, moto_url, state_dir, outbox, outbox / "alerts.jsonl"),
                "model_base_data": base_data, "console_url": f"{api_url}/console",
                "staff": [{"sign_in": name, "role": role, "first_password": password}
                          for name, role, password in staff]}
        partial = endpoints_file.with_suffix(".partial")
        partial.write_text(json.dumps(info, indent=2))
        partial.replace(endpoints_file)  # atomic: a reader that sees the file sees all of it
        print(banner(info, time.monotonic() - started, args.retry_delay), flush=True)
        if args.demo:
            from infra.demo import post_demo_complaints

            print("Demo complaints:", flush=True)
            post_demo_complaints(api_url)
        while not stopping.wait(0.5):
            if chalice.poll() is not None:
                raise RuntimeError(f"chalice local exited with {chalice.returncode}")
    except Exception:  # noqa: BLE001 - report, then shut everything down
        traceback.print_exc()
        print("local stack failed", file=sys.stderr, flush=True)
        status = 1
    finally:
        print("Stopping the local stack...", flush=True)
        stopping_at = time.monotonic()
        endpoints_file.unlink(missing_ok=True)
        stop_chalice(chalice)
        stop_runner.set()
        if runner:
            runner.join(5)
        saved = snapshots.stop()
        if saved:
            print(f"Saved {saved['items']} items and {saved['objects']} objects to {state_dir / 'snapshot'}.")
        moto.stop()
        print(f"Stopped in {time.monotonic() - stopping_at:.1f} s.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
