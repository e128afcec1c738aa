"""SQS queue attributes computed once per question, not once per message.

moto builds a queue's whole attribute map (about twenty getters, three of
them walking every message in the queue) three times for each attribute
asked for, and ReceiveMessage asks for MessageRetentionPeriod once for every
message it looks at. With 50 deliveries waiting in a rule's queue, a receive
walked the queue hundreds of times per message. Same answers and errors: one
map per call, and the retention period read directly.
"""

from typing import Any

from moto.core.utils import unix_time
from moto.sqs.exceptions import InvalidAttributeName
from moto.sqs.models import Message, SQSBackend


def get_queue_attributes(self: SQSBackend, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
    queue = self.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid_names = ["All"] + queue.BASE_ATTRIBUTES + queue.FIFO_ATTRIBUTES + queue.KMS_ATTRIBUTES
    invalid_name = next((name for name in attribute_names if name not in valid_names), None)
    if invalid_name or invalid_name == "":
        raise InvalidAttributeName(invalid_name)
    attributes = queue.attributes
    if "All" in attribute_names:
        return attributes
    return {name: attributes[name] for name in attribute_names if attributes.get(name) is not None}


def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_period = int(self.get_queue(queue_name).message_retention_period)
    return retention_period + message.sent_timestamp / 1000 > unix_time()  # type: ignore[operator]


def install() -> None:
    SQSBackend.get_queue_attributes = get_queue_attributes
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
