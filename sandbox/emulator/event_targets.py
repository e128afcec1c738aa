"""EventBridge rules with Lambda targets.

moto delivers matched events to SQS, CloudWatch Logs, archive and event-bus
targets, but raises NotImplementedError for any other target type, so a
PutEvents to a bus whose rule targets a Lambda function fails (HTTP 500)
after the supported targets were already served. moto cannot run functions
without Docker; the sandbox runtime invokes them (it reads the rule's
matches from an SQS target of its own). Here the targets moto cannot serve
are left out of the delivery; the rule keeps them (ListTargetsByRule).
"""

import copy
from typing import Any

from moto.events.models import Rule
from moto.utilities.arns import parse_arn

DELIVERED_SERVICES = ("logs", "events", "sqs")


def install() -> None:
    send_to_targets = Rule.send_to_targets

    def send_to_deliverable_targets(self: Rule, event: Any, transform_input: bool = True) -> None:
        deliverable = [t for t in self.targets if parse_arn(t["Arn"]).service in DELIVERED_SERVICES]
        if len(deliverable) == len(self.targets):
            return send_to_targets(self, event, transform_input)
        # A copy, because concurrent PutEvents share the rule.
        view = copy.copy(self)
        view.targets = deliverable
        return send_to_targets(view, event, transform_input)

    Rule.send_to_targets = send_to_deliverable_targets
