"""Outcomes on demand for the actions nothing runs: builds, deploys, tests, invokes.

`POST /pipewright/action-outcomes` with `{"rules": [{"pipeline": "pipewright-*", "stage": "Build",
"outcome": "Succeeded"}, ...]}` replaces the rules. When an execution starts an action that is
neither a Source nor an Approval, the first rule whose given fields all match it decides:
Succeeded or Failed finish the action at once (with the rule's summary), InProgress leaves it
running, as does no rule at all (the default). `pipeline` is an fnmatch glob of the pipeline's
name; `stage`, `action` and `category` (optional) must equal the action's. The rules hold for
every account and Region. `GET /pipewright/action-outcomes` answers them; `DELETE` clears them
and answers what was set.
"""

import json
import threading
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

OUTCOMES = ("Succeeded", "Failed", "InProgress")
# Sources succeed and approvals wait for PutApprovalResult: rules decide only the others.
DECIDED_CATEGORIES = ("Build", "Deploy", "Test", "Invoke", "Compute")
RULE_KEYS = ("pipeline", "stage", "action", "category", "outcome", "summary")
# ExecutionDetails.summary in the CodePipeline API reference.
MAX_SUMMARY_LENGTH = 2048


class ActionOutcomesError(ValueError):
    pass


class Outcome(NamedTuple):
    status: str
    summary: str | None


_lock = threading.Lock()
_rules: tuple[dict[str, str], ...] = ()


def _shown(value: Any) -> str:
    """A value as the JSON it was POSTed as."""
    return json.dumps(value)


def _name_field(rule: dict[str, Any], where: str, key: str, required: bool) -> None:
    value = rule.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value:
        kind = "an fnmatch glob of pipeline names such as \"pipewright-*\"" if key == "pipeline" else "a non-empty string"
        raise ActionOutcomesError(f"{where}.{key} must be {kind}, not {_shown(value)}")


def _validated_rule(rule: Any, where: str) -> dict[str, str]:
    if not isinstance(rule, dict):
        raise ActionOutcomesError(f"{where} must be a JSON object, not {_shown(rule)}")
    unknown = sorted(set(rule) - set(RULE_KEYS))
    if unknown:
        raise ActionOutcomesError(f"{where} has unknown fields {', '.join(unknown)}; a rule has only {', '.join(RULE_KEYS)}")
    _name_field(rule, where, "pipeline", required=True)
    for key in ("stage", "action", "category"):
        _name_field(rule, where, key, required=False)
    category = rule.get("category")
    if category is not None and category not in DECIDED_CATEGORIES:
        raise ActionOutcomesError(
            f"{where}.category must be one of {', '.join(DECIDED_CATEGORIES)}, not {_shown(category)} "
            "(Source actions always succeed and Approval actions wait for PutApprovalResult)"
        )
    if rule.get("outcome") not in OUTCOMES:
        raise ActionOutcomesError(f"{where}.outcome must be one of {', '.join(OUTCOMES)}, not {_shown(rule.get('outcome'))}")
    summary = rule.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise ActionOutcomesError(f"{where}.summary must be a string, not {_shown(summary)}")
    if summary is not None and len(summary) > MAX_SUMMARY_LENGTH:
        raise ActionOutcomesError(f"{where}.summary has {len(summary)} characters; an action's summary has at most {MAX_SUMMARY_LENGTH}")
    return {key: rule[key] for key in RULE_KEYS if rule.get(key) is not None}


def set_rules(body: Any) -> None:
    """Replaces the rules with the POSTed body's; raises ActionOutcomesError naming what is wrong."""
    global _rules
    if not isinstance(body, dict) or set(body) != {"rules"} or not isinstance(body["rules"], list):
        raise ActionOutcomesError(f"the body must be a JSON object with one field, rules, a list of rules, not {_shown(body)}")
    rules = tuple(_validated_rule(rule, f"rules[{index}]") for index, rule in enumerate(body["rules"]))
    with _lock:
        _rules = rules


def describe() -> dict[str, Any]:
    with _lock:
        return {"rules": list(_rules)}


def clear() -> dict[str, Any]:
    """Clears the rules; returns what was set."""
    global _rules
    with _lock:
        report = {"rules": list(_rules)}
        _rules = ()
    return report


def decide(pipeline: str, stage: str, action: str, category: str) -> Outcome | None:
    """The outcome of the first rule matching the action, or None (the action stays in progress)."""
    with _lock:
        rules = _rules
    facts = {"stage": stage, "action": action, "category": category}
    for rule in rules:
        if fnmatchcase(pipeline, rule["pipeline"]) and all(rule.get(key, value) == value for key, value in facts.items()):
            return Outcome(rule["outcome"], rule.get("summary"))
    return None
