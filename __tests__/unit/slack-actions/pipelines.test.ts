import { RepositoryCatalog } from "../../../functions/shared/repositories";
import { approvalSummary, decideApproval, stageOfExecution, type StageView } from "../../../functions/slack-actions/pipelines";
import { findService } from "../../../functions/slack-actions/services";

const TARGET = { pipeline: "pw-orders", stage: "Prod", action: "Approve", executionId: "e-1" };
const stages = (prod: Partial<StageView>, approve: StageView["actions"][number]): StageView[] => [
  { name: "Source", executionId: "e-2", status: "Succeeded", actions: [{ name: "Source", status: "Succeeded" }] },
  { name: "Prod", executionId: "e-1", status: "InProgress", actions: [approve], ...prod },
];

describe("decideApproval", () => {
  it("answers an approval of the button's execution that waits with a token", () => {
    expect(decideApproval(stages({}, { name: "Approve", status: "InProgress", token: "t" }), TARGET)).toEqual({ kind: "answer", token: "t" });
  });

  it.each([
    ["superseded", stages({ executionId: "e-2" }, { name: "Approve", status: "InProgress", token: "t" })],
    ["already_answered", stages({}, { name: "Approve", status: "Succeeded" })],
    ["already_answered", stages({}, { name: "Approve", status: "InProgress" })],
    ["expired", stages({ name: "Production" }, { name: "Approve", status: "InProgress", token: "t" })],
    ["expired", stages({}, { name: "Sign-off", status: "InProgress", token: "t" })],
    ["expired", undefined],
  ])("says %s", (kind, state) => {
    expect(decideApproval(state, TARGET)).toEqual({ kind });
  });
});

describe("approvalSummary", () => {
  it("names who answered in Slack and why, on one line", () => {
    expect(approvalSummary("Approved", { id: "U0APPROVER1", name: "ada" }, "checked\n the  change set")).toBe(
      "Approved in Slack by ada (U0APPROVER1): checked the change set",
    );
    expect(approvalSummary("Rejected", { id: "U0APPROVER1" }, "   ")).toBe("Rejected in Slack by U0APPROVER1");
  });
});

describe("stageOfExecution", () => {
  it("gives the stage in progress, else the last one the execution reached", () => {
    expect(stageOfExecution(stages({}, { name: "Approve", status: "InProgress" }), "e-1")).toEqual({ name: "Prod", current: true });
    expect(stageOfExecution(stages({}, { name: "Approve" }), "e-2")).toEqual({ name: "Source", current: false });
    expect(stageOfExecution(stages({}, { name: "Approve" }), "e-3")).toBeUndefined();
  });
});

describe("findService", () => {
  const service = (name: string, pipeline: string) => ({ name, pipeline, include: ["**"] });
  const catalog = RepositoryCatalog.from({
    repositories: [
      { repository: "acme/shop", mainBranch: "main", forkLabel: "ok", services: [service("api", "pw-shop-api"), service("orders", "pw-orders")] },
      { repository: "acme/ledger", mainBranch: "main", forkLabel: "ok", services: [service("api", "pw-ledger-api"), service("books", "pw-ledger")] },
    ],
  });
  const found = (argument: string) => {
    const lookup = findService(catalog, argument);
    return lookup.kind === "found" ? lookup.entry.service.pipeline : lookup.reason;
  };

  it("finds a service by its pipeline, its service key or its unique name", () => {
    expect(found("pw-shop-api")).toBe("pw-shop-api");
    expect(found("shop-api")).toBe("pw-shop-api");
    expect(found("orders")).toBe("pw-orders");
    expect(found("books")).toBe("pw-ledger");
    expect(found("ledger")).toBe("pw-ledger");
  });

  it("says when a name is ambiguous or unknown", () => {
    expect(found("api")).toBe('"api" names several pipelines (pw-shop-api, pw-ledger-api); give the pipeline\'s full name');
    expect(found("billing")).toBe('no service or pipeline is called "billing"; the services are api, orders, api, books');
  });
});
