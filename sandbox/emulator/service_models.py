"""Service models loaded before the first burst, not during it.

moto loads a service's botocore model on its first request: it lists
botocore's data folder (~6,000 stat calls) and parses a JSON file of up to
a few MB. Terraform's apply already touches most services, but what only the
functions call (STS, CloudFormation on a PR's close, ...) was loaded in the
middle of the first burst of webhook deliveries. `warm()` loads them in the
background once the emulator answers, while Terraform waits on its own
timers.
"""

import threading

from moto.core.utils import get_service_model

# Everything the sandbox's stacks and functions call.
SERVICES = (
    "sts", "cloudformation", "codepipeline", "codebuild", "codedeploy", "dynamodb", "sqs", "s3",
    "events", "sns", "secretsmanager", "iam", "kms", "lambda", "logs", "cloudwatch", "apigatewayv2",
)


def warm() -> None:
    def load_all() -> None:
        for service in SERVICES:
            get_service_model(service)

    threading.Thread(target=load_all, name="service-models", daemon=True).start()
