/** Prints each step of a command as it finishes, with how long it took. */
export class Progress {
  private readonly started = Date.now();
  /** Seconds per finished step, in order. */
  readonly timings: Array<{ step: string; seconds: number }> = [];

  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {}

  async step<T>(name: string, run: () => Promise<T> | T): Promise<T> {
    const start = Date.now();
    this.write(`… ${name}`);
    try {
      const result = await run();
      const seconds = (Date.now() - start) / 1000;
      this.timings.push({ step: name, seconds });
      this.write(`✓ ${name} (${seconds.toFixed(1)} s)`);
      return result;
    } catch (error) {
      this.write(`✗ ${name} (failed after ${((Date.now() - start) / 1000).toFixed(1)} s)`);
      throw error;
    }
  }

  /** Records a step that ran inside another one (e.g. one stack of a parallel apply). */
  record(name: string, seconds: number): void {
    this.timings.push({ step: name, seconds });
    this.write(`  ✓ ${name} (${seconds.toFixed(1)} s)`);
  }

  get totalSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}
