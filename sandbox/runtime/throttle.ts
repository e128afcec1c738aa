/**
 * API Gateway's route throttling: a token bucket holding up to `burstLimit`
 * requests, refilled at `rateLimit` per second. A request that finds the
 * bucket empty is answered 429 without reaching the function.
 */
export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    private readonly rateLimit: number,
    private readonly burstLimit: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burstLimit;
    this.updated = now();
  }

  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burstLimit, this.tokens + ((now - this.updated) / 1000) * this.rateLimit);
    this.updated = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
