"""Wiring only: the Chalice app, its middleware, blueprints and event handlers."""
import os

from chalice import Chalice

from chalicelib.observability import logger, metrics
from chalicelib.web.configuration import configuration_routes
from chalicelib.web.console import console_routes
from chalicelib.web.my_complaints import my_routes
from chalicelib.web import console_complaint, console_inbox, console_settings  # noqa: F401 - pages on console_routes
from chalicelib.web.http import secure_headers
from chalicelib.web.openapi import docs_routes
from chalicelib.web.operations import operations_routes
from chalicelib.web.public import public_routes
from chalicelib.web.reports import report_routes
from chalicelib.web.sms import sms_routes
from chalicelib.web.survey import survey_routes
from chalicelib.web.staff import staff_routes
from chalicelib.workers.email_inbound import handle_email_notifications
from chalicelib.workers.early_warning import run_early_warning
from chalicelib.workers.intake import handle_intake_batch
from chalicelib.workers.rollups import handle_complaint_stream
from chalicelib.workers.sla import handle_timer_batch, sweep
from chalicelib.workers.sms_inbound import handle_sms_notifications

app = Chalice(app_name="complaints")
app.register_blueprint(public_routes)
app.register_blueprint(staff_routes)
app.register_blueprint(sms_routes)
app.register_blueprint(report_routes)
app.register_blueprint(docs_routes)
app.register_blueprint(survey_routes)
app.register_blueprint(operations_routes)
app.register_blueprint(configuration_routes)
app.register_blueprint(console_routes)
app.register_blueprint(my_routes)


@app.middleware("all")
def observability(event, get_response):
    logger.clear_state()
    try:
        return secure_headers(get_response(event))
    finally:
        if metrics.metric_set:
            metrics.flush_metrics()


@app.on_sqs_message(queue="complaints-intake", batch_size=10, maximum_batching_window_in_seconds=1)
def intake_worker(event):
    return handle_intake_batch(event.to_dict(), event.context)


@app.on_sns_message(topic="complaints-sms-inbound")
def sms_inbound(event):
    return handle_sms_notifications(event.to_dict(), event.context)


@app.on_sns_message(topic="complaints-email-inbound")
def email_inbound(event):
    return handle_email_notifications(event.to_dict(), event.context)


@app.on_sqs_message(queue="complaints-sla-timers", batch_size=10)
def sla_timer_worker(event):
    return handle_timer_batch(event.to_dict(), event.context)


@app.schedule("rate(5 minutes)")
def sla_sweeper(event):
    return sweep()


# The stream's ARN exists only with the table: infra.build_template points this at ComplaintsTable's stream.
COMPLAINTS_STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/complaints/stream/unset"


@app.on_dynamodb_record(stream_arn=os.environ.get("COMPLAINTS_STREAM_ARN", COMPLAINTS_STREAM), batch_size=1000,
                        maximum_batching_window_in_seconds=5)  # (infra.resources.STREAM_BATCH sets the deployed one)
def kpi_rollups(event):
    return handle_complaint_stream(event.to_dict(), event.context)


@app.schedule("rate(1 hour)")
def early_warning(event):
    return run_early_warning()
