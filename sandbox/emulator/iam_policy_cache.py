"""Policy documents parsed once, not on every request.

With IAM checks on, moto parses every identity policy of the caller from
JSON and builds a regular expression from every Action and Resource pattern
it compares, on every request (a tenth of the emulator's CPU in a burst).
Documents and patterns do not change meaning between requests, so the parsed
documents (read-only from then on) and the compiled patterns are remembered
by their text. A changed policy is a new text, so nothing goes stale.
"""

import functools
import json
import re
from typing import Any

from moto.iam.access_control import IAMPolicy, IAMPolicyStatement
from moto.iam.models import Policy


@functools.lru_cache(maxsize=2048)
def parsed_document(document: str) -> Any:
    return json.loads(document)


@functools.lru_cache(maxsize=8192)
def compiled_pattern(pattern: str) -> re.Pattern[str]:
    # moto's own translation: only "*" is a wildcard, nothing is escaped.
    return re.compile(f"^{pattern.replace('*', '.*')}$")


def document_of(policy: Any) -> Any:
    """The JSON text moto would parse: a document, an inline policy, or a managed policy's default version."""
    if isinstance(policy, str):
        return policy
    if isinstance(policy, dict):
        return policy.get("policy_document")
    if isinstance(policy, Policy):
        return next((version.document for version in policy.versions if version.is_default), None)
    return None


def install() -> None:
    moto_init = IAMPolicy.__init__

    def init(self: IAMPolicy, policy: Any) -> None:
        document = document_of(policy)
        if isinstance(document, str):
            self._policy_json = parsed_document(document)
        else:
            moto_init(self, policy)

    IAMPolicy.__init__ = init
    IAMPolicyStatement._match = staticmethod(lambda pattern, string: compiled_pattern(pattern).match(string))
