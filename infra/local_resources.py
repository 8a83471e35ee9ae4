"""Creates the resources of `infra.resources.resources()` in a moto server, the way CloudFormation would.

A small interpreter: each supported resource type has a creator that calls boto3 and returns the resource's
attributes (`Ref`, `Arn`, ...); the intrinsics Fn::Sub, Ref, Fn::GetAtt and Fn::Join are resolved against them,
creating a referenced resource first when needed. Types that mean nothing locally (IAM, alarms, SES
receipt rules) are not created but listed, and a reference to one resolves to a placeholder name/ARN (moto does
not enforce IAM); any other type raises, so no resource is silently left out locally.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import boto3

ACCOUNT_ID = "123456789012"  # moto's default account

SKIPPED_TYPES = {
    "AWS::IAM::Role": "IAM is not enforced by moto",
    "AWS::IAM::Policy": "IAM is not enforced by moto",
    "AWS::IAM::ManagedPolicy": "IAM is not enforced by moto",
    "AWS::CloudWatch::Alarm": "no metrics are published locally",
    "AWS::SQS::QueuePolicy": "moto does not enforce resource policies",
    "AWS::SNS::TopicPolicy": "moto does not enforce resource policies",
    "AWS::S3::BucketPolicy": "moto does not enforce resource policies",
    "AWS::SES::ReceiptRuleSet": "no mail reaches a local stack: publish SES notifications to the inbound topic",
    "AWS::SES::ReceiptRule": "no mail reaches a local stack: publish SES notifications to the inbound topic",
    "AWS::SES::ConfigurationSet": "NOTIFIER=outbox writes customer messages to a file instead of SES",
    "AWS::SES::ConfigurationSetEventDestination": "NOTIFIER=outbox: no SES feedback locally",
    "AWS::ApiGateway::GatewayResponse": "infra.local_api answers an unknown path with the same JSON 404 itself",
}


class UnsupportedResource(Exception):
    pass


@dataclass
class LocalStack:
    """What was created: attributes per logical id, the skipped resources and the resolved function environment."""

    stack_name: str
    region: str
    created: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> {"Type", "Ref", "Arn", ...}
    skipped: dict[str, dict[str, str]] = field(default_factory=dict)  # logical id -> placeholder {"Type", "Ref", "Arn"}
    environment: dict[str, str] = field(default_factory=dict)

    def of_type(self, resource_type: str) -> dict[str, dict[str, str]]:
        return {lid: attrs for lid, attrs in self.created.items() if attrs["Type"] == resource_type}


class _Builder:
    def __init__(self, definitions: dict[str, Any], stack: LocalStack, session: boto3.Session, endpoint: str | None,
                 secret_values: dict[str, str]):
        self.definitions = definitions
        self.stack = stack
        self.secret_values = secret_values
        self._client_args = {"region_name": stack.region, "endpoint_url": endpoint}
        self._session = session
        self._clients: dict[str, Any] = {}
        self._creating: set[str] = set()

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service, **self._client_args)
        return self._clients[service]

    def ensure(self, logical_id: str) -> dict[str, str]:
        """Creates the resource (and, through its properties, what it references) unless already created."""
        known = self.stack.created.get(logical_id) or self.stack.skipped.get(logical_id)
        if known:
            return known
        if logical_id not in self.definitions:
            raise UnsupportedResource(f"reference to unknown resource {logical_id!r}")
        if self.definitions[logical_id]["Type"] in SKIPPED_TYPES:
            self.stack.skipped[logical_id] = self._placeholder(logical_id)
            return self.stack.skipped[logical_id]
        if logical_id in self._creating:
            raise UnsupportedResource(f"circular reference through {logical_id}")
        self._creating.add(logical_id)
        definition = self.definitions[logical_id]
        resource_type = definition["Type"]
        properties = self.resolve(definition.get("Properties", {}))
        if logical_id in self.secret_values:
            properties["SecretString"] = self.secret_values[logical_id]
        attributes = CREATORS[resource_type](self, properties)
        self.stack.created[logical_id] = {"Type": resource_type, **attributes}
        return self.stack.created[logical_id]

    def _placeholder(self, logical_id: str) -> dict[str, str]:
        """Attributes of a resource that is not created: its *Name property (or logical id) and an ARN of that name."""
        resource_type = self.definitions[logical_id]["Type"]
        properties = self.definitions[logical_id].get("Properties", {})
        name_key = next((k for k in properties if k.endswith("Name") and k != "DisplayName"), None)
        name = str(self.resolve(properties[name_key])) if name_key else logical_id
        _, service, kind = resource_type.lower().split("::")
        region = "" if service == "iam" else self.stack.region
        return {"Type": resource_type, "Ref": name, "Arn": f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{kind}/{name}"}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, argument), = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                return self._attribute(self.ensure(logical_id), logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(i) for i in self.resolve(items))
            if key.startswith("Fn::"):
                raise UnsupportedResource(f"intrinsic {key} is not supported by infra.local_resources")
        return {k: self.resolve(v) for k, v in value.items()}

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::StackName": self.stack.stack_name, "AWS::Region": self.stack.region,
            "AWS::AccountId": ACCOUNT_ID, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com",
        }
        return pseudo[name] if name in pseudo else self.ensure(name)["Ref"]

    @staticmethod
    def _attribute(attributes: dict[str, str], logical_id: str, name: str) -> str:
        if name not in attributes:
            raise UnsupportedResource(f"Fn::GetAtt {logical_id}.{name} is not provided locally")
        return attributes[name]

    def _sub(self, argument: str | list) -> str:
        template, variables = (argument, {}) if isinstance(argument, str) else (argument[0], self.resolve(argument[1]))

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.resolve({"Fn::GetAtt": name})
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", substitute, template)


def _table(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    passed_as_is = ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "GlobalSecondaryIndexes",
                    "LocalSecondaryIndexes", "ProvisionedThroughput")
    args: dict[str, Any] = {k: p[k] for k in passed_as_is if k in p}
    # No StreamSpecification: moto cannot serve streams to this botocore, and keeps every record in memory;
    # locally the repository feeds the stream's consumer itself (ROLLUPS_INLINE).
    if "SSESpecification" in p:
        args["SSESpecification"] = {"Enabled": bool(p["SSESpecification"].get("SSEEnabled"))}
    ddb = b.client("dynamodb")
    description = ddb.create_table(**args)["TableDescription"]
    if "TimeToLiveSpecification" in p:
        ddb.update_time_to_live(TableName=args["TableName"], TimeToLiveSpecification=p["TimeToLiveSpecification"])
    attributes = {"Ref": description["TableName"], "Arn": description["TableArn"]}
    attributes["StreamArn"] = description.get("LatestStreamArn") or f"{description['TableArn']}/stream/local"
    return attributes


def _attribute_value(value: Any) -> str:
    """SQS and SNS take attributes as strings: JSON for policies, lower-case booleans."""
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _queue(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    sqs = b.client("sqs")
    attributes = {k: _attribute_value(v) for k, v in p.items() if k not in ("QueueName", "Tags")}
    url = sqs.create_queue(QueueName=p["QueueName"], Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Ref": url, "Arn": arn, "QueueName": p["QueueName"], "QueueUrl": url}


def _topic(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    attributes = {k: _attribute_value(p[k]) for k in ("DisplayName", "KmsMasterKeyId", "FifoTopic") if k in p}
    arn = b.client("sns").create_topic(Name=p["TopicName"], Attributes=attributes)["TopicArn"]
    return {"Ref": arn, "TopicArn": arn, "TopicName": p["TopicName"]}


def _subscription(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    attributes = {k: _attribute_value(v) for k, v in p.items()
                  if k in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope")}
    arn = b.client("sns").subscribe(TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"],
                                    Attributes=attributes, ReturnSubscriptionArn=True)["SubscriptionArn"]
    return {"Ref": arn, "Arn": arn}


def _bucket(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    """CloudFormation names the bucket in AWS; locally it is `<stack>-bucket-<n>`."""
    name = p.get("BucketName") or f"{b.stack.stack_name.lower()}-bucket-{sum(a['Type'] == 'AWS::S3::Bucket' for a in b.stack.created.values()) + 1}"
    s3 = b.client("s3")
    s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": {"LocationConstraint": b.stack.region}}
                                     if b.stack.region != "us-east-1" else {}))
    if p.get("VersioningConfiguration", {}).get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if "LifecycleConfiguration" in p:
        rules = [{"ID": r["Id"], "Status": r["Status"], "Filter": {"Prefix": r.get("Prefix", "")},
                  "Expiration": {"Days": r["ExpirationInDays"]}} for r in p["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    return {"Ref": name, "Arn": f"arn:aws:s3:::{name}", "BucketName": name}


def _secret(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    secrets = b.client("secretsmanager")
    value = p.get("SecretString")
    if value is None:
        options = p.get("GenerateSecretString", {})
        value = secrets.get_random_password(**{k: v for k, v in options.items() if k != "GenerateStringKey"})
        value = value["RandomPassword"]
    arn = secrets.create_secret(Name=p["Name"], Description=p.get("Description", ""), SecretString=value)["ARN"]
    return {"Ref": arn, "Id": arn, "Name": p["Name"]}


def _schedule_group(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    arn = b.client("scheduler").create_schedule_group(Name=p["Name"])["ScheduleGroupArn"]
    return {"Ref": p["Name"], "Arn": arn}


def _user_pool(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    keys = ("Policies", "AliasAttributes", "UsernameAttributes", "AutoVerifiedAttributes", "MfaConfiguration",
            "AdminCreateUserConfig", "UsernameConfiguration")
    pool = b.client("cognito-idp").create_user_pool(PoolName=p["UserPoolName"], **{k: p[k] for k in keys if k in p})
    pool = pool["UserPool"]
    return {"Ref": pool["Id"], "Arn": pool["Arn"], "ProviderName": f"cognito-idp.{b.stack.region}.amazonaws.com/{pool['Id']}"}


def _user_pool_client(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    keys = ("ExplicitAuthFlows", "GenerateSecret", "PreventUserExistenceErrors")
    client = b.client("cognito-idp").create_user_pool_client(
        UserPoolId=p["UserPoolId"], ClientName=p["ClientName"], **{k: p[k] for k in keys if k in p})["UserPoolClient"]
    return {"Ref": client["ClientId"], "ClientId": client["ClientId"]}


def _user_pool_group(b: _Builder, p: dict[str, Any]) -> dict[str, str]:
    b.client("cognito-idp").create_group(GroupName=p["GroupName"], UserPoolId=p["UserPoolId"])
    return {"Ref": p["GroupName"]}


CREATORS: dict[str, Callable[[_Builder, dict[str, Any]], dict[str, str]]] = {
    "AWS::DynamoDB::Table": _table,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::Subscription": _subscription,
    "AWS::S3::Bucket": _bucket,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::Scheduler::ScheduleGroup": _schedule_group,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolGroup": _user_pool_group,
}


def create_resources(
    definitions: dict[str, Any],
    environment: dict[str, Any],
    *,
    stack_name: str = "local",
    region: str = "us-east-1",
    endpoint_url: str | None = None,
    secret_values: dict[str, str] | None = None,
    session: boto3.Session | None = None,
) -> LocalStack:
    """Creates every resource and resolves `environment` (CloudFormation values) to physical names/URLs/ARNs.

    `secret_values` maps a secret's logical id to the value to store instead of a generated one.
    """
    unknown = {d["Type"] for d in definitions.values()} - set(CREATORS) - set(SKIPPED_TYPES)
    if unknown:
        raise UnsupportedResource(
            f"infra.local_resources cannot create {sorted(unknown)}: add a creator (or a reason to skip) for each"
        )
    stack = LocalStack(stack_name=stack_name, region=region)
    builder = _Builder(definitions, stack, session or boto3.Session(), endpoint_url, secret_values or {})
    for logical_id in definitions:
        builder.ensure(logical_id)
    stack.environment = {name: str(builder.resolve(value)) for name, value in environment.items()}
    return stack


def describe_skipped(stack: LocalStack) -> list[str]:
    return [f"{lid} ({a['Type']}, placeholder {a['Arn']}): {SKIPPED_TYPES[a['Type']]}"
            for lid, a in stack.skipped.items()]
