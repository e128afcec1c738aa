"""CodeBuild projects whose source and artifacts come from CodePipeline.

AWS ignores `location` for CODEPIPELINE (and NO_SOURCE) sources and for
CODEPIPELINE artifacts: the pipeline hands the project its input and takes
its output. Stock moto insists on a location and answers
`InvalidInputException: Project source location is required`, so the
delivery pipelines' build projects could not be created. These wrappers
skip moto's location check only for those types and keep its other checks.
"""

from typing import Any

import moto.codebuild.responses as codebuild_responses

LOCATIONLESS_SOURCES = ("CODEPIPELINE", "NO_SOURCE")
LOCATIONLESS_ARTIFACTS = ("CODEPIPELINE",)


def install() -> None:
    validate_source = codebuild_responses._validate_required_params_source
    validate_artifacts = codebuild_responses._validate_required_params_artifacts

    def source_without_location(source: dict[str, Any]) -> None:
        if source.get("type") in LOCATIONLESS_SOURCES:
            source = {**source, "location": source.get("location") or "pipeline"}
        validate_source(source)

    def artifacts_without_location(artifacts: dict[str, Any]) -> None:
        if artifacts.get("type") in LOCATIONLESS_ARTIFACTS:
            artifacts = {**artifacts, "location": artifacts.get("location") or "pipeline"}
        validate_artifacts(artifacts)

    codebuild_responses._validate_required_params_source = source_without_location
    codebuild_responses._validate_required_params_artifacts = artifacts_without_location
