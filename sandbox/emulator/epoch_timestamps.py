"""Make CodePipeline, CodeDeploy and CodeBuild send timestamps as epoch seconds.

These three are AWS JSON-protocol services: timestamps travel as JSON numbers
(epoch seconds). moto formats them with `iso_8601_datetime_with_milliseconds`,
which the JS SDK v3 and the Terraform AWS provider reject with "expected
Timestamp to be a JSON Number". The formatter is looked up in each models
module's globals at call time, so rebinding that one name per module fixes
exactly these services and leaves moto's other (XML/REST) services alone.
"""

import moto.codebuild.models
import moto.codedeploy.models
import moto.codepipeline.models
from moto.core.utils import unix_time

PATCHED_MODULES = (
    moto.codepipeline.models,
    moto.codedeploy.models,
    moto.codebuild.models,
)


def install() -> None:
    # unix_time has the formatter's signature: (datetime | None) -> float.
    # CodeBuild re-parses its own startTime with botocore's timestamp parser,
    # which accepts epoch numbers as well as ISO strings.
    for module in PATCHED_MODULES:
        module.iso_8601_datetime_with_milliseconds = unix_time  # type: ignore[attr-defined]
