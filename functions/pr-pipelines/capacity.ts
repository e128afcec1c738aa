/**
 * The cap on pull request pipelines across the platform, as a ledger: which
 * pull requests hold how many pipelines, and which wait for room, oldest
 * first. Pure: the decisions here are applied to the stored ledger by one
 * conditional write (capacity-ledger.ts), so a reservation takes all of a
 * pull request's pipelines at once or none, and is never counted twice.
 *
 * - A pull request is reserved once: a retry, a redelivery or a later push
 *   finds its holding and goes on (`alreadyHeld`), so the count stays right
 *   however often an event is delivered.
 * - A holding remembers the `updatedAt` of the change that took it; a close
 *   releases it only when it is at least as new, so a close that loses a race
 *   to a reopen leaves the reopen's pipelines counted.
 * - While pull requests wait, a new one waits behind them even if room opens:
 *   room goes to the waiting ones, oldest first (the reconciler hands it out).
 *   A waiting pull request's own event may take room that is free.
 * - A pull request with more pipelines than the cap would wait forever and
 *   block the queue: it is refused (`too-large`) and does not queue.
 */

/** What a pull request holds: its pipelines, counted when it reserved. */
export interface Holding {
  readonly pipelines: number;
  /** updatedAt (epoch ms) of the change that holds it. */
  readonly updatedAt: number;
}

export interface Ledger {
  /** Bumped by every write; 0 before the first. */
  readonly version: number;
  /** By pull request key (ledgerKey). */
  readonly holdings: ReadonlyMap<string, Holding>;
  /** When each waiting pull request first had to wait (epoch ms), by key. */
  readonly waiting: ReadonlyMap<string, number>;
}

export const EMPTY_LEDGER: Ledger = { version: 0, holdings: new Map(), waiting: new Map() };

/**
 * What a decision changes, for one pull request: its holding and its place
 * in the queue. `undefined` leaves a field as it is, `null` removes it.
 */
export interface LedgerChange {
  readonly key: string;
  readonly holding?: Holding | null;
  readonly waitingSince?: number | null;
}

export interface Decision<T> {
  readonly outcome: T;
  /** Absent when nothing changes. */
  readonly change?: LedgerChange;
}

/** A pull request's key in the ledger: `<owner/name>#<number>`, the repository as the catalog spells it. */
export function ledgerKey(repository: string, number: number): string {
  return `${repository}#${number}`;
}

/** The repository and number of a ledger key. */
export function parseLedgerKey(key: string): { repository: string; number: number } | undefined {
  const at = key.lastIndexOf("#");
  const number = Number(key.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(number) || number <= 0) return undefined;
  return { repository: key.slice(0, at), number };
}

/** Pipelines held across the platform. */
export function inUse(ledger: Ledger): number {
  let total = 0;
  for (const holding of ledger.holdings.values()) total += holding.pipelines;
  return total;
}

/** The ledger after `change`, with the version bumped. */
export function applyChange(ledger: Ledger, change: LedgerChange): Ledger {
  const holdings = new Map(ledger.holdings);
  const waiting = new Map(ledger.waiting);
  if (change.holding === null) holdings.delete(change.key);
  else if (change.holding !== undefined) holdings.set(change.key, change.holding);
  if (change.waitingSince === null) waiting.delete(change.key);
  else if (change.waitingSince !== undefined) waiting.set(change.key, change.waitingSince);
  return { version: ledger.version + 1, holdings, waiting };
}

export interface WaitingPullRequest {
  readonly key: string;
  readonly since: number;
}

/** The waiting pull requests, oldest first (the key breaks ties, so every reader sees one order). */
export function queueOf(ledger: Ledger): WaitingPullRequest[] {
  return [...ledger.waiting]
    .map(([key, since]) => ({ key, since }))
    .sort((a, b) => a.since - b.since || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export interface ReservationRequest {
  readonly key: string;
  /** The pull request's pipelines: all are reserved, or none. */
  readonly pipelines: number;
  /** updatedAt (epoch ms) of the change asking. */
  readonly updatedAt: number;
  /** Now (epoch ms): when a new waiter starts waiting. */
  readonly now: number;
  /** The cap. */
  readonly limit: number;
}

export type Reservation =
  | {
      readonly kind: "reserved";
      /** It held its pipelines already (a retry, a redelivery, a push). */
      readonly alreadyHeld: boolean;
      /** It was waiting until now. */
      readonly waited: boolean;
    }
  | {
      readonly kind: "waiting";
      readonly inUse: number;
      readonly limit: number;
      readonly needed: number;
      /** Pull requests waiting before it. */
      readonly ahead: number;
    }
  | { readonly kind: "too-large"; readonly limit: number; readonly needed: number };

/** Whether the pull request may have its pipelines now, and the ledger change that says so. */
export function decideReservation(ledger: Ledger, request: ReservationRequest): Decision<Reservation> {
  const { key } = request;
  const wasWaiting = ledger.waiting.has(key);
  const dequeue = wasWaiting ? { waitingSince: null } : {};
  const held = ledger.holdings.get(key);
  if (held !== undefined) {
    const outcome = { kind: "reserved", alreadyHeld: true, waited: wasWaiting } as const;
    if (held.updatedAt >= request.updatedAt && !wasWaiting) return { outcome };
    return { outcome, change: { key, holding: { pipelines: held.pipelines, updatedAt: Math.max(held.updatedAt, request.updatedAt) }, ...dequeue } };
  }
  if (request.pipelines > request.limit) {
    return {
      outcome: { kind: "too-large", limit: request.limit, needed: request.pipelines },
      ...(wasWaiting ? { change: { key, waitingSince: null } } : {}),
    };
  }
  const used = inUse(ledger);
  const queueAllows = ledger.waiting.size === 0 || wasWaiting;
  if (queueAllows && used + request.pipelines <= request.limit) {
    return {
      outcome: { kind: "reserved", alreadyHeld: false, waited: wasWaiting },
      change: { key, holding: { pipelines: request.pipelines, updatedAt: request.updatedAt }, ...dequeue },
    };
  }
  const since = ledger.waiting.get(key) ?? request.now;
  const ahead = queueOf(ledger).filter((entry) => entry.key !== key && (entry.since < since || (entry.since === since && entry.key < key))).length;
  return {
    outcome: { kind: "waiting", inUse: used, limit: request.limit, needed: request.pipelines, ahead },
    ...(wasWaiting ? {} : { change: { key, waitingSince: since } }),
  };
}

export type Release =
  | { readonly kind: "released"; readonly pipelines: number; readonly wasWaiting: boolean }
  /** A newer change of the pull request holds the pipelines: they stay counted. */
  | { readonly kind: "kept-for-newer-change" };

/** A closed pull request gives its pipelines back and leaves the queue. */
export function decideRelease(ledger: Ledger, request: { readonly key: string; readonly updatedAt: number }): Decision<Release> {
  const { key } = request;
  const held = ledger.holdings.get(key);
  if (held !== undefined && held.updatedAt > request.updatedAt) return { outcome: { kind: "kept-for-newer-change" } };
  const wasWaiting = ledger.waiting.has(key);
  const outcome = { kind: "released", pipelines: held?.pipelines ?? 0, wasWaiting } as const;
  if (held === undefined && !wasWaiting) return { outcome };
  return { outcome, change: { key, ...(held === undefined ? {} : { holding: null }), ...(wasWaiting ? { waitingSince: null } : {}) } };
}

/**
 * Takes a waiting pull request out of the queue (the reconciler found it
 * closed, or no longer runnable); only if it still waits since `since`, so a
 * pull request that left and queued again meanwhile keeps its new place.
 */
export function decideForget(ledger: Ledger, request: WaitingPullRequest): Decision<boolean> {
  if (ledger.waiting.get(request.key) !== request.since) return { outcome: false };
  return { outcome: true, change: { key: request.key, waitingSince: null } };
}
