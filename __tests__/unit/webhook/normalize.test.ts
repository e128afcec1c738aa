import fc from "fast-check";
import { EVENT_SOURCE, MAX_CHANGED_FILES, MAX_HTML_URL_LENGTH, pushEventSchema } from "../../../functions/shared/events";
import { toBusEntry } from "../../../functions/webhook/bus-event";
import { MalformedDeliveryError } from "../../../functions/webhook/errors";
import {
  CHANGED_FILES_BUDGET_BYTES,
  DELETED_FORK,
  LISTED_COMMITS_LIMIT,
  collectChangedFiles,
  normalizePullRequest,
  normalizePush,
  pullRequestPayloadSchema,
  pushPayloadSchema,
} from "../../../functions/webhook/normalize";
import { examplePayload, examplePayloadWhere } from "../../fixtures/webhook/deliveries";

const DELIVERY = "d-1";
const ENTRY_LIMIT_BYTES = 256 * 1024;

function push(overrides: Record<string, unknown> = {}) {
  const payload = examplePayloadWhere("push", (candidate) => candidate.ref === "refs/heads/master" && candidate.commits.length > 0);
  return pushPayloadSchema.parse({ ...payload, created: false, before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", ...overrides });
}

const commit = (added: string[] = [], modified: string[] = [], removed: string[] = []) => ({ added, modified, removed });

describe("normalizePush", () => {
  it("takes the union of added, modified and removed over the commits, de-duplicated, in first-seen order", () => {
    const event = normalizePush(
      push({ commits: [commit(["a/x.ts", "b.md"], ["c.json"]), commit([], ["a/x.ts"], ["d/e/f.txt"]), commit(["b.md"])] }),
      DELIVERY,
    );
    expect(event.changedFiles).toEqual(["a/x.ts", "b.md", "c.json", "d/e/f.txt"]);
    expect(event.truncated).toBe(false);
  });

  it("carries the push time (repository.pushed_at, epoch seconds) as pushedAt", () => {
    const payload = push();
    expect(normalizePush({ ...payload, repository: { ...payload.repository, pushed_at: 1764000123 } }, DELIVERY).pushedAt).toBe(1764000123);
  });

  it("refuses a push payload without a numeric repository.pushed_at, naming the field", () => {
    const payload = examplePayload("push");
    delete payload.repository.pushed_at;
    const result = pushPayloadSchema.safeParse(payload);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["repository", "pushed_at"]);
    expect(result.error?.issues[0]?.message).toMatch(/epoch seconds/);
  });

  it("keeps the full ref, with slashes", () => {
    expect(normalizePush(push({ ref: "refs/heads/release/2025/11" }), DELIVERY).ref).toBe("refs/heads/release/2025/11");
  });

  it(`is not truncated with ${LISTED_COMMITS_LIMIT - 1} commits, and truncated with ${LISTED_COMMITS_LIMIT} (GitHub may have left some out)`, () => {
    const commits = (count: number) => Array.from({ length: count }, (_, index) => commit([`file-${index}`]));
    expect(normalizePush(push({ commits: commits(LISTED_COMMITS_LIMIT - 1) }), DELIVERY).truncated).toBe(false);
    const atLimit = normalizePush(push({ commits: commits(LISTED_COMMITS_LIMIT) }), DELIVERY);
    expect(atLimit.truncated).toBe(true);
    expect(atLimit.changedFiles).toHaveLength(LISTED_COMMITS_LIMIT);
  });

  it("is truncated when forced or created", () => {
    expect(normalizePush(push({ forced: true }), DELIVERY)).toMatchObject({ forced: true, truncated: true });
    expect(normalizePush(push({ created: true }), DELIVERY)).toMatchObject({ created: true, truncated: true });
  });

  it("is truncated when a commit comes without file lists", () => {
    const event = normalizePush(push({ commits: [commit(["a"]), { id: "x" }] }), DELIVERY);
    expect(event).toMatchObject({ changedFiles: ["a"], truncated: true });
  });

  it(`caps changedFiles at ${MAX_CHANGED_FILES} and marks the event truncated`, () => {
    const paths = (from: number, count: number) => Array.from({ length: count }, (_, index) => `src/file-${from + index}.ts`);
    const exactly = normalizePush(push({ commits: [commit(paths(0, MAX_CHANGED_FILES))] }), DELIVERY);
    expect(exactly).toMatchObject({ truncated: false });
    expect(exactly.changedFiles).toHaveLength(MAX_CHANGED_FILES);

    const over = normalizePush(push({ commits: [commit(paths(0, 600)), commit(paths(600, 600))] }), DELIVERY);
    expect(over.truncated).toBe(true);
    expect(over.changedFiles).toEqual(paths(0, MAX_CHANGED_FILES));
  });

  it("keeps the event within EventBridge's 256 KB entry limit even with very long paths", () => {
    const longPaths = Array.from({ length: MAX_CHANGED_FILES }, (_, index) => `${"deep/".repeat(800)}${index}.txt`);
    const event = normalizePush(push({ ref: `refs/heads/${"b".repeat(250)}`, commits: [commit(longPaths)] }), DELIVERY);
    expect(event.truncated).toBe(true);
    expect(event.changedFiles.length).toBeLessThan(MAX_CHANGED_FILES);
    expect(Buffer.byteLength(JSON.stringify(event.changedFiles))).toBeLessThanOrEqual(CHANGED_FILES_BUDGET_BYTES);
    const entry = toBusEntry({ detailType: "push", detail: event }, "github", new Date());
    expect(Buffer.byteLength(entry.Source + entry.DetailType + entry.Detail)).toBeLessThan(ENTRY_LIMIT_BYTES);
  });

  it("always produces a valid, bounded bus event (property)", () => {
    const path = fc.string({ minLength: 1, maxLength: 300, unit: "grapheme" });
    const anyCommit = fc.record(
      { added: fc.array(path, { maxLength: 80 }), modified: fc.array(path, { maxLength: 80 }), removed: fc.array(path, { maxLength: 80 }) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(anyCommit, { maxLength: 30 }), fc.boolean(), fc.boolean(), (commits, forced, created) => {
        const event = normalizePush(push({ commits, forced, created }), DELIVERY);
        expect(pushEventSchema.parse(event)).toEqual(event);
        expect(new Set(event.changedFiles).size).toBe(event.changedFiles.length);
        expect(event.changedFiles.length).toBeLessThanOrEqual(MAX_CHANGED_FILES);
        expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(ENTRY_LIMIT_BYTES - EVENT_SOURCE.length - 10);
        const listed = new Set(commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]));
        if (!event.truncated) expect(new Set(event.changedFiles)).toEqual(listed);
        if (forced || created || commits.length >= LISTED_COMMITS_LIMIT) expect(event.truncated).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects commit ids that are not 40 lowercase hex digits", () => {
    const payload = { ...examplePayload("push"), after: "6113728F27AE82C7B1A177C8D03F9E96E0ADF246" };
    expect(pushPayloadSchema.safeParse(payload).success).toBe(false);
  });
});

describe("collectChangedFiles", () => {
  it("reports an incomplete list when the byte budget is hit", () => {
    const huge = "x".repeat(CHANGED_FILES_BUDGET_BYTES);
    expect(collectChangedFiles([commit(["a", huge, "b"])])).toEqual({ changedFiles: ["a"], complete: false });
  });
});

describe("normalizePullRequest", () => {
  const pullRequest = (edit: (payload: Record<string, any>) => void = () => {}) => {
    const payload = examplePayload("pull_request", "opened");
    edit(payload);
    return pullRequestPayloadSchema.parse(payload);
  };

  it("keeps the head branch name whole", () => {
    const event = normalizePullRequest(
      pullRequest((p) => (p.pull_request.head.ref = "users/alice/feature/x")),
      DELIVERY,
    );
    expect(event.headRef).toBe("users/alice/feature/x");
    expect(event.baseRef).toBe("master");
  });

  it("marks a pull request from another repository as from a fork", () => {
    const event = normalizePullRequest(
      pullRequest((p) => (p.pull_request.head.repo.full_name = "mallory/Hello-World")),
      DELIVERY,
    );
    expect(event).toMatchObject({ fromFork: true, headRepository: "mallory/Hello-World", repository: "Codertocat/Hello-World" });
  });

  it("treats a deleted fork (head.repo null) as a fork", () => {
    const event = normalizePullRequest(
      pullRequest((p) => (p.pull_request.head.repo = null)),
      DELIVERY,
    );
    expect(event).toMatchObject({ fromFork: true, headRepository: DELETED_FORK });
  });

  it("does not treat the same repository in another letter case as a fork", () => {
    const event = normalizePullRequest(
      pullRequest((p) => (p.pull_request.head.repo.full_name = "codertocat/hello-world")),
      DELIVERY,
    );
    expect(event.fromFork).toBe(false);
  });

  it("carries the pull request's page, for links back to it", () => {
    const event = normalizePullRequest(pullRequest(), DELIVERY);
    expect(event.htmlUrl).toBe("https://github.com/Codertocat/Hello-World/pull/2");
  });

  it.each([
    ["absent", undefined],
    ["not a web URL", "javascript:alert(1)"],
    ["longer than the bus allows", `https://github.com/${"o".repeat(MAX_HTML_URL_LENGTH)}/pull/2`],
  ])("leaves the page out when it is %s, and still accepts the delivery", (_case, url) => {
    const event = normalizePullRequest(
      pullRequest((p) => (p.pull_request.html_url = url)),
      DELIVERY,
    );
    expect(event).not.toHaveProperty("htmlUrl");
    expect(event.headSha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("defaults draft and merged to false when GitHub Enterprise leaves them out", () => {
    const event = normalizePullRequest(
      pullRequest((p) => {
        delete p.pull_request.draft;
        p.pull_request.merged = null;
      }),
      DELIVERY,
    );
    expect(event).toMatchObject({ draft: false, merged: false });
  });

  it("refuses a payload without a head sha, naming the field", () => {
    const payload = examplePayload("pull_request", "opened");
    delete payload.pull_request.head.sha;
    const result = pullRequestPayloadSchema.safeParse(payload);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].path).toEqual(["pull_request", "head", "sha"]);
  });

  it("is a MalformedDeliveryError when the normalized event would break the bus contract", () => {
    const parsed = pullRequest();
    expect(() => normalizePullRequest({ ...parsed, number: 0 }, DELIVERY)).toThrow(MalformedDeliveryError);
  });
});
