"""The error shape of AWS JSON-protocol services, for the calls added to moto."""

from moto.core.exceptions import JsonRESTError


class AwsJsonError(JsonRESTError):
    """HTTP 400 with `{"__type": <error code>, "message": ...}`.

    The SDKs pick the exception class from `__type`, so the code must be the
    exact name from the service's API reference (e.g. "ValidationException").
    """

    code = 400

    def __init__(self, error_type: str, message: str):
        super().__init__(error_type, message)


def validation_error(message: str) -> AwsJsonError:
    return AwsJsonError("ValidationException", message)
