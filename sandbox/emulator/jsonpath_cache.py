"""Cached JSONPath parsing for moto's EventBridge.

moto builds the input of every rule target from the event with jsonpath_ng
(eight paths for a target without an input transformer), and
`jsonpath_ng.ext.parse()` builds a new PLY parser table on every call,
about 25 ms each. A PutEvents to a bus with an archive and an SQS target
cost ~0.4 s of CPU, which a burst of webhook deliveries turned into
multi-second latencies and timeouts. Parsed expressions are immutable
(`find` does not change them), so each distinct expression is parsed once,
the default paths already at startup (the first events of a burst would
otherwise all parse them at the same time).
"""

import functools

import jsonpath_ng.ext
from moto.events.utils import EventTemplateParser


def install() -> None:
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    for path in EventTemplateParser.DEFAULT_EVENT_INPUT_PATHS_MAP.values():
        jsonpath_ng.ext.parse(path)
