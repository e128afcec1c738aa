import { buildSync } from "esbuild";
import { createWriteStream, mkdirSync } from "node:fs";
import * as path from "node:path";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type AwsCredentials, sandboxClient, sandboxClientConfig } from "../aws/clients";
import { SqsQueue } from "../aws/sqs";
import { BusTargetDelivery } from "./event-delivery";
import { FunctionPool } from "./function-pool";
import { type HttpFront, type RouteTarget, startHttpFront } from "./http-front";
import type { RunnableFunction, RuntimeManifest } from "./manifest";

export interface RuntimeOptions {
  readonly manifest: RuntimeManifest;
  readonly functions: readonly RunnableFunction[];
  readonly endpoint: string;
  /** The build account's administrator: reads the delivery queues, writes rule dead letters. */
  readonly administrator: AwsCredentials;
  readonly logDir: string;
  readonly binDir: string;
  /** node_modules holding the SDK the bundles leave external. */
  readonly nodePath: string;
  /** Environments per function at most (a 2-core machine runs out of CPU, not of Lambda quota). */
  readonly maxEnvironments: number;
  readonly log: (message: string, details: Record<string, unknown>) => void;
}

export interface Runtime {
  /** The HTTP API's stage URL: each route at `<httpApiUrl><path>`. */
  readonly httpApiUrl: string;
  stop(): Promise<void>;
}

/** Compiles the execution-environment script on its own, so each environment starts plain Node. */
export function compileFunctionHost(binDir: string): string {
  mkdirSync(binDir, { recursive: true });
  const outfile = path.join(binDir, "function-host.js");
  buildSync({
    entryPoints: [path.join(__dirname, "function-host.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    logLevel: "silent",
  });
  return outfile;
}

/**
 * The platform's functions running locally: a pool of execution
 * environments per function, the HTTP API in front of its functions, and
 * the delivery of every bus rule's matches to its function.
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { manifest, endpoint, log } = options;
  const region = manifest.region;
  const hostScript = compileFunctionHost(options.binDir);
  const pools = new Map(
    options.functions.map((fn) => [
      fn.name,
      new FunctionPool(fn, {
        hostScript,
        endpoint,
        region,
        nodePath: options.nodePath,
        logFile: path.join(options.logDir, `function-${fn.name}.log`),
        maxEnvironments: options.maxEnvironments,
      }),
    ]),
  );
  const pool = (name: string): FunctionPool => {
    const found = pools.get(name);
    if (!found) throw new Error(`No function ${name} in the runtime`);
    return found;
  };
  const queueUrl = (arn: string | undefined) => manifest.queues.find((q) => q.arn === arn)?.url;
  // One SQS client per identity, shared by its queues: the long polls and deletes reuse its connections.
  const sqsClients = new Map<AwsCredentials, SQSClient>();
  const sqs = (credentials: AwsCredentials): SQSClient => {
    let client = sqsClients.get(credentials);
    if (!client) {
      client = sandboxClient(new SQSClient(sandboxClientConfig({ endpoint, region, credentials })));
      sqsClients.set(credentials, client);
    }
    return client;
  };

  let front: HttpFront | undefined;
  const deliveries: BusTargetDelivery[] = [];
  const accessLog = createWriteStream(path.join(options.logDir, "api-access.log"), { flags: "a" });
  const stop = async () => {
    await Promise.all(deliveries.map((d) => d.stop()));
    await front?.close();
    await Promise.all([...pools.values()].map((p) => p.stop()));
    for (const client of sqsClients.values()) client.destroy();
    await new Promise<void>((resolve) => accessLog.end(resolve));
  };
  try {
    // Every environment loads its bundle now: a broken bundle fails `up`, not the first delivery.
    await Promise.all([...pools.values()].map((p) => p.warm()));

    const targets = new Map<string, RouteTarget>(
      manifest.httpApi.routes.map(({ functionName }) => {
        const routed = pool(functionName);
        return [functionName, { permissions: routed.fn.permissions, invoke: (event) => routed.invoke(event) }];
      }),
    );
    front = await startHttpFront({
      api: manifest.httpApi,
      region,
      targets,
      accessLog: (line) => accessLog.write(`${line}\n`),
    });

    for (const busTarget of manifest.busTargets) {
      const fnPool = pool(busTarget.functionName);
      const deadLetterUrl = queueUrl(busTarget.deadLetterArn);
      const onFailureUrl = queueUrl(fnPool.fn.asyncInvoke.onFailure);
      const delivery = new BusTargetDelivery({
        target: busTarget,
        fn: fnPool.fn,
        invoke: (event) => fnPool.invoke(event),
        deliveryQueue: new SqsQueue(sqs(options.administrator), busTarget.deliveryQueueUrl),
        ...(deadLetterUrl ? { ruleDeadLetterQueue: new SqsQueue(sqs(options.administrator), deadLetterUrl) } : {}),
        ...(onFailureUrl ? { onFailureQueue: new SqsQueue(sqs(fnPool.fn.credentials), onFailureUrl) } : {}),
        maxInFlight: fnPool.maxEnvironments * 2,
        log,
      });
      delivery.start();
      deliveries.push(delivery);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { httpApiUrl: front.url, stop };
}
