/**
 * Accounts of the AWS emulator with IAM checks on, for tests that prove a
 * boundary with each identity's own credentials: every account gets an
 * administrator before the checks are switched on, and every SDK client a
 * test makes is destroyed after all its tests.
 */
import { IAMClient } from "@aws-sdk/client-iam";
import { enableIamChecks } from "../../../sandbox/accounts";
import type { AwsCredentials } from "../../../sandbox/aws/clients";
import { createAdministratorUser } from "../../../sandbox/aws/iam";
import { EMULATOR_REGION, type Emulator, inAccount } from "../../../sandbox/emulator";
import { BOOTSTRAP_CREDENTIALS } from "../../../sandbox/provider";

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: unknown;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function policy(...statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export const roleArn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;

export interface EmulatorAccounts {
  /** The administrator of `account`, a user allowed everything. */
  administrator(account: string): AwsCredentials;
  /** The SDK configuration of a client signed as `credentials`. */
  sdkConfig(credentials: AwsCredentials): { endpoint: string; region: string; credentials: AwsCredentials; forcePathStyle: true; maxAttempts: 1 };
  /** Keeps `made` to destroy it after all tests. */
  client<C extends { destroy(): void }>(made: C): C;
}

/** Call after useEmulator(): its beforeAll starts the emulator before this one sets the accounts up. */
export function useEmulatorAccounts(emulator: () => Emulator, accounts: readonly string[]): EmulatorAccounts {
  const administrators = new Map<string, AwsCredentials>();
  const clients: { destroy(): void }[] = [];
  const made: EmulatorAccounts = {
    administrator(account) {
      const credentials = administrators.get(account);
      if (credentials === undefined) throw new Error(`Account ${account} has no administrator: list it in useEmulatorAccounts`);
      return credentials;
    },
    sdkConfig: (credentials) => ({ endpoint: emulator().endpoint, region: EMULATOR_REGION, credentials, forcePathStyle: true, maxAttempts: 1 }),
    client(client) {
      clients.push(client);
      return client;
    },
  };
  beforeAll(async () => {
    // Before IAM checks are on, any credentials act in the account the header names.
    for (const account of accounts) {
      const bootstrap = made.client(inAccount(new IAMClient(made.sdkConfig(BOOTSTRAP_CREDENTIALS)), account));
      administrators.set(account, await createAdministratorUser(bootstrap, "administrator"));
    }
    await enableIamChecks(emulator().endpoint);
  });
  afterAll(() => {
    for (const client of clients) client.destroy();
  });
  return made;
}
