"""EventBridge rules with Lambda targets.

moto delivers matched events to SQS, CloudWatch Logs, archive and event-bus
targets, but raises NotImplementedError for any other target type, so a
PutEvents to a bus whose rule targets a Lambda function fails (HTTP 500)
after the supported targets were already served. moto cannot run functions
without Docker; the sandbox runtime invokes them (it reads the rule's
matches from an SQS target of its own). Here the targets moto cannot serve
are left out of the delivery; the rule keeps them (ListTargetsByRule).

moto's default target input also leaves out the event's "account", which
every EventBridge event carries (the notifier's schema requires it).

A scheduled rule has no event pattern, and moto takes a missing pattern for
one that matches every event: each event put on the default bus (CodePipeline's
state changes among them) fired the scheduled rules' targets, the reconciler
once per event. In EventBridge a scheduled rule only fires on its schedule.
"""

import copy
from typing import Any

from moto.events.models import Rule
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

DELIVERED_SERVICES = ("logs", "events", "sqs")


EVENT_INPUT_TEMPLATE = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", "account": "<account>", '
    '"time": <time>, "region": "<region>", "resources": <resources>, "detail": <detail>}'
)


def install() -> None:
    EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EVENT_INPUT_TEMPLATE
    send_to_targets = Rule.send_to_targets

    def send_to_deliverable_targets(self: Rule, event: Any, transform_input: bool = True) -> None:
        if self.scheduled_expression and not self.event_pattern.get_pattern():
            return
        deliverable = [t for t in self.targets if parse_arn(t["Arn"]).service in DELIVERED_SERVICES]
        if len(deliverable) == len(self.targets):
            return send_to_targets(self, event, transform_input)
        # A copy, because concurrent PutEvents share the rule.
        view = copy.copy(self)
        view.targets = deliverable
        return send_to_targets(view, event, transform_input)

    Rule.send_to_targets = send_to_deliverable_targets
