import { DEFAULT_GITHUB_API_URL, InvalidGitHubApiUrlError, parseGitHubApiUrl } from "../../../../functions/shared/github/api-url";

describe("parseGitHubApiUrl", () => {
  it("takes https URLs (GitHub Enterprise Server's included) without their trailing slash", () => {
    expect(parseGitHubApiUrl(DEFAULT_GITHUB_API_URL)).toBe("https://api.github.com");
    expect(parseGitHubApiUrl("https://github.example.com/api/v3/")).toBe("https://github.example.com/api/v3");
  });

  it("takes plain http only on a loopback host, so the token never travels in clear text", () => {
    expect(parseGitHubApiUrl("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(parseGitHubApiUrl("http://localhost:8080/")).toBe("http://localhost:8080");
    expect(parseGitHubApiUrl("http://[::1]:8080")).toBe("http://[::1]:8080");
    expect(() => parseGitHubApiUrl("http://api.github.com")).toThrow(InvalidGitHubApiUrlError);
    expect(() => parseGitHubApiUrl("http://api.github.com")).toThrow(
      /GITHUB_API_URL is invalid: .* is not https; the GitHub token would travel in clear text/,
    );
    expect(() => parseGitHubApiUrl("ftp://127.0.0.1")).toThrow(/not https/);
  });

  it("names the variable and the fix when the value is not a URL", () => {
    expect(() => parseGitHubApiUrl("api.github.com")).toThrow(/GITHUB_API_URL is invalid: "api.github.com" is not a URL\. Fix: leave it unset/);
  });
});
