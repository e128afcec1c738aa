/**
 * Throttling on demand (sandbox/emulator/faults.py): a share of the named
 * actions' calls answers as AWS does over its rate limits, spread evenly and
 * the same in every run; other actions and services are left alone; the
 * SDK sees a throttling error it retries.
 */
import { CodePipelineClient, GetPipelineCommand, ListPipelinesCommand } from "@aws-sdk/client-codepipeline";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { clearFaults, emulatorClientConfig, setFaults } from "../../sandbox/emulator";
import { callJsonApi, useEmulator } from "../support/emulator";

const emulator = useEmulator();

/** What GetPipeline of a pipeline that does not exist answers: the error's name. */
async function getPipelineError(client: CodePipelineClient): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await client.send(new GetPipelineCommand({ name: "does-not-exist" }));
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected GetPipeline to fail");
}

afterEach(async () => {
  await clearFaults(emulator());
});

it("throttles exactly the share asked for of the named actions' calls, evenly, and nothing else", async () => {
  const once = new CodePipelineClient({ ...emulatorClientConfig(emulator()), maxAttempts: 1 });
  const dynamodb = new DynamoDBClient({ ...emulatorClientConfig(emulator()), maxAttempts: 1 });
  try {
    await setFaults(emulator(), { service: "codepipeline", actions: ["GetPipeline"], share: 0.3 });
    const answers: string[] = [];
    for (let call = 1; call <= 10; call++) answers.push((await getPipelineError(once)).name);
    // Calls 4, 7 and 10: n * 0.3 passes a whole number.
    expect(answers.map((name, index) => (name === "ThrottlingException" ? index + 1 : 0)).filter((call) => call > 0)).toEqual([4, 7, 10]);
    expect(answers.filter((name) => name !== "ThrottlingException").every((name) => name === "PipelineNotFoundException")).toBe(true);
    await expect(once.send(new ListPipelinesCommand({}))).resolves.toBeDefined();
    await expect(dynamodb.send(new ListTablesCommand({}))).resolves.toBeDefined();
    expect(await clearFaults(emulator())).toEqual({ GetPipeline: 3 });
    expect((await getPipelineError(once)).name).toBe("PipelineNotFoundException");
  } finally {
    once.destroy();
    dynamodb.destroy();
  }
});

it("answers as AWS does, 400 with the JSON protocol's __type, which the SDK retries as throttling", async () => {
  await setFaults(emulator(), { service: "codepipeline", actions: ["GetPipeline"], share: 0.5 });
  // Call 1 passes, call 2 is throttled.
  await callJsonApi(emulator(), { service: "codepipeline", target: "CodePipeline_20150709.GetPipeline", input: { name: "does-not-exist" } });
  const raw = await callJsonApi(emulator(), {
    service: "codepipeline",
    target: "CodePipeline_20150709.GetPipeline",
    input: { name: "does-not-exist" },
  });
  expect(raw.status).toBe(400);
  expect(JSON.parse(raw.body)).toEqual({ __type: "ThrottlingException", message: "Rate exceeded" });

  // Every second call fails: call 3 passes at once; call 4 is throttled and the SDK's retry (call 5) gets through.
  const retrying = new CodePipelineClient({ ...emulatorClientConfig(emulator()), maxAttempts: 3 });
  try {
    const errors = [await getPipelineError(retrying), await getPipelineError(retrying)];
    expect(errors.map((error) => error.name)).toEqual(["PipelineNotFoundException", "PipelineNotFoundException"]);
    expect(errors.map((error) => error.$metadata?.attempts)).toEqual([1, 2]);
  } finally {
    retrying.destroy();
  }
});

it("refuses faults it cannot apply, naming the problem and the fix", async () => {
  const refused = await fetch(`${emulator().endpoint}/pipewright/faults`, {
    method: "POST",
    body: JSON.stringify({ service: "codepipeline", actions: ["CreatePipeline"], share: 1.5 }),
  });
  expect(refused.status).toBe(400);
  expect(await refused.json()).toEqual({
    message:
      'share must be a number above 0 and at most 1, not 1.5. Fix: POST /pipewright/faults with a body like {"service": "codepipeline", "actions": ["CreatePipeline"], "share": 0.3}',
  });
  await expect(setFaults(emulator(), { service: "codepipeline", actions: [], share: 0.3 })).rejects.toThrow(/actions must be a non-empty list/);
});
