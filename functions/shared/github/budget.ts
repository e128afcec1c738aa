import type { GitHubClient } from "./client";

/**
 * The time one job (a push's comparisons, a reconciler run, a commit status)
 * may spend on its GitHub calls, retries and rate-limit waits included. The
 * job's calls go through `request(client)` and `pages(client, ...)`, which
 * carry the budget's signal: once it is spent, the request in flight is cut
 * and later ones fail at once (Octokit retries a timeout, never an abort).
 * A GitHub App's token requests, made by @octokit/auth-app, do not carry it.
 */
export class GitHubBudget {
  readonly signal: AbortSignal;

  constructor(readonly budgetMs: number) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), budgetMs).unref();
    this.signal = controller.signal;
  }

  /** The client's request method, each call carrying the budget's signal. */
  request(client: GitHubClient): GitHubClient["request"] {
    return client.request.defaults({ request: { signal: this.signal } });
  }

  /**
   * The pages of a paged GET, followed through GitHub's Link headers by
   * Octokit's paginate plugin. It sends only method, URL and headers to the
   * request method it is given, so the signal rides on that method.
   */
  pages(client: GitHubClient, route: `GET ${string}`, parameters: Record<string, unknown>): AsyncIterable<{ readonly data: unknown }> {
    const url = route.slice("GET ".length);
    // The request-method overload of paginate types its parameters loosely; the route's own parameters are checked by GitHub.
    return client.paginate.iterator(this.request(client), { method: "GET", url, ...parameters } as never);
  }
}
