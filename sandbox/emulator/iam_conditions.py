"""IAM policy conditions evaluated as AWS evaluates them, on the keys the emulator models.

moto evaluates only `StringEquals` and lets every other operator, and every
key a request does not carry, hold: a boundary written with a condition
(a permissions boundary that must be set, a source only one role may put)
proved nothing. Here, following the IAM User Guide ("Condition operators",
"Conditions with multiple context keys or values", "Single-valued vs.
multivalued context keys"):

- Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
  StringNotEqualsIgnoreCase, StringLike, StringNotLike (`*` and `?`
  wildcards), ArnEquals, ArnLike, ArnNotEquals, ArnNotLike (the six
  colon-separated parts matched one by one, each with `*` and `?`; ArnEquals
  matches as ArnLike does), Bool, Null; each but Null with the `IfExists`
  suffix, and the `ForAnyValue:` / `ForAllValues:` set prefixes.
- Several values for one key: any may match (OR); for a negated operator
  none may (NOR). Several keys, several operators: all must hold (AND).
  Condition key names are case-insensitive, values are not (except the
  IgnoreCase operators and Bool).
- A key the request does not carry: a positive operator is false, a negated
  one (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike,
  ArnNotEquals, ArnNotLike) true, `...IfExists` true, `ForAllValues:` true,
  `ForAnyValue:` false; `Null: true` holds exactly when the key is absent.

Only the keys in MODELLED_KEYS get these semantics, because only for them
does the emulator know whether AWS would put them in the request context.
A condition on any other key (kms:ViaService, aws:SourceAccount,
aws:SourceArn, kms:ResourceAliases, tags...) still holds, whatever its
operator, as before: treating those as absent would refuse calls AWS
allows. Operators not listed above (Numeric*, Date*, IpAddress, Binary)
hold too, and policy variables (`${aws:username}`) are compared as written.
"""

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from moto.iam.access_control import IAMPolicyStatement

# Lower-case key -> the request's values for it; a key that is not there is absent.
Context = Mapping[str, Sequence[str]]

MODELLED_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SecureTransport",
        "aws:PrincipalArn",
        "aws:PrincipalAccount",
        "sts:ExternalId",
        "iam:PermissionsBoundary",
        "iam:PolicyARN",
        "iam:PassedToService",
        "s3:x-amz-server-side-encryption",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "events:source",
        "events:detail-type",
    )
)

IF_EXISTS = "IfExists"
FOR_ANY_VALUE = "ForAnyValue"
FOR_ALL_VALUES = "ForAllValues"


@functools.lru_cache(maxsize=4096)
def wildcard_pattern(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """`*` any run of characters, `?` one character, everything else literal."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def string_equals(expected: str, actual: str) -> bool:
    return expected == actual


def string_equals_ignore_case(expected: str, actual: str) -> bool:
    return expected.casefold() == actual.casefold()


def string_like(expected: str, actual: str) -> bool:
    return wildcard_pattern(expected).match(actual) is not None


def arn_like(expected: str, actual: str) -> bool:
    expected_parts, actual_parts = expected.split(":", 5), actual.split(":", 5)
    if len(expected_parts) != 6 or len(actual_parts) != 6:
        return False
    return all(wildcard_pattern(e).match(a) for e, a in zip(expected_parts, actual_parts))


def bool_equals(expected: str, actual: str) -> bool:
    return expected.lower() == actual.lower()


# Each negated operator uses its positive counterpart's matcher; `negated` inverts the outcome.
MATCHERS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (string_equals, False),
    "StringNotEquals": (string_equals, True),
    "StringEqualsIgnoreCase": (string_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (string_equals_ignore_case, True),
    "StringLike": (string_like, False),
    "StringNotLike": (string_like, True),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
    "Bool": (bool_equals, False),
}


@dataclass(frozen=True)
class Operator:
    # None for Null, which tests presence only.
    matcher: Callable[[str, str], bool] | None
    negated: bool
    if_exists: bool
    set_operator: str


@functools.lru_cache(maxsize=256)
def operator_named(name: str) -> Operator | None:
    """The operator a condition block names, or None when the emulator does not evaluate it."""
    set_operator, _, base = name.rpartition(":")
    if set_operator not in ("", FOR_ANY_VALUE, FOR_ALL_VALUES):
        return None
    if base == "Null":
        return Operator(None, False, False, set_operator)
    if_exists = base.endswith(IF_EXISTS)
    matcher = MATCHERS.get(base[: -len(IF_EXISTS)] if if_exists else base)
    if matcher is None:
        return None
    return Operator(matcher[0], matcher[1], if_exists, set_operator)


def policy_values(value: Any) -> list[str]:
    """A condition's values as strings: JSON booleans (Bool, Null) as "true"/"false"."""
    values = value if isinstance(value, list) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]


def key_holds(operator: Operator, expected: list[str], actual: Sequence[str] | None) -> bool:
    present = bool(actual)
    if operator.matcher is None:
        # Null: "true" asks for the key to be absent, "false" for it to be there.
        return any((value.lower() == "true") != present for value in expected)
    if not actual:
        if operator.if_exists or operator.set_operator == FOR_ALL_VALUES:
            return True
        if operator.set_operator == FOR_ANY_VALUE:
            return False
        return operator.negated
    matcher = operator.matcher

    def value_holds(value: str) -> bool:
        return any(matcher(e, value) for e in expected) != operator.negated

    if operator.set_operator == FOR_ALL_VALUES:
        return all(value_holds(value) for value in actual)
    return any(value_holds(value) for value in actual)


def conditions_hold(block: Mapping[str, Any], context: Context) -> bool:
    """Whether a statement's Condition block holds for a request with this context."""
    for operator_name, keys in block.items():
        operator = operator_named(operator_name)
        if operator is None:
            continue
        for key, value in keys.items():
            name = key.lower()
            if name in MODELLED_KEYS and not key_holds(operator, policy_values(value), context.get(name)):
                return False
    return True


def statement_conditions_hold(self: IAMPolicyStatement, context: Context | None) -> bool:
    return conditions_hold(self._statement.get("Condition") or {}, context or {})


def install() -> None:
    IAMPolicyStatement._check_conditions = statement_conditions_hold
