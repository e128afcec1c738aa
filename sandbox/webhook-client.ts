import { createHmac, randomUUID } from "node:crypto";

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub signs a delivery. */
export function signature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface Delivery {
  /** X-GitHub-Event, e.g. pull_request or push. */
  readonly event: string;
  /** The raw body; signed exactly as sent. */
  readonly body: Buffer | string;
  /** X-GitHub-Delivery; a redelivery reuses the first one's. @default a new UUID */
  readonly deliveryId?: string;
  /** Replaces or (with undefined) removes headers, e.g. to send a bad signature. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

export interface DeliveryAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly deliveryId: string;
}

/** Posts a delivery signed with `secret` the way GitHub does, and returns the answer. */
export async function sendDelivery(webhookUrl: string, secret: string, delivery: Delivery): Promise<DeliveryAnswer> {
  const deliveryId = delivery.deliveryId ?? randomUUID();
  const headers: Record<string, string | undefined> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/pipewright-sandbox",
    "x-github-event": delivery.event,
    "x-github-delivery": deliveryId,
    "x-github-hook-id": "1",
    "x-hub-signature-256": signature(secret, delivery.body),
    ...Object.fromEntries(Object.entries(delivery.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  const sent = Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const response = await fetch(webhookUrl, { method: "POST", headers: sent, body: delivery.body });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: await response.text(),
    deliveryId,
  };
}
