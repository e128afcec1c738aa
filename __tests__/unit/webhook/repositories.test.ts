import { DETAIL_TYPES, pullRequestEventSchema, pushEventSchema } from "../../../functions/shared/events";
import type { RepositoryEntry } from "../../../functions/shared/repositories";
import type { RepositoryLookup } from "../../../functions/webhook/route";
import {
  DELIVERY_ID,
  REPOSITORY,
  catalogOf,
  examplePayload,
  examplePayloadWhere,
  handlerWithFakes,
  manyRepositories,
  read,
  signedRequest,
} from "../../fixtures/webhook/deliveries";

/** One endpoint for every configured repository: repository, organization and GitHub App webhooks. */

const REPOSITORY_A = "octo-org/storefront";
const REPOSITORY_B = "octo-org/payments-platform-with-a-rather-long-repository-name";
const UNCONFIGURED = "octo-org/not-in-pipewright";

type Payload = Record<string, any>;

/** A real payload moved to `repository`: the repository and, for a pull request, its base and (same-repository) head. */
function inRepository(payload: Payload, repository: string): Payload {
  payload.repository.full_name = repository;
  if (payload.pull_request) {
    payload.pull_request.base.repo.full_name = repository;
    payload.pull_request.head.repo.full_name = repository;
  }
  return payload;
}

const pullRequestOpened = (repository: string) => inRepository(examplePayload("pull_request", "opened"), repository);
const push = (repository: string) => inRepository(examplePayload("push"), repository);

/** GitHub's pull_request opened as a GitHub App receives it (with `installation`). */
const appPullRequestOpened = () => examplePayloadWhere("pull_request", (p) => p.action === "opened" && p.installation !== undefined);
/** GitHub's push as a GitHub App receives it. */
const appPush = () => examplePayloadWhere("push", (p) => p.installation !== undefined);
/** GitHub's pull_request opened as an organization webhook receives it (with `organization`, without `installation`). */
const organizationPullRequestReadyForReview = () =>
  examplePayloadWhere("pull_request", (p) => p.action === "ready_for_review" && p.organization !== undefined && p.installation === undefined);

function delivery(event: string, payload: Payload, deliveryId = DELIVERY_ID) {
  return signedRequest(JSON.stringify(payload), { event, deliveryId });
}

describe("webhook: one endpoint for all configured repositories", () => {
  it("hands on a pull request of repository A and a push of repository B, each with its own repository", async () => {
    const { handle, bus } = handlerWithFakes({ repositories: catalogOf([REPOSITORY_A, REPOSITORY_B]) });

    const pullRequest = read(await handle(delivery("pull_request", pullRequestOpened(REPOSITORY_A), "delivery-a")));
    const pushed = read(await handle(delivery("push", push(REPOSITORY_B), "delivery-b")));

    expect(pullRequest).toEqual({ status: 202, body: { deliveryId: "delivery-a", status: "accepted" } });
    expect(pushed).toEqual({ status: 202, body: { deliveryId: "delivery-b", status: "accepted" } });
    expect(bus.published.map(({ event }) => [event.detailType, event.detail.deliveryId, event.detail.repository])).toEqual([
      [DETAIL_TYPES.pullRequest, "delivery-a", REPOSITORY_A],
      [DETAIL_TYPES.push, "delivery-b", REPOSITORY_B],
    ]);
    expect(bus.published[0].event.detail).toMatchObject({ headRepository: REPOSITORY_A, fromFork: false });
  });

  it("ignores a repository that is not configured, naming it and the fix, and publishes nothing", async () => {
    const { handle, bus } = handlerWithFakes({ repositories: catalogOf([REPOSITORY_A, REPOSITORY_B]) });

    for (const [event, payload] of [
      ["pull_request", pullRequestOpened(UNCONFIGURED)],
      ["push", push(UNCONFIGURED)],
    ] as const) {
      const result = read(await handle(delivery(event, payload)));
      expect(result).toEqual({
        status: 202,
        body: {
          deliveryId: DELIVERY_ID,
          status: "ignored",
          reason: `repository ${UNCONFIGURED} is not configured in pipewright. Fix: add it to repositories[] of the configuration if its changes should start pipelines`,
        },
      });
    }
    expect(bus.published).toHaveLength(0);
  });

  it("finds repositories whatever the case of owner and name, and keeps GitHub's spelling on the event", async () => {
    const configuredInOtherCase = handlerWithFakes({ repositories: catalogOf(["OCTO-ORG/StoreFront"]) });
    expect(read(await configuredInOtherCase.handle(delivery("pull_request", pullRequestOpened(REPOSITORY_A)))).body.status).toBe("accepted");
    expect(configuredInOtherCase.bus.published[0].event.detail.repository).toBe(REPOSITORY_A);

    const deliveredInOtherCase = handlerWithFakes({ repositories: catalogOf([REPOSITORY_A]) });
    expect(read(await deliveredInOtherCase.handle(delivery("push", push("Octo-Org/STOREFRONT")))).body.status).toBe("accepted");
    expect(deliveredInOtherCase.bus.published[0].event.detail.repository).toBe("Octo-Org/STOREFRONT");
  });

  it("accepts a GitHub App's deliveries and puts their installation id on the event", async () => {
    const { handle, bus } = handlerWithFakes();
    const pullRequest = appPullRequestOpened();
    const pushed = appPush();
    expect(pullRequest.installation.id).toBe(1);

    expect(read(await handle(delivery("pull_request", pullRequest, "app-pr"))).body).toEqual({ deliveryId: "app-pr", status: "accepted" });
    expect(read(await handle(delivery("push", pushed, "app-push"))).body).toEqual({ deliveryId: "app-push", status: "accepted" });

    const [prEvent, pushEvent] = bus.published.map(({ event }) => event.detail);
    expect(prEvent).toMatchObject({ repository: REPOSITORY, installationId: 1, action: "opened" });
    expect(pushEvent).toMatchObject({ repository: REPOSITORY, installationId: pushed.installation.id });
    expect(pullRequestEventSchema.parse(prEvent)).toEqual(prEvent);
    expect(pushEventSchema.parse(pushEvent)).toEqual(pushEvent);
  });

  it("accepts an organization webhook's delivery, without an installation id", async () => {
    const payload = organizationPullRequestReadyForReview();
    expect(payload.organization.login).toEqual(expect.any(String));
    const { handle, bus } = handlerWithFakes();

    expect(read(await handle(delivery("pull_request", payload)))).toEqual({ status: 202, body: { deliveryId: DELIVERY_ID, status: "accepted" } });
    expect(bus.published[0].event.detail).toMatchObject({ repository: REPOSITORY, action: "ready_for_review" });
    expect(bus.published[0].event.detail).not.toHaveProperty("installationId");
  });

  it("answers 400 naming the field when a delivery's installation has no usable id", async () => {
    const payload = appPullRequestOpened();
    payload.installation.id = "1";
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(delivery("pull_request", payload)));
    expect(result.status).toBe(400);
    expect(result.body.message).toContain("The pull_request payload is not valid at installation.id");
    expect(bus.published).toHaveLength(0);
  });

  it.each([
    ["installation", "created"],
    ["installation", "deleted"],
    ["installation_repositories", "added"],
    ["installation_repositories", "removed"],
  ])("ignores the GitHub App's %s %s event with a reason", async (event, action) => {
    const { handle, bus } = handlerWithFakes();
    const result = read(await handle(delivery(event, examplePayload(event, action))));
    expect(result).toEqual({
      status: 202,
      body: {
        deliveryId: DELIVERY_ID,
        status: "ignored",
        reason: `event ${event} changes the GitHub App's installation, not a repository; pipewright looks installations up when it calls GitHub, so nothing is needed`,
      },
    });
    expect(bus.published).toHaveLength(0);
  });

  it("answers a GitHub App's or an organization's ping with 200", async () => {
    const { handle } = handlerWithFakes({ repositories: catalogOf([REPOSITORY_A]) });
    for (const ping of [examplePayloadWhere("ping", (p) => p.organization !== undefined), examplePayloadWhere("ping", (p) => p.hook?.app_id)]) {
      expect(read(await handle(delivery("ping", ping))).status).toBe(200);
    }
  });
});

describe("webhook: routing with a catalog of 200 repositories", () => {
  /** Deliveries of every kind of answer: accepted (two repositories, an App's, in another case), ignored (unconfigured, action). */
  function deliveries(first: string, last: string) {
    return [
      delivery("pull_request", pullRequestOpened(first), "first-pr"),
      delivery("push", push(last), "last-push"),
      delivery("pull_request", appPullRequestOpened(), "app-pr"),
      delivery("push", push(last.toUpperCase()), "upper-case-push"),
      delivery("pull_request", pullRequestOpened(UNCONFIGURED), "unconfigured-pr"),
      delivery("push", push(UNCONFIGURED), "unconfigured-push"),
      delivery("pull_request", inRepository(examplePayload("pull_request", "assigned"), first), "assigned"),
    ];
  }

  it("gives the same answers and events as a catalog of the same repositories alone", async () => {
    const many = manyRepositories(200, 100);
    const first = many[0] as string;
    const last = many[199] as string;
    const small = handlerWithFakes({ repositories: catalogOf([first, REPOSITORY, last]) });
    const large = handlerWithFakes({ repositories: catalogOf(many) });

    const smallAnswers = [];
    const largeAnswers = [];
    for (const request of deliveries(first, last)) smallAnswers.push(read(await small.handle(request)));
    for (const request of deliveries(first, last)) largeAnswers.push(read(await large.handle(request)));

    expect(largeAnswers).toEqual(smallAnswers);
    expect(largeAnswers.map((answer) => answer.body.status)).toEqual([
      "accepted",
      "accepted",
      "accepted",
      "accepted",
      "ignored",
      "ignored",
      "ignored",
    ]);
    expect(large.bus.published).toEqual(small.bus.published);
    expect(large.bus.published.map(({ event }) => event.detail.repository)).toEqual([first, last, REPOSITORY, last.toUpperCase()]);
  });

  it("looks each delivery's repository up once, by name, without going through the list", async () => {
    const catalog = catalogOf(manyRepositories(200, 100));
    const asked: string[] = [];
    const lookup: RepositoryLookup = {
      get(repository: string): RepositoryEntry | undefined {
        asked.push(repository);
        return catalog.get(repository);
      },
    };
    const { handle } = handlerWithFakes({ repositories: lookup });
    for (const request of deliveries(REPOSITORY, REPOSITORY)) await handle(request);
    expect(asked).toEqual([REPOSITORY, REPOSITORY, REPOSITORY, REPOSITORY.toUpperCase(), UNCONFIGURED, UNCONFIGURED, REPOSITORY]);
  });
});
