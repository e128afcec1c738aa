import { parseServices, parseStateTable } from "../../../functions/push-router/config";
import { InvalidConfigurationError } from "../../../functions/shared/env";

const valid = { name: "api", pipeline: "pw-api", include: ["services/api/**"] };

describe("parseServices", () => {
  it("parses the SERVICES JSON and fills in an empty exclude", () => {
    expect(parseServices(JSON.stringify([valid]))).toEqual([{ ...valid, exclude: [] }]);
  });

  it("ignores fields the router does not use", () => {
    expect(parseServices(JSON.stringify([{ ...valid, buildspec: "services/api/buildspec.yml" }]))).toEqual([{ ...valid, exclude: [] }]);
  });

  it.each<[string, string, RegExp]>([
    ["not JSON", "[{name:", /SERVICES is invalid[\s\S]*is not JSON/],
    ["not an array", JSON.stringify(valid), /SERVICES: .*expected array/],
    ["no service", "[]", /lists no service/],
    ["a missing pipeline", JSON.stringify([{ name: "api", include: ["a/**"] }]), /SERVICES\[0\]\.pipeline/],
    [
      "a pipeline name CodePipeline refuses",
      JSON.stringify([{ ...valid, pipeline: "pw api" }]),
      /SERVICES\[0\]\.pipeline: is not a CodePipeline name/,
    ],
    ["no include glob", JSON.stringify([{ ...valid, include: [] }]), /SERVICES\[0\]\.include/],
    ["an invalid glob", JSON.stringify([{ ...valid, exclude: ["/abs/**"] }]), /SERVICES\[0\]\.exclude\[0\]: "\/abs\/\*\*" is not a valid glob/],
    [
      "two services with one pipeline",
      JSON.stringify([valid, { ...valid, name: "api2" }]),
      /SERVICES\[1\]\.pipeline: "pw-api" is already listed earlier; each pipeline must be unique/,
    ],
  ])("rejects %s with an InvalidConfigurationError naming the field", (_name, json, message) => {
    expect(() => parseServices(json)).toThrow(InvalidConfigurationError);
    expect(() => parseServices(json)).toThrow(message);
  });
});

describe("PUSH_STATE_TABLE", () => {
  it("is a DynamoDB table name", () => {
    expect(parseStateTable("pw-push-state")).toBe("pw-push-state");
    expect(() => parseStateTable("pw push state")).toThrow(/PUSH_STATE_TABLE is invalid: "pw push state": is not a DynamoDB table name/);
  });
});
