import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { chooseConfigFile, loadConfig, parseConfig } from "../../stacks/config";
import { configProblems, EXAMPLE_CONFIG_FILE, ROOT } from "../support/synth";

const example = () => JSON.parse(JSON.stringify(loadConfig(EXAMPLE_CONFIG_FILE)));

describe("configuration", () => {
  it("accepts the committed example and fills defaults", () => {
    const raw = example();
    delete raw.backend;
    delete raw.logRetentionDays;
    delete raw.github.mainBranch;
    const config = parseConfig(raw);
    expect(config.backend).toEqual({ type: "local" });
    expect(config.logRetentionDays).toBe(30);
    expect(config.github.mainBranch).toBe("main");
    expect(config.services?.map((s) => s.name)).toEqual(["orders", "payments", "storefront"]);
  });

  const cases: Array<[string, (c: any) => void, RegExp]> = [
    [
      "an account id that is not 12 digits",
      (c) => (c.accounts.dev.accountId = "12345"),
      /^accounts\.dev\.accountId: "12345" is not a 12-digit AWS account id\. Fix: /,
    ],
    ["an account id given as a number", (c) => (c.accounts.build.accountId = 111111111111), /^accounts\.build\.accountId: .*Fix:/],
    [
      "dev and prod in one account",
      (c) => (c.accounts.prod = { ...c.accounts.dev }),
      /^accounts\.prod\.accountId: equals accounts\.dev\.accountId .*Fix: use separate AWS accounts/,
    ],
    [
      "a provisioning role of another account",
      (c) => (c.accounts.prod.provisioningRoleArn = "arn:aws:iam::222222222222:role/p"),
      /^accounts\.prod\.provisioningRoleArn: is in account 222222222222, not in accounts\.prod\.accountId/,
    ],
    [
      "duplicate service names",
      (c) => (c.services[1].name = "orders"),
      /^services\[1\]\.name: "orders" is already the name of services\[0\]\. Fix: /,
    ],
    // A service's PR pipeline and preview stacks are <pipeline>-pr-<n>: "orders-pr-1" would be taken for pull request 1 of "orders".
    [
      "a service name ending in -pr-<number>",
      (c) => (c.services[1].name = "orders-pr-1"),
      /^services\[1\]\.name: "orders-pr-1" contains the word "pr", which names environments .* Fix: choose a name without the words "dev", "prod", "pr"/,
    ],
    [
      "a service name with an environment word",
      (c) => (c.services[0].name = "checkout-dev"),
      /^services\[0\]\.name: "checkout-dev" contains the word "dev"/,
    ],
    [
      "a service named after the execution role",
      (c) => (c.services[0].name = "cfn"),
      /^services\[0\]\.name: "cfn" would name resources like pipewright's own "pipewright-cfn-exec".* Fix: choose another service name/,
    ],
    [
      "a service named after the preview roles",
      (c) => (c.services[0].name = "preview"),
      /^services\[0\]\.name: "preview" would name resources like pipewright's own "pipewright-preview-deploy"/,
    ],
    [
      "a service named like the pipeline role",
      (c) => (c.services[0].name = "pipeline"),
      /^services\[0\]\.name: "pipeline" would name resources like pipewright's own "pipewright-pipeline"/,
    ],
    [
      "a service name with a double hyphen",
      (c) => (c.services[0].name = "orders--api"),
      /^services\[0\]\.name: "orders--api" is not a valid service name\. Fix: .*single "-"/,
    ],
    [
      "an application boundary that allows IAM",
      (c) => (c.applicationBoundary = { additionalActions: ["iam:PassRole"] }),
      /^applicationBoundary\.additionalActions\[0\]: "iam:PassRole" would let application roles change identities.* Fix: remove it/,
    ],
    [
      "an application boundary action that is not one",
      (c) => (c.applicationBoundary = { additionalActions: ["invoke bedrock"] }),
      /^applicationBoundary\.additionalActions\[0\]: "invoke bedrock" is not an IAM action\. Fix: write it as "<service>:<Action>"/,
    ],
    [
      "an unbalanced glob",
      (c) => (c.services[0].include = ["services/{a,b"]),
      /^services\[0\]\.include\[0\]: "services\/\{a,b" is not a valid glob: "\{" is never closed/,
    ],
    ["an absolute glob", (c) => (c.services[0].exclude = ["/etc/**"]), /^services\[0\]\.exclude\[0\]: .*starts with "\/"/],
    ["a glob leaving the repository", (c) => (c.services[0].include = ["../x/**"]), /services\[0\]\.include\[0\]: .*"\.\." segment/],
    ["an unknown key", (c) => (c.servics = []), /^"servics" is not a known setting at the top level\. Fix: remove it or correct the spelling/],
    ["an unknown nested key", (c) => (c.github.branch = "main"), /^"branch" is not a known setting in github\. Fix:/],
    ["a missing project name", (c) => delete c.projectName, /^projectName: is missing\. Fix: /],
    ["a missing buildspec", (c) => delete c.services[0].buildspec, /^services\[0\]\.buildspec: is missing\. Fix: /],
    ["no services", (c) => (c.services = []), /^services: needs at least one service\. Fix:/],
    ["a Region that is not one", (c) => (c.region = "Europe"), /^region: "Europe" is not an AWS Region\. Fix:/],
    ["nobody to approve", (c) => (c.approvers = {}), /^approvers: names nobody\. Fix:/],
    [
      "a retention CloudWatch does not offer",
      (c) => (c.logRetentionDays = 10),
      /^logRetentionDays: is not a CloudWatch Logs retention period\. Fix: use one of 1, 3/,
    ],
    ["a connection that is not an ARN", (c) => (c.github.connection = { arn: "my-connection" }), /^github\.connection/],
    [
      "an approver outside the build account",
      (c) => (c.approvers = { principalArns: ["arn:aws:iam::222222222222:user/bob"] }),
      /^approvers\.principalArns\[0\]: is in account 222222222222; approvers must be users or roles of the build account/,
    ],
    ["a bad e-mail", (c) => (c.notifications.emails = ["nobody"]), /^notifications\.emails\[0\]: "nobody" is not an e-mail address/],
  ];

  it.each(cases)("rejects %s, naming the field and the fix", (_name, change, expected) => {
    const raw = example();
    change(raw);
    const problems = configProblems(raw);
    expect(problems.some((p) => expected.test(p))).toBe(true);
  });

  it("reports every problem at once, with the file name", () => {
    const raw = example();
    raw.accounts.dev.accountId = "1";
    raw.services[1].name = "orders";
    expect(() => parseConfig(raw, "team.json")).toThrow(
      /^Invalid pipewright configuration in team\.json:\n {2}- accounts\.dev\.accountId: .*\n {2}- services\[1\]\.name: /,
    );
  });

  it("explains a file that is missing or not JSON", () => {
    expect(() => loadConfig("/nonexistent/pipewright.json")).toThrow(/\/nonexistent\/pipewright\.json:\n {2}- cannot be read .*Fix: check the path/);
    const dir = mkdtempSync(path.join(tmpdir(), "pw-config-"));
    writeFileSync(path.join(dir, "bad.json"), "{ projectName: ");
    expect(() => loadConfig(path.join(dir, "bad.json"))).toThrow(/is not valid JSON/);
  });

  it("chooses --config over PIPEWRIGHT_CONFIG over the example", () => {
    const cwd = "/repo";
    expect(chooseConfigFile([], {}, cwd)).toBe("/repo/config/example.json");
    expect(chooseConfigFile([], { PIPEWRIGHT_CONFIG: "team.json" }, cwd)).toBe("/repo/team.json");
    expect(chooseConfigFile(["--config", "a.json"], { PIPEWRIGHT_CONFIG: "team.json" }, cwd)).toBe("/repo/a.json");
    expect(chooseConfigFile(["--config=/abs/b.json"], {}, cwd)).toBe("/abs/b.json");
    expect(() => chooseConfigFile(["--config"], {}, cwd)).toThrow(/needs a file/);
  });

  it("stops synth with the message and exit code 1 on a bad file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "pw-config-"));
    const raw = example();
    raw.accounts.prod.accountId = raw.accounts.dev.accountId;
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify(raw));
    const result = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "main.ts", "--config", path.join(dir, "bad.json")], {
      cwd: ROOT,
      env: { ...process.env, CDKTF_OUTDIR: path.join(dir, "out") },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/accounts\.prod\.accountId: equals accounts\.dev\.accountId/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/); // a message, not a stack trace
  });
});
