"""Wiring only: the Chalice app, its middleware, blueprints and event handlers."""
from chalice import Chalice

from chalicelib.observability import logger, metrics
from chalicelib.web.openapi import docs_routes
from chalicelib.web.public import public_routes
from chalicelib.web.sms import sms_routes
from chalicelib.web.staff import staff_routes
from chalicelib.workers.email_inbound import handle_email_notifications
from chalicelib.workers.intake import handle_intake_batch
from chalicelib.workers.sla import handle_timer_batch, sweep
from chalicelib.workers.sms_inbound import handle_sms_notifications

app = Chalice(app_name="complaints")
app.register_blueprint(public_routes)
app.register_blueprint(staff_routes)
app.register_blueprint(sms_routes)
app.register_blueprint(docs_routes)


@app.middleware("all")
def observability(event, get_response):
    logger.clear_state()
    try:
        return get_response(event)
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
