import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { GitHubCredentialsSecretError } from "../../../../functions/shared/github/credentials";
import { secretsManagerGitHubCredentials } from "../../../../functions/shared/github/secret";

const ARN = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:pipewright/github-token-AbCdEf";
const secrets = mockClient(SecretsManagerClient);

beforeEach(() => secrets.reset());
afterAll(() => secrets.restore());

const read = () => secretsManagerGitHubCredentials(ARN, new SecretsManagerClient({ region: "eu-west-1" }));

describe("secretsManagerGitHubCredentials", () => {
  it("reads and parses the secret once, then serves it from the cache", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: '{"token": "github_pat_11TEST"}' });
    const credentials = read();
    await expect(credentials()).resolves.toEqual({ kind: "token", token: "github_pat_11TEST" });
    await expect(credentials()).resolves.toEqual({ kind: "token", token: "github_pat_11TEST" });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it("means not configured while the secret has no value, or an empty one", async () => {
    const noValue = new ResourceNotFoundException({ message: "can't find the specified secret value for staging label: AWSCURRENT", $metadata: {} });
    secrets.on(GetSecretValueCommand).rejects(noValue);
    await expect(read()()).resolves.toBeUndefined();
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: "  " });
    await expect(read()()).resolves.toBeUndefined();
  });

  it("refuses a binary secret and unusable text, naming the secret", async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    await expect(read()()).rejects.toThrow(new GitHubCredentialsSecretError(ARN, "holds a binary value (SecretBinary), not a SecretString"));
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: "not a token" });
    await expect(read()()).rejects.toThrow(GitHubCredentialsSecretError);
  });

  it("lets other Secrets Manager failures through", async () => {
    const denied = new Error("not authorized to perform secretsmanager:GetSecretValue");
    denied.name = "AccessDeniedException";
    secrets.on(GetSecretValueCommand).rejects(denied);
    await expect(read()()).rejects.toThrow(/GetSecretValue/);
  });
});
