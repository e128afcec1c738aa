/** The deployment's AppSpec, as both hooks read it (functions/shared/traffic-hook-appspec.ts and -yaml.ts). */
import fc from "fast-check";
import { AppSpecError, appSpecText, parseAppSpec } from "../../../functions/shared/traffic-hook-appspec";
import { parseYamlSubset, YamlSubsetError } from "../../../functions/shared/traffic-hook-yaml";
import { appSpecJson, DEPLOYMENT_ID, FUNCTION_NAME } from "./support/hooks";

const target = { resourceName: "AppFunction", functionName: FUNCTION_NAME, alias: "live", currentVersion: "3", targetVersion: "4" };

/** The example of the CodeDeploy user guide's AppSpec reference for Lambda, with comments. */
const YAML_APPSPEC = `# AppSpec for a Lambda deployment
version: 0.0
Resources:
  - AppFunction:
      Type: AWS::Lambda::Function
      Properties:
        Name: "${FUNCTION_NAME}"   # the function
        Alias: 'live'
        CurrentVersion: "3"
        TargetVersion: 4
Hooks:
  - BeforeAllowTraffic: "CodeDeployHook_pipewright-pre-traffic"
  - AfterAllowTraffic: "CodeDeployHook_pipewright-post-traffic"
`;

describe("parseAppSpec", () => {
  it("reads the JSON CloudFormation writes", () => {
    expect(parseAppSpec(DEPLOYMENT_ID, appSpecJson())).toEqual(target);
  });

  it("reads YAML of the same shape, comments, quotes and numbers included", () => {
    expect(parseAppSpec(DEPLOYMENT_ID, YAML_APPSPEC)).toEqual(target);
  });

  it("accepts lower-case keys and numeric versions", () => {
    const content = JSON.stringify({ resources: [{ fn: { type: "AWS::Lambda::Function", properties: { name: "f", alias: "live", targetVersion: 2 } } }] });
    expect(parseAppSpec(DEPLOYMENT_ID, content)).toEqual({ resourceName: "fn", functionName: "f", alias: "live", currentVersion: undefined, targetVersion: "2" });
  });

  it.each<[string, string, RegExp]>([
    ["empty content", "  ", /content is empty/],
    ["broken JSON", '{"Resources": [', /starts with "\{" but is not JSON/],
    ["neither JSON nor YAML", "Resources:\n\t- x", /neither JSON nor readable YAML.*tabs/],
    ["no Resources", '{"version": 0.0}', /Resources/],
    ["an empty Resources list", '{"Resources": []}', /lists no resource/],
    ["an ECS service", JSON.stringify({ Resources: [{ svc: { Type: "AWS::ECS::Service", Properties: {} } }] }), /svc is not a Lambda function resource/],
    ["no TargetVersion", JSON.stringify({ Resources: [{ f: { Type: "AWS::Lambda::Function", Properties: { Name: "f", Alias: "live" } } }] }), /TargetVersion/],
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

  it("reads any function name and versions CloudFormation could write, in JSON and in YAML", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
    const version = fc.integer({ min: 1, max: 1_000_000 }).map(String);
    fc.assert(
      fc.property(name, name, version, version, fc.constantFrom('"', "'", ""), (functionName, alias, current, next, quote) => {
        const expected = { resourceName: "Fn", functionName, alias, currentVersion: current, targetVersion: next };
        const json = JSON.stringify({ Resources: [{ Fn: { Type: "AWS::Lambda::Function", Properties: { Name: functionName, Alias: alias, CurrentVersion: current, TargetVersion: next } } }] });
        // A plain scalar that YAML would read as something else is always quoted by writers.
        const q = (value: string) => (quote === "" && /^[-0-9]/.test(value) ? `"${value}"` : `${quote}${value}${quote}`);
        const yaml = `Resources:\n- Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Name: ${q(functionName)}\n      Alias: ${q(alias)}\n      CurrentVersion: ${q(current)}\n      TargetVersion: ${q(next)}\n`;
        expect(parseAppSpec(DEPLOYMENT_ID, json)).toEqual(expected);
        expect(parseAppSpec(DEPLOYMENT_ID, yaml)).toEqual(expected);
      }),
    );
  });
});

describe("appSpecText", () => {
  it("takes the AppSpecContent revision CloudFormation creates", () => {
    expect(appSpecText(DEPLOYMENT_ID, { revisionType: "AppSpecContent", appSpecContent: { content: "x" } })).toBe("x");
  });

  it("takes the older String revision", () => {
    expect(appSpecText(DEPLOYMENT_ID, { revisionType: "String", string: { content: "y" } })).toBe("y");
  });

  it("refuses an S3 revision or none, naming the deployment", () => {
    expect(() => appSpecText(DEPLOYMENT_ID, { revisionType: "S3" })).toThrow(/revision \(type S3\) carries no AppSpec content/);
    expect(() => appSpecText(DEPLOYMENT_ID, undefined)).toThrow(new AppSpecError(DEPLOYMENT_ID, "the deployment has no revision"));
  });
});

describe("parseYamlSubset", () => {
  it("reads nested mappings and sequences, also a sequence at its key's column", () => {
    const source = ["a:", "  b: 1", "  c:", "  - x", "  - y: z", "    w: v", "d:", "- - inner", "e: [1, 2]", "f: ~"].join("\n");
    expect(parseYamlSubset(source)).toEqual({ a: { b: "1", c: ["x", { y: "z", w: "v" }] }, d: [["inner"]], e: [1, 2], f: null });
  });

  it("keeps # inside quotes and words, drops comments", () => {
    expect(parseYamlSubset(`a: "x # y" # comment\nb: it's#fine\n# whole line\nc: 'it''s'`)).toEqual({ a: "x # y", b: "it's#fine", c: "it's" });
  });

  it("reads a key whose value is a URL or has colons", () => {
    expect(parseYamlSubset("Type: AWS::Lambda::Function\nUrl: https://example.com:8443/x")).toEqual({ Type: "AWS::Lambda::Function", Url: "https://example.com:8443/x" });
  });

  it.each<[string, string, RegExp]>([
    ["tabs", "a:\n\tb: 1", /line 2: tabs/],
    ["an anchor", "a: &x 1", /anchors/],
    ["a block scalar", "a: |\n  text", /block scalars/],
    ["a duplicate key", "a: 1\na: 2", /duplicate key "a"/],
    ["a stray indentation", "a: 1\n    b: 2", /line 2: unexpected indentation/],
    ["a flow mapping that is not JSON", "a: {b: 1}", /flow collection/],
    ["an empty document", "# nothing\n", /empty/],
    ["an unterminated string", "a: 'x", /unterminated/],
  ])("refuses %s with a YamlSubsetError", (_name, source, problem) => {
    expect(() => parseYamlSubset(source)).toThrow(YamlSubsetError);
    expect(() => parseYamlSubset(source)).toThrow(problem);
  });
});
