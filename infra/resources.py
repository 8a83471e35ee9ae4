"""The one definition of every AWS resource outside Chalice's own functions and API.

Both the deploy template (infra.build_template) and the local stack (infra.local_stack) are made from
`resources()`; `function_environment()` says which resource each environment variable points to.
`deploy_resources()` adds what refers to Chalice's functions and API (one IAM role per function, from
`function_policies()`, and the CloudWatch alarms), so only the deploy template has it.
Table key schemas come from the PynamoDB models, so code and infrastructure cannot drift apart.
"""
from __future__ import annotations

from typing import Any

from pynamodb.models import Model

from chalicelib.adapters.dynamo_tables import (
    AckLimitModel,
    AlertWindowModel,
    ComplaintModel,
    ConfigVersionModel,
    StaffMemberModel,
    StaffSessionModel,
    ImprovementActionModel,
    StatsModel,
    EventModel,
    InboundMailModel,
    MessageIndexModel,
    SmsKeywordLogModel,
    SmsOptOutModel,
    TeamRoutingModel,
    AgentLoadModel,
)
from chalicelib.adapters.web_uploads import PENDING_PREFIX, UPLOAD_PREFIX

APP = "complaints"
INTAKE_QUEUE_NAME = "complaints-intake"  # Chalice's on_sqs_message(queue=...) uses this name
SLA_TIMER_QUEUE_NAME = "complaints-sla-timers"  # the name to use if a Chalice handler consumes the timer queue
WORKER_TIMEOUT_SECONDS = 60
MAX_RECEIVE_COUNT = 5
STAFF_ROLES = ("agent", "manager", "admin")

# Chalice logical ids of the functions and the REST API this project deploys.
API_FUNCTION = "APIHandler"
INTAKE_WORKER_FUNCTION = "IntakeWorker"
SMS_INBOUND_FUNCTION = "SmsInbound"
EMAIL_INBOUND_FUNCTION = "EmailInbound"
SLA_TIMER_FUNCTION = "SlaTimerWorker"
SLA_SWEEPER_FUNCTION = "SlaSweeper"
ROLLUP_FUNCTION = "KpiRollups"
EARLY_WARNING_FUNCTION = "EarlyWarning"
RETRAIN_FUNCTION = "RetrainCategoryModel"  # not Chalice's: a container image with scikit-learn (functions/retrain)
REST_API = "RestAPI"
API_STAGE = "api"

INBOUND_FAILURE_QUEUE = "InboundDeadLetterQueue"  # on-failure destination of the SNS-triggered functions
ASYNC_RETRY_ATTEMPTS = 2  # Lambda's retries of an asynchronous (SNS) invocation before its on-failure destination
SNS_FUNCTIONS = (EMAIL_INBOUND_FUNCTION, SMS_INBOUND_FUNCTION)
# Concurrency: the API keeps capacity of its own (a burst of intake cannot take the account's), and each queue's
# consumer is capped, so a backlog drains at a rate the tables and SES take.
API_RESERVED_CONCURRENCY = 100
QUEUE_MAX_CONCURRENCY = {"IntakeQueue": 20, "SlaTimerQueue": 10}
# The complaints stream: a failing batch is split to find the bad record, retried a few times, then its position
# (shard, sequence numbers) goes to this alarmed queue, so one bad record never blocks the shard.
STREAM_FAILURE_QUEUE = "StreamDeadLetterQueue"
STREAM_RETRY_ATTEMPTS = 5
# Batches of up to STREAM_BATCH versions, gathered for up to STREAM_WINDOW_SECONDS: the rollups write each bucket a
# batch touches once, so a busy hour costs about 8 write units per complaint life instead of 19 at batches of 100
# (tests/performance/test_rollup_writes.py). Lambda trims a batch to its 6 MB payload; the dashboard lags by the window.
STREAM_BATCH = 1000
STREAM_WINDOW_SECONDS = 5
STREAM_TIMEOUT_SECONDS = 180
STREAM_MAX_RECORD_AGE_SECONDS = 24 * 3600
# name=url of every dead-letter queue, for staff to see (GET /staff/dead-letters) and redrive
DEAD_LETTER_QUEUES = ("intake=${IntakeQueueDeadLetterQueue},sla-timers=${SlaTimerQueueDeadLetterQueue},"
                      f"inbound=${{{INBOUND_FAILURE_QUEUE}}}")

# Chalice SQS queue name -> logical id of the queue defined here (infra.build_template wires them).
CHALICE_QUEUES = {INTAKE_QUEUE_NAME: "IntakeQueue", SLA_TIMER_QUEUE_NAME: "SlaTimerQueue"}
# Chalice SNS topic name -> logical id of the topic defined here (locally `complaints-X` is the topic `<stack>-X`).
SMS_INBOUND_TOPIC_NAME = "complaints-sms-inbound"
EMAIL_INBOUND_TOPIC_NAME = "complaints-email-inbound"
CHALICE_TOPICS = {SMS_INBOUND_TOPIC_NAME: "SmsInboundTopic", EMAIL_INBOUND_TOPIC_NAME: "EmailInboundTopic"}
INBOUND_MAIL_PREFIX = "inbound/"  # raw mail from the receipt rule; attachments go under attachments/
MODEL_PREFIX = "category/"  # the model registry: versions, the pointer and the base data set (functions/retrain)

Resource = dict[str, Any]
Statement = dict[str, Any]


def _name(suffix: str) -> dict[str, str]:
    return {"Fn::Sub": f"${{AWS::StackName}}-{suffix}"}


def _arn(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def _sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


def _key_schema(keys: list[dict[str, str]]) -> list[dict[str, str]]:
    """HASH first, then RANGE (DynamoDB rejects any other order; PynamoDB does not sort them)."""
    ordered = sorted(keys, key=lambda k: k["KeyType"] != "HASH")
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in ordered]


def table_from_model(model: type[Model], suffix: str, stream: bool = False, ttl: str | None = None) -> Resource:
    """An AWS::DynamoDB::Table whose keys and GSIs are read from a PynamoDB model."""
    schema = model._get_schema()
    properties: dict[str, Any] = {
        "TableName": _name(suffix),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
            for a in schema["attribute_definitions"]
        ],
        "KeySchema": _key_schema(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": _key_schema(index["key_schema"]),
            "Projection": {"ProjectionType": index["projection"]["ProjectionType"]},
        }
        for index in schema.get("global_secondary_indexes", [])
    ]
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    if stream:
        properties["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _queue_with_dlq(logical_id: str, name: str, visibility_timeout: int) -> dict[str, Resource]:
    dlq = f"{logical_id}DeadLetterQueue"
    return {
        dlq: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _name(f"{name}-dlq"),
                "MessageRetentionPeriod": 14 * 24 * 3600,
                "SqsManagedSseEnabled": True,
            },
        },
        logical_id: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": _name(name),
                "VisibilityTimeout": visibility_timeout,
                "MessageRetentionPeriod": 4 * 24 * 3600,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": _arn(dlq), "maxReceiveCount": MAX_RECEIVE_COUNT},
            },
        },
    }


def resources() -> dict[str, Resource]:
    """Every resource the app needs besides Chalice's functions, API and event source mappings."""
    items: dict[str, Resource] = {
        "ComplaintsTable": table_from_model(ComplaintModel, "complaints", stream=True, ttl="expires_at"),
        "EventsTable": table_from_model(EventModel, "complaint-events", stream=True, ttl="expires_at"),
        "MessageIndexTable": table_from_model(MessageIndexModel, "message-index", ttl="expires_at"),
        "SmsOptOutsTable": table_from_model(SmsOptOutModel, "sms-opt-outs"),
        "SmsKeywordLogTable": table_from_model(SmsKeywordLogModel, "sms-keyword-log"),
        "InboundMailTable": table_from_model(InboundMailModel, "inbound-mail", ttl="expires_at"),
        "AckLimitsTable": table_from_model(AckLimitModel, "ack-limits", ttl="expires_at"),
        "TeamRoutingTable": table_from_model(TeamRoutingModel, "team-routing"),
        "AgentLoadTable": table_from_model(AgentLoadModel, "agent-load"),
        "AlertWindowsTable": table_from_model(AlertWindowModel, "alert-windows", ttl="expires_at"),
        "StatsTable": table_from_model(StatsModel, "stats", ttl="expires_at"),
        "ImprovementActionsTable": table_from_model(ImprovementActionModel, "improvement-actions"),
        "ConfigVersionsTable": table_from_model(ConfigVersionModel, "config-versions"),
        "StaffTable": table_from_model(StaffMemberModel, "staff"),
        "StaffSessionsTable": table_from_model(StaffSessionModel, "staff-sessions", ttl="expires_at"),
        "IdempotencyTable": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": _name("idempotency"),
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
                "SSESpecification": {"SSEEnabled": True},
            },
        },
        **_queue_with_dlq("IntakeQueue", "intake", visibility_timeout=6 * WORKER_TIMEOUT_SECONDS),
        # SLA timers: one-off EventBridge Scheduler schedules in this group deliver to SlaTimerQueue.
        **_queue_with_dlq("SlaTimerQueue", "sla-timers", visibility_timeout=6 * WORKER_TIMEOUT_SECONDS),
        "SlaScheduleGroup": {"Type": "AWS::Scheduler::ScheduleGroup", "Properties": {"Name": _name("sla")}},
        # The e-mail and SMS functions run from SNS (asynchronous): after Lambda's retries an event lands here with
        # its error (their on-failure destination), never dropped. The local event runner does the same.
        INBOUND_FAILURE_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": _name("inbound-dlq"), "MessageRetentionPeriod": 14 * 24 * 3600,
                           "SqsManagedSseEnabled": True},
        },
        STREAM_FAILURE_QUEUE: {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": _name("stream-dlq"), "MessageRetentionPeriod": 14 * 24 * 3600,
                           "SqsManagedSseEnabled": True},
        },
        # An unknown path is a JSON 404 (API Gateway answers 403 "Missing Authentication Token" by default).
        "UnknownPathResponse": {
            "Type": "AWS::ApiGateway::GatewayResponse",
            "Properties": {
                "RestApiId": {"Ref": REST_API}, "ResponseType": "MISSING_AUTHENTICATION_TOKEN", "StatusCode": "404",
                "ResponseParameters": {"gatewayresponse.header.X-Content-Type-Options": "'nosniff'"},
                "ResponseTemplates": {"application/json": '{"error": "not_found", "message": "no route for this path"}'},
            },
        },
        "SlaSchedulerRole": _role(
            "sla-scheduler", "scheduler.amazonaws.com", [_allow(["sqs:SendMessage"], [_arn("SlaTimerQueue")])]
        ),
        "AlertsTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": _name("manager-alerts"),
                "DisplayName": "Complaint alerts",
                "KmsMasterKeyId": "alias/aws/sns",
            },
        },
        # AWS End User Messaging publishes each inbound SMS here (the phone number's two-way SMS destination).
        # Not encrypted with alias/aws/sns: an AWS managed key cannot let the sms-voice service publish.
        "SmsInboundTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": _name("sms-inbound"), "DisplayName": "Inbound SMS"},
        },
        "SmsInboundTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "SmsInboundTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"Service": "sms-voice.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": {"Ref": "SmsInboundTopic"},
                        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                    }],
                },
            },
        },
        **_email_gateway(),
        "ModelBucket": {  # the model registry: retrained versions and the pointer to the serving one
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "VersioningConfiguration": {"Status": "Enabled"},
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            },
        },
        "OpsAlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": _name("ops-alarms"), "KmsMasterKeyId": "alias/aws/sns"},
        },
        "TokenSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": _name("customer-token-key"),
                "Description": "HMAC key for customer access tokens",
                "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": True},
            },
        },
        "TwilioAuthTokenSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": _name("twilio-auth-token"),
                "Description": "The Twilio account's auth token (verifies webhook signatures): put the real one here",
                "GenerateSecretString": {"PasswordLength": 32, "ExcludePunctuation": True},
            },
        },
        "StaffUserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {
                "UserPoolName": _name("staff"),
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},  # staff are invited by an admin
                # The user name is the staff directory id (routing, assignment and audit use it); e-mail is an alias.
                "AliasAttributes": ["email"],
                "UsernameConfiguration": {"CaseSensitive": False},
                "AutoVerifiedAttributes": ["email"],
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {
                    "PasswordPolicy": {
                        "MinimumLength": 12,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": False,
                        "TemporaryPasswordValidityDays": 7,
                    }
                },
            },
        },
        "StaffUserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "StaffUserPool"},
                "ClientName": "staff-console",
                "GenerateSecret": False,
                # The console signs in server side (USER_PASSWORD_AUTH over TLS to Cognito); SRP for other clients.
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
            },
        },
    }
    for role in STAFF_ROLES:
        items[f"StaffGroup{role.title()}"] = {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {"GroupName": role, "UserPoolId": {"Ref": "StaffUserPool"}},
        }
    return items


def _email_gateway() -> dict[str, Resource]:
    """SES inbound: the receipt rule stores each raw mail in MailBucket and notifies EmailInboundTopic, which also
    gets SES's bounce and complaint events for the mail we send (configuration set). The rule set must be made
    active once (`aws ses set-active-receipt-rule-set`): CloudFormation cannot do it."""
    ses_may = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    return {
        "MailBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "LifecycleConfiguration": {"Rules": [
                    {"Id": "raw-mail", "Status": "Enabled", "Prefix": INBOUND_MAIL_PREFIX, "ExpirationInDays": 400},
                    {"Id": "unsent-uploads", "Status": "Enabled", "Prefix": PENDING_PREFIX, "ExpirationInDays": 2},
                ]},
            },
        },
        "MailBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "MailBucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "SesStoresInboundMail", "Effect": "Allow",
                    "Principal": {"Service": "ses.amazonaws.com"}, "Action": "s3:PutObject",
                    "Resource": _sub(f"${{MailBucket.Arn}}/{INBOUND_MAIL_PREFIX}*"), "Condition": ses_may,
                }]},
            },
        },
        "EmailInboundTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": _name("email-inbound"), "DisplayName": "Inbound e-mail"},
        },
        "EmailInboundTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "EmailInboundTopic"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"}, "Action": "sns:Publish",
                    "Resource": {"Ref": "EmailInboundTopic"}, "Condition": ses_may,
                }]},
            },
        },
        "InboundRuleSet": {"Type": "AWS::SES::ReceiptRuleSet", "Properties": {"RuleSetName": _name("inbound")}},
        "InboundRule": {
            "Type": "AWS::SES::ReceiptRule",
            "DependsOn": ["MailBucketPolicy", "EmailInboundTopicPolicy"],
            "Properties": {
                "RuleSetName": {"Ref": "InboundRuleSet"},
                "Rule": {
                    "Name": _name("complaints"),
                    "Enabled": True,
                    "ScanEnabled": True,  # spam and virus verdicts
                    "TlsPolicy": "Optional",
                    "Recipients": [{"Ref": "SenderEmail"}],
                    "Actions": [{"S3Action": {"BucketName": {"Ref": "MailBucket"},
                                              "ObjectKeyPrefix": INBOUND_MAIL_PREFIX,
                                              "TopicArn": {"Ref": "EmailInboundTopic"}}}],
                },
            },
        },
        "MailConfigurationSet": {"Type": "AWS::SES::ConfigurationSet", "Properties": {"Name": _name("outbound")}},
        "MailFeedbackDestination": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "Properties": {
                "ConfigurationSetName": {"Ref": "MailConfigurationSet"},
                "EventDestination": {
                    "Name": "bounces-and-complaints", "Enabled": True,
                    "MatchingEventTypes": ["bounce", "complaint", "reject"],
                    "SnsDestination": {"TopicARN": {"Ref": "EmailInboundTopic"}},
                },
            },
        },
    }


def function_environment() -> dict[str, Any]:
    """Environment variables every Chalice function gets, as CloudFormation values."""
    return {
        "COMPLAINTS_TABLE": {"Ref": "ComplaintsTable"},
        "EVENTS_TABLE": {"Ref": "EventsTable"},
        "MESSAGES_TABLE": {"Ref": "MessageIndexTable"},
        "SMS_OPT_OUTS_TABLE": {"Ref": "SmsOptOutsTable"},
        "SMS_KEYWORD_LOG_TABLE": {"Ref": "SmsKeywordLogTable"},
        "INBOUND_MAIL_TABLE": {"Ref": "InboundMailTable"},
        "ACK_LIMITS_TABLE": {"Ref": "AckLimitsTable"},
        "TEAM_ROUTING_TABLE": {"Ref": "TeamRoutingTable"},
        "AGENT_LOAD_TABLE": {"Ref": "AgentLoadTable"},
        "ALERT_WINDOWS_TABLE": {"Ref": "AlertWindowsTable"},
        "STATS_TABLE": {"Ref": "StatsTable"},
        "COMPLAINTS_STREAM_ARN": {"Fn::GetAtt": ["ComplaintsTable", "StreamArn"]},
        "ACTIONS_TABLE": {"Ref": "ImprovementActionsTable"},
        "CONFIG_TABLE": {"Ref": "ConfigVersionsTable"},
        "STAFF_TABLE": {"Ref": "StaffTable"},
        "SESSIONS_TABLE": {"Ref": "StaffSessionsTable"},
        "COGNITO_USER_POOL_ID": {"Ref": "StaffUserPool"},
        "COGNITO_CLIENT_ID": {"Ref": "StaffUserPoolClient"},
        "MAIL_BUCKET": {"Ref": "MailBucket"},
        "MODEL_BUCKET": {"Ref": "ModelBucket"},
        "SES_CONFIGURATION_SET": {"Ref": "MailConfigurationSet"},
        "TWILIO_AUTH_TOKEN_SECRET": {"Ref": "TwilioAuthTokenSecret"},
        "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
        "INTAKE_QUEUE_URL": {"Ref": "IntakeQueue"},
        "DEAD_LETTER_QUEUES": {"Fn::Sub": DEAD_LETTER_QUEUES},
        "ALERTS_TOPIC_ARN": {"Ref": "AlertsTopic"},
        "TOKEN_SECRET_NAME": {"Ref": "TokenSecret"},
        "TIMER_QUEUE_ARN": _arn("SlaTimerQueue"),
        "SCHEDULER_GROUP": {"Ref": "SlaScheduleGroup"},
        "SCHEDULER_ROLE_ARN": _arn("SlaSchedulerRole"),
    }


# ---------------------------------------------------------------------------------------------------------------
# IAM: one role per function, each allowed only what its code calls. Logs and X-Ray come from AWS managed policies
# (their Resource "*" is AWS's: X-Ray has no resource-level permissions, log groups are named after the function).

DDB_READ = ["dynamodb:GetItem", "dynamodb:Query"]
# A transaction is authorised per item: there is no dynamodb:TransactWriteItems IAM action.
DDB_TRANSACT_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]
DDB_IDEMPOTENCY = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
SQS_CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
SMS_STATEMENT_SID = "PublishSmsToCustomers"
LAMBDA_MANAGED_POLICIES = [
    _sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
    _sub("arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"),
]


def _allow(actions: list[str], resources: list[Any], sid: str | None = None, **extra: Any) -> Statement:
    statement: Statement = {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}
    if sid:
        statement["Sid"] = sid
    return statement


def _role(suffix: str, service: str, statements: list[Statement], managed: list[Any] | None = None) -> Resource:
    """An IAM role that `service` assumes, with one inline least-privilege policy."""
    properties: dict[str, Any] = {
        "RoleName": _name(suffix),
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        },
        "Policies": [{"PolicyName": "least-privilege", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
    }
    if managed:
        properties["ManagedPolicyArns"] = managed
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def _tables(*logical_ids: str) -> list[Any]:
    return [_arn(t) for t in logical_ids]


def _common_statements() -> list[Statement]:
    """What the API and the intake worker use: the token key and once-only customer messages (SES e-mail, SNS SMS,
    never to a number that opted out).
    SLA timers and manager alerts get their permissions with the code that uses them."""
    return [
        _allow(["secretsmanager:GetSecretValue"], [{"Ref": "TokenSecret"}]),
        _allow(DDB_IDEMPOTENCY, _tables("IdempotencyTable")),
        _allow(["dynamodb:GetItem"], _tables("SmsOptOutsTable")),  # no SMS to a number that sent STOP
        _allow(["ses:SendEmail", "ses:SendRawEmail"], [
            _sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"),
            _sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${MailConfigurationSet}"),
        ]),
        _allow(["dynamodb:UpdateItem"], _tables("AckLimitsTable")),
        *_alert_statements(),  # a message that could not be delivered
        _allow(["dynamodb:PutItem"], _tables("MessageIndexTable")),  # our Message-IDs, for threading replies
        *_sla_statements(),
        _sms_publish(),
    ]


def _alert_statements() -> list[Statement]:
    """Publishing a manager alert, and keeping it for the dashboard's recent alerts."""
    return [_allow(["sns:Publish"], [{"Ref": "AlertsTopic"}]), _allow(["dynamodb:PutItem"], _tables("StatsTable"))]


def _config_read() -> Statement:
    """The SLA and routing configuration in force; the first start imports the file as version 1 (PutItem)."""
    return _allow(["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"], _tables("ConfigVersionsTable"))


def _console_statements() -> list[Statement]:
    """The console: sessions, the staff directory, and managing staff in the user pool (sign-in itself needs no IAM:
    the app client's InitiateAuth is a public call)."""
    return [
        _allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], _tables("StaffSessionsTable")),
        _allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], _tables("StaffTable")),
        _allow(["cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
                "cognito-idp:AdminListGroupsForUser", "cognito-idp:AdminEnableUser", "cognito-idp:AdminDisableUser",
                "cognito-idp:AdminUserGlobalSignOut"], [_arn("StaffUserPool")]),
    ]


def _customer_file_statements() -> list[Statement]:
    """Files in the mail bucket: customers upload under uploads/ with presigned POSTs the API signs, which checks,
    lists and moves them; staff download attachments and read the original of a mail through signed links."""
    uploads = _sub(f"${{MailBucket.Arn}}/{UPLOAD_PREFIX}*")
    return [
        _allow(["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], [uploads]),
        _allow(["s3:ListBucket"], [_arn("MailBucket")], Condition={"StringLike": {"s3:prefix": [f"{UPLOAD_PREFIX}*"]}}),
        _allow(["s3:GetObject"], [_sub("${MailBucket.Arn}/attachments/*"),
                                  _sub(f"${{MailBucket.Arn}}/{INBOUND_MAIL_PREFIX}*")]),
    ]


def _sla_statements() -> list[Statement]:
    """SLA timers (one-time schedules in the SLA group, run as the scheduler role) and skill routing."""
    return [
        _config_read(),
        _allow(["dynamodb:Query"], _tables("StaffTable")),  # routing: who is in the team and available
        _allow(["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule"],
               [_sub("arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${SlaScheduleGroup}/*")]),
        _allow(["iam:PassRole"], [_arn("SlaSchedulerRole")],
               Condition={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}),
        _allow(["dynamodb:GetItem", "dynamodb:PutItem"], _tables("TeamRoutingTable")),
        _allow(["dynamodb:BatchGetItem"], _tables("AgentLoadTable")),  # the team's agents' open counts
    ]


def _sla_monitor_statements() -> list[Statement]:
    """Checking clocks and sending SLA alerts (the timer worker and the sweeper)."""
    complaint_reads = _tables("ComplaintsTable", "EventsTable") + [_sub("${ComplaintsTable.Arn}/index/*")]
    return [
        _allow(DDB_READ, complaint_reads),
        _allow(DDB_TRANSACT_WRITE, _tables("ComplaintsTable", "EventsTable")),
        _allow(["dynamodb:UpdateItem"], _tables("AgentLoadTable")),  # load counts, same transaction
        _allow(["dynamodb:UpdateItem"], _tables("AlertWindowsTable")),
        *_alert_statements(),
        *_sla_statements(),
    ]


def _sms_publish() -> Statement:
    # SMS to a phone number has no resource ARN and SNS has no condition key for it, so Resource must be "*"
    # (which also admits any topic); the condition keeps it to this region. Drop it if SMS replies go away.
    return _allow(["sns:Publish"], ["*"], sid=SMS_STATEMENT_SID,
                  Condition={"StringEquals": {"aws:RequestedRegion": {"Ref": "AWS::Region"}}})


def function_policies() -> dict[str, list[Statement]]:
    """Policy statements per Chalice function logical id (infra.build_template gives each its own role)."""
    complaint_reads = _tables("ComplaintsTable", "EventsTable", "MessageIndexTable") + [
        _sub("${ComplaintsTable.Arn}/index/*")
    ]
    return {
        API_FUNCTION: [
            _allow(DDB_READ, complaint_reads),
            _allow(DDB_TRANSACT_WRITE, _tables("ComplaintsTable", "EventsTable")),  # staff actions
            _allow(["dynamodb:UpdateItem"], _tables("AgentLoadTable")),  # load counts, same transaction
            _allow(["sqs:SendMessage"], [_arn("IntakeQueue")]),  # public submissions, Twilio SMS
            _allow(["secretsmanager:GetSecretValue"], [{"Ref": "TwilioAuthTokenSecret"}]),  # Twilio signatures
            *_sms_keyword_statements(),
            _allow(DDB_READ, _tables("StatsTable")),  # reports and the dashboard
            _allow(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], _tables("ImprovementActionsTable")),
            _allow(["sqs:GetQueueAttributes", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility"],  # dead letters
                   [_arn("IntakeQueueDeadLetterQueue"), _arn("SlaTimerQueueDeadLetterQueue"),
                    _arn(INBOUND_FAILURE_QUEUE)]),
            *_console_statements(),
            *_customer_file_statements(),
            *_common_statements(),
        ],
        INTAKE_WORKER_FUNCTION: [
            _allow(SQS_CONSUME, [_arn("IntakeQueue")]),
            *_model_registry_statements(["s3:GetObject"]),  # the serving version of the category model
            _allow(DDB_READ, complaint_reads),
            _allow(DDB_TRANSACT_WRITE, _tables("ComplaintsTable", "EventsTable", "MessageIndexTable")),
            _allow(["dynamodb:UpdateItem"], _tables("AgentLoadTable")),  # load counts, same transaction
            *_common_statements(),
        ],
        EMAIL_INBOUND_FUNCTION: [  # the e-mail gateway: raw mail from S3, onto the intake queue, the mail log
            _allow(["s3:GetObject"], [_sub(f"${{MailBucket.Arn}}/{INBOUND_MAIL_PREFIX}*")]),
            _allow(["s3:PutObject"], [_sub("${MailBucket.Arn}/attachments/*")]),
            _allow(["sqs:SendMessage"], [_arn("IntakeQueue")]),
            _allow(["dynamodb:PutItem"], _tables("InboundMailTable")),
            _allow(DDB_READ, complaint_reads),
            _allow(DDB_TRANSACT_WRITE, _tables("ComplaintsTable", "EventsTable", "MessageIndexTable")),  # bounces
            _allow(["dynamodb:UpdateItem"], _tables("AgentLoadTable")),  # load counts, same transaction
            *_alert_statements(),
            _allow(["sqs:SendMessage"], [_arn(INBOUND_FAILURE_QUEUE)]),  # its on-failure destination
        ],
        SLA_TIMER_FUNCTION: [_allow(SQS_CONSUME, [_arn("SlaTimerQueue")]), *_sla_monitor_statements()],
        SLA_SWEEPER_FUNCTION: _sla_monitor_statements(),
        EARLY_WARNING_FUNCTION: [  # forecasts and KPI triggers from the rollups; today's texts for the top terms
            _allow(["dynamodb:Query"], _tables("StatsTable") + [_sub("${ComplaintsTable.Arn}/index/by_category")]),
            *_alert_statements(),  # PutItem on the stats table also keeps the once-a-day marker
            _config_read(),  # the categories and teams reported on
        ],
        ROLLUP_FUNCTION: [  # the complaints table's stream -> KPI rollups in the stats table
            _allow(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams"], [_sub("${ComplaintsTable.Arn}/stream/*")]),
            _allow(["dynamodb:Query"], _tables("EventsTable")),
            _allow(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"], _tables("StatsTable")),
            _allow(["sqs:SendMessage"], [_arn(STREAM_FAILURE_QUEUE)]),  # its on-failure destination
        ],
        SMS_INBOUND_FUNCTION: [  # two-way SMS from SNS: keywords (answered by SMS) or onto the intake queue
            _allow(["sqs:SendMessage"], [_arn("IntakeQueue")]),
            _allow(["dynamodb:GetItem"], _tables("SmsOptOutsTable")),
            *_sms_keyword_statements(),
            _sms_publish(),
            _allow(["sqs:SendMessage"], [_arn(INBOUND_FAILURE_QUEUE)]),  # its on-failure destination
        ],
    }


def _model_registry_statements(object_actions: list[str]) -> list[Statement]:
    """The model registry's objects; ListBucket lets S3 answer NoSuchKey (not AccessDenied) before the first
    publication."""
    return [_allow(object_actions, [_sub(f"${{ModelBucket.Arn}}/{MODEL_PREFIX}*")]),
            _allow(["s3:ListBucket"], [_arn("ModelBucket")], Condition={"StringLike": {"s3:prefix": f"{MODEL_PREFIX}*"}})]


def retrain_resources() -> dict[str, Resource]:
    """The retraining function (functions/retrain), its role and its weekly schedule. Its image is built from
    functions/retrain/Dockerfile and pushed to ECR; without the RetrainImageUri parameter none of it is created."""
    condition = "HasRetrainImage"
    statements = [
        _allow(["dynamodb:Query"], [_sub("${EventsTable.Arn}/index/by_example"),  # staff corrections
                                    _arn("StatsTable")]),  # the priority rules' volume (monthly rollups)
        *_model_registry_statements(["s3:GetObject", "s3:PutObject"]),
    ]
    return {
        role_id(RETRAIN_FUNCTION): {**_role("retrain", "lambda.amazonaws.com", statements, LAMBDA_MANAGED_POLICIES),
                                    "Condition": condition},
        RETRAIN_FUNCTION: {
            "Type": "AWS::Lambda::Function",
            "Condition": condition,
            "Properties": {
                "FunctionName": _name("retrain-category-model"),
                "Description": "Retrains category and priority levels on base data + staff corrections; publishes or rolls back",
                "PackageType": "Image",
                "Code": {"ImageUri": {"Ref": "RetrainImageUri"}},
                "Role": _arn(role_id(RETRAIN_FUNCTION)),
                "Timeout": 900,
                "MemorySize": 3008,
                "EphemeralStorage": {"Size": 2048},
                "TracingConfig": {"Mode": "Active"},
                "Environment": {"Variables": {
                    "EVENTS_TABLE": {"Ref": "EventsTable"},
                    "STATS_TABLE": {"Ref": "StatsTable"},
                    "MODEL_BUCKET": {"Ref": "ModelBucket"},
                    "TRAIN_JOBS": "1",  # no /dev/shm in Lambda: joblib cannot fork workers there
                    "RETRAIN_MIN_NEW_CORRECTIONS": "10",
                    "RETRAIN_MAX_DROP": "0.02",
                    "RETRAIN_FOLDS": "5",
                    "POWERTOOLS_SERVICE_NAME": "retrain",
                }},
            },
        },
        "RetrainSchedule": {
            "Type": "AWS::Events::Rule",
            "Condition": condition,
            "Properties": {
                "Description": "Weekly retraining of the category model (skips when too few new corrections)",
                "ScheduleExpression": "cron(0 3 ? * MON *)",
                "Targets": [{"Id": "retrain", "Arn": _arn(RETRAIN_FUNCTION), "Input": '{"action": "retrain"}'}],
            },
        },
        "RetrainSchedulePermission": {
            "Type": "AWS::Lambda::Permission",
            "Condition": condition,
            "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": {"Ref": RETRAIN_FUNCTION},
                           "Principal": "events.amazonaws.com", "SourceArn": _arn("RetrainSchedule")},
        },
        f"{RETRAIN_FUNCTION}ErrorsAlarm": {
            **_alarm(f"{RETRAIN_FUNCTION}Errors", "Retraining failed", "AWS/Lambda", "Errors",
                     {"FunctionName": {"Ref": RETRAIN_FUNCTION}}, threshold=0, statistic="Sum", period=3600),
            "Condition": condition,
        },
    }


def _sms_keyword_statements() -> list[Statement]:
    """Recording STOP / START / HELP: the number's state and the audit log, in one transaction."""
    return [_allow(["dynamodb:PutItem"], _tables("SmsOptOutsTable", "SmsKeywordLogTable"))]


def role_id(function: str) -> str:
    return f"{function}Role"


# ---------------------------------------------------------------------------------------------------------------
# Alarms to OpsAlarmTopic.

def _alarm(suffix: str, description: str, namespace: str, metric: str, dimensions: dict[str, Any],
           threshold: float, statistic: str = "Maximum", period: int = 60) -> Resource:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": _name(f"alarm-{suffix}"),
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "OpsAlarmTopic"}],
            "OKActions": [{"Ref": "OpsAlarmTopic"}],
        },
    }


def _alarms(items: dict[str, Resource]) -> dict[str, Resource]:
    alarms: dict[str, Resource] = {}
    for logical_id, resource in items.items():
        if resource["Type"] == "AWS::SQS::Queue" and logical_id.endswith("DeadLetterQueue"):
            queue_name = resource["Properties"]["QueueName"]
            alarms[f"{logical_id}Alarm"] = _alarm(
                f"{logical_id}", f"Messages in {logical_id}: they failed {MAX_RECEIVE_COUNT} times",
                "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_name}, threshold=0,
            )
    alarms["IntakeQueueAgeAlarm"] = _alarm(
        "IntakeQueueAge", "The oldest intake message waits over 5 minutes", "AWS/SQS",
        "ApproximateAgeOfOldestMessage", {"QueueName": items["IntakeQueue"]["Properties"]["QueueName"]}, threshold=300,
    )
    for function in (API_FUNCTION, INTAKE_WORKER_FUNCTION, SMS_INBOUND_FUNCTION, EMAIL_INBOUND_FUNCTION,
                     SLA_TIMER_FUNCTION, SLA_SWEEPER_FUNCTION, ROLLUP_FUNCTION, EARLY_WARNING_FUNCTION):
        alarms[f"{function}ErrorsAlarm"] = _alarm(
            f"{function}Errors", f"{function} Lambda errors", "AWS/Lambda", "Errors",
            {"FunctionName": {"Ref": function}}, threshold=0, statistic="Sum", period=300,
        )
    alarms["Api5xxAlarm"] = _alarm(
        "Api5xx", "API Gateway 5XX responses", "AWS/ApiGateway", "5XXError",
        {"ApiName": _name("api"), "Stage": API_STAGE}, threshold=0, statistic="Sum", period=300,
    )
    return alarms


def deploy_resources() -> dict[str, Resource]:
    """Resources that refer to Chalice's functions and API, so only the deploy template has them: one IAM role per
    function and the CloudWatch alarms. The API is named `<stack>-api` by infra.build_template."""
    items: dict[str, Resource] = {
        role_id(function): _role(function, "lambda.amazonaws.com", statements, LAMBDA_MANAGED_POLICIES)
        for function, statements in function_policies().items()
    }
    items.update(_alarms(resources()))
    items.update(retrain_resources())
    items.update({f"{function}InvokeConfig": {
        "Type": "AWS::Lambda::EventInvokeConfig",
        "Properties": {
            "FunctionName": {"Ref": function}, "Qualifier": "$LATEST",
            "MaximumRetryAttempts": ASYNC_RETRY_ATTEMPTS,
            "DestinationConfig": {"OnFailure": {"Destination": _arn(INBOUND_FAILURE_QUEUE)}},
        },
    } for function in SNS_FUNCTIONS})
    return items
