/** The deployment's AppSpec, as both hooks read it (functions/shared/traffic-hook-appspec.ts). */
import fc from "fast-check";
import { AppSpecError, appSpecSource, lookedUpContent, parseAppSpec } from "../../../functions/shared/traffic-hook-appspec";
import { APPLICATION_NAME, appSpecJson, DEPLOYMENT_ID, FUNCTION_NAME } from "./support/hooks";

const target = { resourceName: "AppFunction", functionName: FUNCTION_NAME, alias: "live", currentVersion: "3", targetVersion: "4" };
const SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

describe("parseAppSpec", () => {
  it("reads the JSON CloudFormation writes", () => {
    expect(parseAppSpec(DEPLOYMENT_ID, appSpecJson())).toEqual(target);
  });

  it("accepts numeric versions and no CurrentVersion, as an AppSpec written by hand may have them", () => {
    const content = JSON.stringify({
      Resources: [{ fn: { Type: "AWS::Lambda::Function", Properties: { Name: "f", Alias: "live", TargetVersion: 2 } } }],
    });
    expect(parseAppSpec(DEPLOYMENT_ID, content)).toEqual({
      resourceName: "fn",
      functionName: "f",
      alias: "live",
      currentVersion: undefined,
      targetVersion: "2",
    });
  });

  it.each<[string, string, RegExp]>([
    ["empty content", "  ", /content is empty/],
    ["broken JSON", '{"Resources": [', /it is not JSON \(.*\)\. The traffic hooks read the JSON AppSpec CloudFormation writes/],
    [
      "a YAML AppSpec",
      `version: 0.0\nResources:\n  - AppFunction:\n      Type: AWS::Lambda::Function\n`,
      /it is not JSON .*must give its AppSpec as JSON/,
    ],
    ["no Resources", '{"version": "0.0"}', /Resources/],
    ["lower-case keys", JSON.stringify({ resources: [] }), /Resources: /],
    ["an empty Resources list", '{"Resources": []}', /lists no resource/],
    [
      "an ECS service",
      JSON.stringify({ Resources: [{ svc: { Type: "AWS::ECS::Service", Properties: {} } }] }),
      /svc is not a Lambda function resource/,
    ],
    [
      "no TargetVersion",
      JSON.stringify({ Resources: [{ f: { Type: "AWS::Lambda::Function", Properties: { Name: "f", Alias: "live" } } }] }),
      /TargetVersion/,
    ],
    [
      "two functions",
      JSON.stringify({
        Resources: [
          { a: { Type: "AWS::Lambda::Function", Properties: { Name: "a", Alias: "live", TargetVersion: "2" } } },
          { b: { Type: "AWS::Lambda::Function", Properties: { Name: "b", Alias: "live", TargetVersion: "2" } } },
        ],
      }),
      /names 2 Lambda functions/,
    ],
  ])("rejects %s with an AppSpecError naming the deployment", (_name, content, problem) => {
    expect(() => parseAppSpec(DEPLOYMENT_ID, content)).toThrow(AppSpecError);
    expect(() => parseAppSpec(DEPLOYMENT_ID, content)).toThrow(problem);
    expect(() => parseAppSpec(DEPLOYMENT_ID, content)).toThrow(DEPLOYMENT_ID);
  });

  it("reads any function name and versions CloudFormation could write", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    const version = fc.integer({ min: 1, max: 1_000_000 }).map(String);
    fc.assert(
      fc.property(name, name, version, version, (functionName, alias, current, next) => {
        const json = JSON.stringify({
          version: "0.0",
          Resources: [
            { Fn: { Type: "AWS::Lambda::Function", Properties: { Name: functionName, Alias: alias, CurrentVersion: current, TargetVersion: next } } },
          ],
        });
        expect(parseAppSpec(DEPLOYMENT_ID, json)).toEqual({ resourceName: "Fn", functionName, alias, currentVersion: current, targetVersion: next });
      }),
    );
  });
});

describe("appSpecSource", () => {
  it("looks up the AppSpecContent revision GetDeployment names by its SHA-256 only, in the deployment's application", () => {
    const revision = { revisionType: "AppSpecContent", appSpecContent: { sha256: SHA256 } };
    expect(appSpecSource(DEPLOYMENT_ID, { applicationName: APPLICATION_NAME, revision })).toEqual({
      lookUp: { applicationName: APPLICATION_NAME, revision },
    });
  });

  it("looks up an older String revision the same way", () => {
    const revision = { revisionType: "String", string: { sha256: SHA256 } };
    expect(appSpecSource(DEPLOYMENT_ID, { applicationName: APPLICATION_NAME, revision })).toEqual({
      lookUp: { applicationName: APPLICATION_NAME, revision },
    });
  });

  it("takes the content of a revision that carries it, without a look-up", () => {
    expect(appSpecSource(DEPLOYMENT_ID, { revision: { revisionType: "AppSpecContent", appSpecContent: { content: "x", sha256: SHA256 } } })).toEqual({
      content: "x",
    });
  });

  it("refuses an S3 revision, none, or a deployment without its application, naming the deployment", () => {
    expect(() => appSpecSource(DEPLOYMENT_ID, { applicationName: APPLICATION_NAME, revision: { revisionType: "S3" } })).toThrow(
      /revision \(type S3\) names no AppSpec/,
    );
    expect(() => appSpecSource(DEPLOYMENT_ID, undefined)).toThrow(new AppSpecError(DEPLOYMENT_ID, "the deployment has no revision"));
    expect(() => appSpecSource(DEPLOYMENT_ID, { revision: { revisionType: "AppSpecContent", appSpecContent: { sha256: SHA256 } } })).toThrow(
      /names no application/,
    );
  });
});

describe("lookedUpContent", () => {
  it("takes the content of the AppSpecContent or String revision GetApplicationRevision returns", () => {
    expect(lookedUpContent(DEPLOYMENT_ID, { revisionType: "AppSpecContent", appSpecContent: { content: "x" } })).toBe("x");
    expect(lookedUpContent(DEPLOYMENT_ID, { revisionType: "String", string: { content: "y" } })).toBe("y");
  });

  it("refuses a revision without content", () => {
    expect(() => lookedUpContent(DEPLOYMENT_ID, { revisionType: "AppSpecContent", appSpecContent: { sha256: SHA256 } })).toThrow(AppSpecError);
    expect(() => lookedUpContent(DEPLOYMENT_ID, undefined)).toThrow(/GetApplicationRevision returned no AppSpec content/);
  });
});
