// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { parseApiUrl, parseMainBranch, parseRepository, pipelineNameSchema, uniquePipelines } from "../../../functions/shared/config-fields";
import { InvalidConfigurationError } from "../../../functions/shared/env";
import { InvalidGitHubApiUrlError } from "../../../functions/shared/github/api-url";
import { REPOSITORY_PATTERN } from "../../../functions/shared/github/repository";

describe("the repository rule", () => {
  it.each(["octo-org/monorepo", "Codertocat/Hello-World", "a/b", "user_shortcode/repo.name", `${"o".repeat(39)}/${"r".repeat(100)}`])(
    "accepts %s",
    (name) => {
      expect(REPOSITORY_PATTERN.test(name)).toBe(true);
    },
  );

  it.each([
    "monorepo",
    "octo-org/",
    "/monorepo",
    "octo org/monorepo",
    "octo-org/mono/repo",
    "https://github.com/octo-org/monorepo",
    `${"o".repeat(40)}/r`,
    `o/${"r".repeat(101)}`,
  ])("refuses %s", (name) => {
    expect(REPOSITORY_PATTERN.test(name)).toBe(false);
  });

  it("GITHUB_REPOSITORY names the variable, the value and the form", () => {
    expect(parseRepository(" acme/mono ")).toBe("acme/mono");
    expect(() => parseRepository("mono")).toThrow(InvalidConfigurationError);
    expect(() => parseRepository("mono")).toThrow(
      /^Environment variable GITHUB_REPOSITORY is invalid: "mono": expected owner\/name, such as octo-org\/monorepo\. Fix: /,
    );
  });
});

describe("MAIN_BRANCH", () => {
  it("accepts a branch name or its full ref", () => {
    expect(parseMainBranch("main")).toBe("main");
    expect(parseMainBranch("refs/heads/release/2025")).toBe("release/2025");
  });

  it.each(["refs/tags/v1", "refs/heads/"])("refuses %s", (value) => {
    expect(() => parseMainBranch(value)).toThrow(/MAIN_BRANCH is invalid: .*is not a branch name such as "main"/);
  });
});

describe("GITHUB_API_URL", () => {
  it("is github.com's API when unset, and the shared parser's otherwise", () => {
    expect(parseApiUrl(undefined)).toBe("https://api.github.com");
    expect(parseApiUrl("  ")).toBe("https://api.github.com");
    expect(parseApiUrl("https://ghe.example.com/api/v3/")).toBe("https://ghe.example.com/api/v3");
    expect(() => parseApiUrl("http://ghe.example.com")).toThrow(InvalidGitHubApiUrlError);
  });
});

describe("pipelines", () => {
  it("a pipeline name is what CodePipeline accepts", () => {
    expect(pipelineNameSchema.safeParse("pipewright-orders@v2_x.y").success).toBe(true);
    expect(pipelineNameSchema.safeParse("has space").success).toBe(false);
    expect(pipelineNameSchema.safeParse("p".repeat(101)).success).toBe(false);
  });

  it("uniquePipelines reports each repeat at its own place", () => {
    const names = z.array(z.string()).superRefine(uniquePipelines((name: string) => name));
    expect(names.safeParse(["a", "b"]).success).toBe(true);
    expect(names.safeParse(["a", "b", "a", "a"]).error?.issues.map((issue) => [issue.path, issue.message])).toEqual([
      [[2], '"a" is already listed earlier; each pipeline must be unique'],
      [[3], '"a" is already listed earlier; each pipeline must be unique'],
    ]);
    const services = z
      .array(z.object({ pipeline: z.string() }))
      .superRefine(uniquePipelines((service: { pipeline: string }) => service.pipeline, "pipeline"));
    expect(services.safeParse([{ pipeline: "a" }, { pipeline: "a" }]).error?.issues[0]?.path).toEqual([1, "pipeline"]);
  });
});
