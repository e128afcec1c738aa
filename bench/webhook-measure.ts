import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { REPOSITORY, catalogOf, examplePayload, handlerWithFakes, manyRepositories, signedRequest } from "../__tests__/fixtures/webhook/deliveries";
import type { WebhookHandler } from "../functions/webhook/handler";
import { summarize } from "./stats";

/**
 * Per-delivery handling time of the webhook handler, network excluded:
 * signature check, validation, routing, normalization and the hand-off to a
 * bus that answers at once. Real GitHub payloads (pull_request opened and
 * push), each signed, alternating; logging is silenced so stdout does not
 * dominate.
 *
 * Two handlers are measured side by side, delivery by delivery, so both see
 * the same machine: one with one configured repository, one with a catalog of
 * `repositories` whose deliveries come from all of them in turn. Each delivery
 * is handled `HANDLINGS` times: the first handling is the delivery's time as
 * GitHub sees it; the best of them is its own cost, without the pauses the
 * machine adds (a garbage collection, a preemption only ever add time), which
 * is what compares the two catalogs without the noise of a shared machine.
 * Bundled and run by bench/webhook.ts (`node webhook.js <repositories>`);
 * prints its figures as JSON.
 */

const HANDLINGS = 3;

type PayloadOf = (repository: string) => { event: string; body: string };

/** The example payload of `event` moved to `repository` (and, for a pull request, its base and head). */
function payloadIn(event: string, action?: string): PayloadOf {
  return (repository) => {
    const payload = examplePayload(event, action);
    payload.repository.full_name = repository;
    if (payload.pull_request) {
      payload.pull_request.base.repo.full_name = repository;
      payload.pull_request.head.repo.full_name = repository;
    }
    return { event, body: JSON.stringify(payload) };
  };
}

const PAYLOADS: readonly PayloadOf[] = [payloadIn("pull_request", "opened"), payloadIn("push")];

interface Run {
  handle: WebhookHandler;
  requests: APIGatewayProxyEventV2[];
  /** Each delivery's first handling. */
  first: number[];
  /** Each delivery's best handling. */
  best: number[];
  accepted: number;
}

/** A handler over `catalog`, and `count` signed deliveries, the i-th of `repositoryOf(i)`. */
function prepare(catalog: readonly string[], count: number, repositoryOf: (i: number) => string): Run {
  const requests = Array.from({ length: count }, (_, i) => {
    const { event, body } = (PAYLOADS[i % PAYLOADS.length] as PayloadOf)(repositoryOf(i));
    return signedRequest(body, { event, deliveryId: randomUUID() });
  });
  return { handle: handlerWithFakes({ repositories: catalogOf(catalog) }).handle, requests, first: [], best: [], accepted: 0 };
}

async function measure(repositories: number, deliveries = 1000, warmup = 50) {
  const many = manyRepositories(repositories);
  const one = prepare([REPOSITORY], deliveries + warmup, () => REPOSITORY);
  const catalog = prepare(many, deliveries + warmup, (i) => many[i % many.length] as string);
  for (let i = 0; i < deliveries + warmup; i++) {
    // Alternating which goes first, so neither always runs after the other.
    for (const run of i % 2 === 0 ? [one, catalog] : [catalog, one]) {
      const request = run.requests[i] as APIGatewayProxyEventV2;
      const times: number[] = [];
      let accepted = true;
      for (let handling = 0; handling < HANDLINGS; handling++) {
        const started = process.hrtime.bigint();
        const result = await run.handle(request);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        // Ignored deliveries are 202 too: only those put on the bus count.
        accepted &&= result.statusCode === 202 && result.body?.includes('"status":"accepted"') === true;
      }
      if (i < warmup) continue;
      run.first.push(times[0] as number);
      run.best.push(Math.min(...times));
      if (accepted) run.accepted++;
    }
  }
  return {
    oneRepository: { ...summarize(one.first), accepted: one.accepted },
    catalogs: {
      repositories,
      accepted: catalog.accepted,
      oneRepositoryBest: summarize(one.best),
      manyRepositoriesBest: summarize(catalog.best),
      manyRepositoriesFirst: summarize(catalog.first),
    },
  };
}

const repositories = Number(process.argv[2] ?? "200");
if (!Number.isInteger(repositories) || repositories < 1) throw new Error(`webhook-measure: "${process.argv[2]}" is not a number of repositories`);
measure(repositories).then((figures) => process.stdout.write(JSON.stringify(figures)));
