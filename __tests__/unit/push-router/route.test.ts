import { decidePush, fileListSource, planStarts } from "../../../functions/push-router/route";
import { AFTER, API, BEFORE, INFRA, MONO_ENTRY, push, WEB, ZERO } from "./fixtures";

describe("decidePush", () => {
  it.each<[string, Parameters<typeof push>[0], RegExp]>([
    ["a tag push", { ref: "refs/tags/v1.2.0" }, /refs\/tags\/v1\.2\.0 is a tag/],
    ["a tag named main", { ref: "refs/tags/main" }, /is a tag/],
    ["the deletion of main", { deleted: true, after: ZERO, changedFiles: [] }, /refs\/heads\/main was deleted/],
    ["another branch", { ref: "refs/heads/develop" }, /refs\/heads\/develop is not refs\/heads\/main/],
    ["a branch named feature/main", { ref: "refs/heads/feature/main" }, /refs\/heads\/feature\/main is not refs\/heads\/main/],
    ["a branch named main-next", { ref: "refs/heads/main-next" }, /is not refs\/heads\/main/],
    ["a short ref", { ref: "main" }, /main is not refs\/heads\/main/],
    ["another repository", { repository: "acme/other" }, /acme\/other, not to acme\/mono/],
  ])("skips %s, saying why", (_name, overrides, reason) => {
    const decision = decidePush(push(overrides), MONO_ENTRY);
    expect(decision.kind).toBe("skip");
    expect(decision.kind === "skip" && decision.reason).toMatch(reason);
  });

  it("routes a push to refs/heads/main", () => {
    expect(decidePush(push(), MONO_ENTRY)).toEqual({ kind: "route" });
  });

  it("compares repositories case-insensitively, as GitHub does", () => {
    expect(decidePush(push({ repository: "Acme/Mono" }), MONO_ENTRY)).toEqual({ kind: "route" });
  });

  it("compares the full ref for a main branch with a slash", () => {
    const release = { ...MONO_ENTRY, mainBranch: "release/2025" };
    expect(decidePush(push({ ref: "refs/heads/release/2025" }), release)).toEqual({ kind: "route" });
    expect(decidePush(push({ ref: "refs/heads/2025" }), release).kind).toBe("skip");
  });
});

describe("fileListSource", () => {
  it("uses the event's files for an ordinary push", () => {
    expect(fileListSource(push({ changedFiles: ["a.ts"] }))).toEqual({ kind: "event", files: ["a.ts"] });
  });

  it.each<[string, Parameters<typeof push>[0], RegExp]>([
    ["truncated", { truncated: true }, /more commits or files/],
    ["forced", { forced: true }, /force push/],
    ["created with a previous commit", { created: true }, /created the branch/],
    ["moving the branch without files", { changedFiles: [] }, /lists no changed file/],
  ])("asks the compare API when %s", (_name, overrides, why) => {
    const source = fileListSource(push(overrides));
    expect(source).toMatchObject({ kind: "compare", before: BEFORE, after: AFTER });
    expect(source.kind === "compare" && source.why).toMatch(why);
  });

  it("cannot compare a created branch whose before is all zeros", () => {
    const source = fileListSource(push({ created: true, before: ZERO }));
    expect(source.kind).toBe("unknown");
    expect(source.kind === "unknown" && source.reason).toMatch(/no previous commit/);
  });

  it("keeps an empty list when before and after are the same commit", () => {
    expect(fileListSource(push({ changedFiles: [], before: AFTER }))).toEqual({ kind: "event", files: [] });
  });
});

describe("planStarts", () => {
  const services = [API, WEB, INFRA];

  it("main with one service's files starts only that pipeline", () => {
    const plan = planStarts(services, { complete: true, files: ["services/web/src/app.ts"] });
    expect(plan.services.map((s) => s.pipeline)).toEqual(["pw-web"]);
    expect(plan.everything).toBe(false);
  });

  it("files of no service start nothing and say so", () => {
    const plan = planStarts(services, { complete: true, files: ["docs/intro.md"] });
    expect(plan.services).toEqual([]);
    expect(plan.everything).toBe(false);
    expect(plan.reason).toMatch(/none of the 1 changed file/);
  });

  it("an incomplete list starts every pipeline and carries the reason", () => {
    const plan = planStarts(services, { complete: false, reason: "no GitHub token" });
    expect(plan.services.map((s) => s.pipeline)).toEqual(["pw-api", "pw-web", "pw-infra"]);
    expect(plan.everything).toBe(true);
    expect(plan.reason).toMatch(/no GitHub token/);
  });
});
