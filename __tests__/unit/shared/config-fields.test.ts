import { mainBranchSchema, parseApiUrl, pipelineNameSchema } from "../../../functions/shared/config-fields";
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
});

describe("a main branch", () => {
  it("accepts a branch name or its full ref", () => {
    expect(mainBranchSchema.parse("main")).toBe("main");
    expect(mainBranchSchema.parse("refs/heads/release/2025")).toBe("release/2025");
  });

  it.each(["refs/tags/v1", "refs/heads/"])("refuses %s", (value) => {
    expect(mainBranchSchema.safeParse(value).error?.issues[0]?.message).toBe('is not a branch name such as "main"');
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
});
