/**
 * The sandbox's own AWS calls (sandbox/aws) against the emulator through the SDK clients:
 * the bootstrap identities `up` creates before IAM checks are on (account chosen by header), the
 * role sessions it hands the functions, and the queue calls of the runtime's event delivery,
 * signed by identities the emulator checks. Failed calls name the operation, status and code.
 */
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { enableIamChecks } from "../../sandbox/accounts";
import { AwsCallError, type AwsCredentials, sandboxClient, sandboxClientConfig } from "../../sandbox/aws/clients";
import { assumeRole, createAdministratorRole, createAdministratorUser } from "../../sandbox/aws/iam";
import { SqsQueue } from "../../sandbox/aws/sqs";
import { EMULATOR_REGION, inAccount } from "../../sandbox/emulator";
import { BOOTSTRAP_CREDENTIALS } from "../../sandbox/provider";
import { useEmulator } from "../support/emulator";

const ACCOUNT = "444444444444";
const emulator = useEmulator();
const clients: { destroy(): void }[] = [];
let administrator: AwsCredentials;
let nobody: AwsCredentials;
let queueUrl: string;

function config(credentials: AwsCredentials) {
  return sandboxClientConfig({ endpoint: emulator().endpoint, region: EMULATOR_REGION, credentials });
}

function track<C extends { destroy(): void }>(client: C): C {
  clients.push(client);
  return client;
}

beforeAll(async () => {
  // Before IAM checks: any credentials, acting in the account the header names.
  const bootstrap = track(sandboxClient(inAccount(new IAMClient(config(BOOTSTRAP_CREDENTIALS)), ACCOUNT)));
  administrator = await createAdministratorUser(bootstrap, "administrator");
  await createAdministratorRole(bootstrap, "provisioning", `arn:aws:iam::${ACCOUNT}:root`);
  await bootstrap.send(new CreateUserCommand({ UserName: "nobody" }));
  const { AccessKey } = await bootstrap.send(new CreateAccessKeyCommand({ UserName: "nobody" }));
  nobody = { accessKeyId: AccessKey?.AccessKeyId as string, secretAccessKey: AccessKey?.SecretAccessKey as string };
  const sqs = track(new SQSClient(config(administrator)));
  ({ QueueUrl: queueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: "pipewright-sandbox-delivery" })));
  await enableIamChecks(emulator().endpoint);
});

afterAll(() => {
  for (const client of clients) client.destroy();
});

describe("the sandbox's identities", () => {
  it("an administrator's role session acts as the role, in the role's account", async () => {
    const sts = track(sandboxClient(new STSClient(config(administrator))));
    const session = await assumeRole(sts, `arn:aws:iam::${ACCOUNT}:role/provisioning`, "sandbox-test");
    expect(session).toEqual({ accessKeyId: expect.any(String), secretAccessKey: expect.any(String), sessionToken: expect.any(String) });
    const identity = await track(new STSClient(config(session))).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/provisioning/sandbox-test` });
  });

  it("a failed call says which operation failed, with the HTTP status and the service's code", async () => {
    const iam = track(sandboxClient(new IAMClient(config(administrator))));
    const again = createAdministratorUser(iam, "administrator");
    await expect(again).rejects.toBeInstanceOf(AwsCallError);
    await expect(again).rejects.toMatchObject({ operation: "CreateUser", status: 409, code: "EntityAlreadyExistsException" });
    await expect(again).rejects.toThrow(/^CreateUser failed \(HTTP 409 EntityAlreadyExistsException\): User administrator already exists/);
  });
});

describe("the runtime's queue calls", () => {
  it("send with message attributes, receive (counting receives), and delete", async () => {
    const queue = new SqsQueue(track(sandboxClient(new SQSClient(config(administrator)))), queueUrl);
    await queue.send('{"id":"event-1"}', { ERROR_CODE: "NO_PERMISSIONS" });
    const [first] = await queue.receive({ waitSeconds: 1, visibilitySeconds: 0 });
    expect(first).toMatchObject({ body: '{"id":"event-1"}', receiveCount: 1 });
    const [second] = await queue.receive({ waitSeconds: 1, visibilitySeconds: 30 });
    expect(second).toMatchObject({ messageId: first?.messageId, receiveCount: 2 });
    await queue.delete(second?.receiptHandle as string);
    await expect(queue.receive({ waitSeconds: 0, visibilitySeconds: 0 })).resolves.toEqual([]);
  });

  it("a long poll ends as soon as its signal is aborted", async () => {
    const queue = new SqsQueue(track(sandboxClient(new SQSClient(config(administrator)))), queueUrl);
    const controller = new AbortController();
    const started = Date.now();
    const polling = queue.receive({ waitSeconds: 10, visibilitySeconds: 30, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(polling).rejects.toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("an identity without SQS permissions is refused, and the error names the operation", async () => {
    const queue = new SqsQueue(track(sandboxClient(new SQSClient(config(nobody)))), queueUrl);
    await expect(queue.receive({ waitSeconds: 0, visibilitySeconds: 0 })).rejects.toThrow(
      /^ReceiveMessage failed \(HTTP 400 AccessDeniedException\): .*not authorized to perform: sqs:ReceiveMessage/,
    );
  });
});
