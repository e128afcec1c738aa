import { checkServiceGlobs, InvalidServiceGlobsError, parseStateTable } from "../../../functions/push-router/config";
import { RepositoryCatalog } from "../../../functions/shared/repositories";

const valid = { name: "api", pipeline: "pw-api", include: ["services/api/**"] };
const catalogWith = (shopServices: unknown[]) =>
  RepositoryCatalog.from({
    repositories: [
      { repository: "acme/mono", mainBranch: "main", forkLabel: "ok-to-test", services: [valid] },
      { repository: "acme/shop", mainBranch: "release", forkLabel: "ok-to-test", services: shopServices },
    ],
  });

describe("checkServiceGlobs", () => {
  it("returns a catalog whose globs are all usable", () => {
    const catalog = catalogWith([{ name: "cart", pipeline: "pw-cart", include: ["cart/**"], exclude: ["**/*.md"] }]);
    expect(checkServiceGlobs(catalog)).toBe(catalog);
  });

  it("checks every repository's services, naming each bad glob by repository, service and field", () => {
    const catalog = catalogWith([
      { name: "cart", pipeline: "pw-cart", include: ["cart/**", "[unclosed"], exclude: ["/abs/**"] },
      { name: "pay", pipeline: "pw-pay", include: ["pay/**"] },
    ]);
    let error: unknown;
    try {
      checkServiceGlobs(catalog);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidServiceGlobsError);
    expect((error as InvalidServiceGlobsError).problems).toEqual([
      expect.stringMatching(/^acme\/shop service cart include\[1\] "\[unclosed": /),
      expect.stringMatching(/^acme\/shop service cart exclude\[0\] "\/abs\/\*\*": /),
    ]);
    expect((error as Error).message).toMatch(/Fix: correct the services' include and exclude globs in the configuration and deploy again$/);
  });
});

describe("PUSH_STATE_TABLE", () => {
  it("is a DynamoDB table name", () => {
    expect(parseStateTable("pw-push-state")).toBe("pw-push-state");
    expect(() => parseStateTable("pw push state")).toThrow(/PUSH_STATE_TABLE is invalid: "pw push state": is not a DynamoDB table name/);
  });
});
