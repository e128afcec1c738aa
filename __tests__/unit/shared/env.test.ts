// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import {
  InvalidConfigurationError,
  issuePath,
  MissingEnvironmentError,
  optionalEnv,
  parseJsonVariable,
  parseVariable,
  requireEnv,
} from "../../../functions/shared/env";

describe("reading the environment", () => {
  it("a required variable that is missing or blank fails loudly, naming it and the fix", () => {
    expect(requireEnv("A", { A: "x" })).toBe("x");
    for (const env of [{}, { A: "" }, { A: "  " }]) {
      expect(() => requireEnv("A", env)).toThrow(MissingEnvironmentError);
      expect(() => requireEnv("A", env)).toThrow(/^Environment variable A is not set\. Fix: deploy the function through the pipewright stacks/);
    }
  });

  it("an optional variable that is blank counts as absent", () => {
    expect(optionalEnv("A", { A: " " })).toBeUndefined();
    expect(optionalEnv("A", { A: "x" })).toBe("x");
  });

  it("parseVariable checks the trimmed value and names the variable and the value", () => {
    const table = z.string().regex(/^[a-z-]+$/, "is not a table name");
    expect(parseVariable("TABLE", table, " pw-state ")).toBe("pw-state");
    expect(() => parseVariable("TABLE", table, "PW STATE")).toThrow(new InvalidConfigurationError("TABLE", '"PW STATE": is not a table name'));
  });

  it("parseJsonVariable names the place of every problem, and says when the text is not JSON", () => {
    const schema = z.array(z.object({ pipeline: z.string().min(2, "is too short") }));
    expect(parseJsonVariable("SERVICES", schema, '[{"pipeline":"ab"}]')).toEqual([{ pipeline: "ab" }]);
    expect(() => parseJsonVariable("SERVICES", schema, '[{"pipeline":"a"},{"pipeline":"b"}]')).toThrow(
      /SERVICES is invalid: SERVICES\[0\]\.pipeline: is too short; SERVICES\[1\]\.pipeline: is too short\. Fix:/,
    );
    expect(() => parseJsonVariable("SERVICES", schema, "[{")).toThrow(/SERVICES is invalid: is not JSON/);
  });

  it("issuePath writes indexes and fields as code would", () => {
    expect(issuePath([0, "include", 2])).toBe("[0].include[2]");
    expect(issuePath([])).toBe("");
  });
});
