"""Listings that iterate a snapshot, for moto's threaded server.

moto's backends keep their resources in plain dicts and the server answers
each request on its own thread. ListPipelines iterated the pipelines dict
while a concurrent CreatePipeline or DeletePipeline changed it, which ends
in "RuntimeError: dictionary changed size during iteration" (HTTP 500): a
burst of pull requests, each creating pipelines, met any caller listing
them. Copying the dict's items is atomic under the GIL, so the listing
iterates that copy.
"""

from typing import Any

from moto.codepipeline.models import CodePipelineBackend


def list_pipelines_snapshot(self: CodePipelineBackend) -> list[dict[str, Any]]:
    pipelines = [
        {
            "name": name,
            "version": codepipeline.pipeline["version"],
            "created": codepipeline.metadata["created"],
            "updated": codepipeline.metadata["updated"],
        }
        for name, codepipeline in list(self.pipelines.items())
    ]
    return sorted(pipelines, key=lambda i: i["name"])


def install() -> None:
    CodePipelineBackend.list_pipelines = list_pipelines_snapshot
