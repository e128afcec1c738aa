import {
  CodePipelineClient,
  ConcurrentModificationException,
  DeletePipelineCommand,
  DuplicatedStopRequestException,
  ListActionExecutionsCommand,
  PipelineNotFoundException,
  StopPipelineExecutionCommand,
} from "@aws-sdk/client-codepipeline";
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { CodePipelineGateway, S3ArtifactGateway } from "../../../functions/pr-pipelines/aws";
import { ArtifactCleanupError } from "../../../functions/pr-pipelines/errors";
import { FakeAws, REGION, throttling } from "./support/fake-aws";
import { mainPipelineV2 } from "./support/fixtures";

describe("CodePipelineGateway", () => {
  let aws: FakeAws;
  const gateway = () => new CodePipelineGateway(new CodePipelineClient({ region: REGION }));
  beforeEach(() => {
    aws = new FakeAws("unused");
  });
  afterEach(() => aws.restore());

  it("answers a missing pipeline with undefined, an empty execution list and 'missing'", async () => {
    await expect(gateway().getPipeline("nope")).resolves.toBeUndefined();
    await expect(gateway().listExecutions("nope")).resolves.toEqual([]);
    await expect(gateway().listOutputArtifacts("nope")).resolves.toEqual([]);
    aws.codepipeline.on(DeletePipelineCommand).rejects(new PipelineNotFoundException({ message: "gone", $metadata: {} }));
    await expect(gateway().deletePipeline("nope")).resolves.toBe("missing");
  });

  it("answers a name already in use with 'exists' and passes other failures on", async () => {
    aws.addPipeline(mainPipelineV2());
    await expect(gateway().createPipeline(mainPipelineV2(), [])).resolves.toBe("exists");
    aws.failNext("CreatePipeline", new ConcurrentModificationException({ message: "busy", $metadata: {} }));
    await expect(gateway().createPipeline({ ...mainPipelineV2(), name: "fresh" }, [])).rejects.toThrow("busy");
    aws.failNext("GetPipeline", throttling());
    await expect(gateway().getPipeline("pipewright-orders")).rejects.toThrow("Rate exceeded");
  });

  it("reads every page of executions, and the action outputs of every execution in one listing", async () => {
    aws.addPipeline(mainPipelineV2());
    for (let index = 0; index < 4; index++) aws.addExecution("pipewright-orders", { id: `e${index}` });
    aws.addExecution("pipewright-orders", { id: "first", artifacts: [{ bucket: "b", key: "k0" }] });
    aws.addExecution("pipewright-orders", {
      id: "with-artifacts",
      artifacts: [
        { bucket: "b", key: "k1" },
        { bucket: "b", key: "k2" },
        { bucket: "c", key: "k3" },
      ],
    });
    await expect(gateway().listExecutions("pipewright-orders")).resolves.toHaveLength(6);
    await expect(gateway().listOutputArtifacts("pipewright-orders")).resolves.toEqual(
      expect.arrayContaining([
        { bucket: "b", key: "k0" },
        { bucket: "b", key: "k1" },
        { bucket: "b", key: "k2" },
        { bucket: "c", key: "k3" },
      ]),
    );
    // One unfiltered listing (one item per page in the fake), not one per execution.
    expect(aws.sent(ListActionExecutionsCommand)).toEqual([
      { pipelineName: "pipewright-orders", maxResults: 100, nextToken: undefined },
      ...["1", "2", "3"].map((nextToken) => ({ pipelineName: "pipewright-orders", maxResults: 100, nextToken })),
    ]);
  });

  it("treats an execution that already ended or is already stopping as not stoppable", async () => {
    aws.addPipeline(mainPipelineV2());
    const done = aws.addExecution("pipewright-orders", { status: "Succeeded" });
    await expect(gateway().abandonExecution("pipewright-orders", done.id, "why")).resolves.toBe("not-stoppable");
    aws.codepipeline.on(StopPipelineExecutionCommand).rejects(new DuplicatedStopRequestException({ message: "dup", $metadata: {} }));
    await expect(gateway().abandonExecution("pipewright-orders", done.id, "why")).resolves.toBe("not-stoppable");
  });

  it("keeps the stop reason within the API's 200 characters", async () => {
    aws.addPipeline(mainPipelineV2());
    const running = aws.addExecution("pipewright-orders", { status: "InProgress" });
    await gateway().abandonExecution("pipewright-orders", running.id, "x".repeat(300));
    expect(aws.codepipeline.commandCalls(StopPipelineExecutionCommand)[0]?.args[0].input.reason).toHaveLength(200);
  });
});

describe("S3ArtifactGateway", () => {
  const s3 = mockClient(S3Client);
  const gateway = () => new S3ArtifactGateway(new S3Client({ region: REGION }));
  beforeEach(() => s3.reset());
  afterAll(() => s3.restore());

  it("stops listing once the pages move past the exact key, and deletes only that key", async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        Versions: [
          { Key: "a/k", VersionId: "1" },
          { Key: "a/k", VersionId: "2" },
        ],
        IsTruncated: true,
        NextKeyMarker: "a/k",
        NextVersionIdMarker: "2",
      })
      .resolvesOnce({
        Versions: [{ Key: "a/k0", VersionId: "9" }],
        DeleteMarkers: [{ Key: "a/k", VersionId: "3" }],
        IsTruncated: true,
        NextKeyMarker: "a/k0",
        NextVersionIdMarker: "9",
      })
      .rejects(new Error("listed past the key"));
    s3.on(DeleteObjectsCommand).resolves({});

    await expect(gateway().deleteAllVersions("bucket", ["a/k"])).resolves.toBe(3);
    const listed = s3.commandCalls(ListObjectVersionsCommand).map((call) => call.args[0].input);
    expect(listed[1]).toMatchObject({ Prefix: "a/k", KeyMarker: "a/k", VersionIdMarker: "2" });
    expect(s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects).toEqual([
      { Key: "a/k", VersionId: "1" },
      { Key: "a/k", VersionId: "2" },
      { Key: "a/k", VersionId: "3" },
    ]);
  });

  it("reports versions S3 did not delete with a named error", async () => {
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: "a/k", VersionId: "1" }], IsTruncated: false });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: "a/k", VersionId: "1", Code: "AccessDenied", Message: "Access Denied" }] });
    const failure = await gateway()
      .deleteAllVersions("bucket", ["a/k"])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ArtifactCleanupError);
    expect((failure as Error).message).toContain("a/k@1: AccessDenied");
    expect((failure as Error).message).toContain("s3:DeleteObjectVersion");
  });

  it("lists the versions of up to 4 keys at once and deletes them in the order of the keys", async () => {
    let listing = 0;
    let most = 0;
    s3.on(ListObjectVersionsCommand).callsFake(async ({ Prefix }: { Prefix: string }) => {
      listing += 1;
      most = Math.max(most, listing);
      await new Promise((resolve) => setTimeout(resolve, 5));
      listing -= 1;
      return { Versions: [{ Key: Prefix, VersionId: "v" }], IsTruncated: false };
    });
    s3.on(DeleteObjectsCommand).resolves({});
    const keys = ["k1", "k2", "k3", "k4", "k5", "k6"];
    await expect(gateway().deleteAllVersions("bucket", keys)).resolves.toBe(6);
    expect(most).toBe(4);
    expect(s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects?.map((object) => object.Key)).toEqual(keys);
  });

  it("does not call DeleteObjects when nothing is left", async () => {
    s3.on(ListObjectVersionsCommand).resolves({ IsTruncated: false });
    await expect(gateway().deleteAllVersions("bucket", ["a/k", "a/k"])).resolves.toBe(0);
    expect(s3.commandCalls(ListObjectVersionsCommand)).toHaveLength(1);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });
});
