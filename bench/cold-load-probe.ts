/**
 * One cold load, in a fresh Node.js process (bench/cold-load.ts bundles this
 * file with esbuild and runs it once per sample): require a function's bundle,
 * then build the SDK clients its first invocation needs, then send each one
 * call, answered in-process (no network) so that what the SDK loads and runs
 * on a first call is counted without the emulator's time.
 *
 *   node cold-load-probe.js <bundle index.js> <clients as JSON>
 *
 * Prints `{"moduleMs", "clientsMs", "firstCallsMs"}`.
 */
import { firstInvocationClientsSchema, type FirstInvocationClient } from "./cold-load-clients";

interface SdkCommand {
  readonly input: object;
}
interface SdkClient {
  send(command: SdkCommand): Promise<unknown>;
  destroy(): void;
}
type Constructor<T> = new (argument: object) => T;

const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

async function probe(bundle: string, clients: readonly FirstInvocationClient[]): Promise<void> {
  const started = process.hrtime.bigint();
  require(bundle);
  const moduleMs = elapsedMs(started);

  const answered = new Set<string>();
  const built = clients.map((spec) => {
    const sdk = require(spec.module) as Record<string, Constructor<unknown>>;
    const ClientClass = sdk[spec.client] as Constructor<SdkClient> | undefined;
    const CommandClass = sdk[`${spec.operation}Command`] as Constructor<SdkCommand> | undefined;
    if (!ClientClass || !CommandClass)
      throw new Error(
        `${spec.module} has no ${spec.client} or ${spec.operation}Command. Fix: correct FIRST_INVOCATION_CLIENTS in bench/cold-load-clients.ts`,
      );
    // The answer is an empty JSON object: what a JSON-protocol call needs; others fail to parse it, after the SDK did its work.
    const requestHandler = {
      handle: async () => {
        answered.add(spec.operation);
        return { response: { statusCode: 200, headers: { "content-type": "application/json" }, body: new TextEncoder().encode("{}") } };
      },
    };
    return { spec, client: new ClientClass({ requestHandler, maxAttempts: 1 }), command: new CommandClass(spec.input) };
  });
  const clientsMs = elapsedMs(started) - moduleMs;

  for (const { client, command } of built) await client.send(command).catch(() => undefined);
  const firstCallsMs = elapsedMs(started) - moduleMs - clientsMs;
  const unanswered = built.filter(({ spec }) => !answered.has(spec.operation)).map(({ spec }) => spec.operation);
  if (unanswered.length > 0)
    throw new Error(
      `The SDK never sent ${unanswered.join(", ")} (failed before the request). Fix: give them a valid input in FIRST_INVOCATION_CLIENTS (bench/cold-load-clients.ts)`,
    );
  for (const { client } of built) client.destroy();
  process.stdout.write(JSON.stringify({ moduleMs, clientsMs, firstCallsMs }));
}

const [bundle, clients] = process.argv.slice(2);
if (!bundle || !clients) throw new Error("Usage: node cold-load-probe.js <bundle index.js> <clients as JSON>");
probe(bundle, firstInvocationClientsSchema.parse(JSON.parse(clients) as unknown)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
