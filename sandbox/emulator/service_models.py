"""Services loaded before the first burst, not during it.

moto imports a service's modules and loads its botocore model on the
service's first request. Terraform's apply touches most services, but what
only the functions call was loaded in the middle of the first burst of
webhook deliveries, holding the GIL: CloudFormation (a PR's close deletes its
preview stacks) imports every other moto backend, ~0.7 s; a model load lists
botocore's data folder (~6,000 stat calls) and parses up to a few MB of JSON.
`warm()` loads them in the background once the emulator answers, while
Terraform waits on its own timers.
"""

import threading

from moto.backends import get_backend
from moto.core.utils import get_service_model

# Everything the sandbox's stacks and functions call: (moto backend, botocore model).
SERVICES = (
    ("sts", "sts"), ("cloudformation", "cloudformation"), ("codepipeline", "codepipeline"),
    ("codebuild", "codebuild"), ("codedeploy", "codedeploy"), ("dynamodb", "dynamodb"), ("sqs", "sqs"),
    ("s3", "s3"), ("events", "events"), ("sns", "sns"), ("secretsmanager", "secretsmanager"), ("iam", "iam"),
    ("kms", "kms"), ("awslambda", "lambda"), ("logs", "logs"), ("cloudwatch", "cloudwatch"),
    ("apigatewayv2", "apigatewayv2"),
)


def warm() -> None:
    def load_all() -> None:
        for backend, model in SERVICES:
            get_backend(backend)  # type: ignore[call-overload]
            get_service_model(model)

    threading.Thread(target=load_all, name="service-models", daemon=True).start()
