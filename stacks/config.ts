import { readFileSync } from "node:fs";
import * as path from "node:path";
// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { REPOSITORY_PATTERN } from "../functions/shared/github/repository";
import { globProblem } from "../functions/shared/globs";
import { PlatformNames } from "./names";
import { REPOSITORY_KEY_PATTERN, platformRepositories, platformServices } from "./repositories";
import { FORBIDDEN_APPLICATION_SERVICES } from "./constructs/application-boundary";

/** The configuration file `npm run synth` reads when no other is chosen. */
export const DEFAULT_CONFIG_FILE = "config/example.json";

/** Environment variable that chooses another configuration file. */
export const CONFIG_FILE_ENV = "PIPEWRIGHT_CONFIG";

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/**
 * Words a service name may not contain: stack names end in an environment
 * (`<service>-dev`, `-prod`, `-pr-<n>`), and IAM patterns are prefixes, so a
 * service `x-pr-1` or `x-dev` would fall under service `x`'s patterns.
 */
/** The default cap on pull request pipelines: well under CodePipeline's 1,000 per Region, leaving room for main's. */
export const DEFAULT_MAX_PULL_REQUEST_PIPELINES = 300;

export const RESERVED_SERVICE_WORDS: readonly string[] = ["dev", "prod", "pr"];

const accountId = z.string({ error: "is missing. Fix: give the 12-digit AWS account id as a string" }).regex(/^\d{12}$/, {
  error: (issue) =>
    `${JSON.stringify(issue.input)} is not a 12-digit AWS account id. Fix: copy the 12 digits from the AWS console, as a quoted string so leading zeros survive`,
});

const roleArn = z
  .string({ error: "is missing. Fix: give the ARN of the IAM role Terraform assumes in this account" })
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, {
    error: (issue) => `${JSON.stringify(issue.input)} is not an IAM role ARN. Fix: use the form arn:<partition>:iam::<account id>:role/<name>`,
  });

const account = z.strictObject({
  /** The 12-digit AWS account id. */
  accountId,
  /** The role Terraform assumes to provision this account's stack. */
  provisioningRoleArn: roleArn,
});

const glob = z.string({ error: 'must be a path glob such as "services/api/**"' }).superRefine((value, ctx) => {
  const problem = globProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a valid glob: ${problem}` });
});

const repoPath = (what: string) =>
  z.string({ error: `is missing. Fix: give the repository-relative path of the ${what}` }).regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[\w.@/ -]+$/, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a repository-relative path to the ${what}. Fix: a path like "services/api/buildspec.yml", without a leading "/" or ".." segments`,
  });

/** Slack's user IDs: "U..." for members, "W..." for Enterprise Grid. */
export const SLACK_USER_ID_PATTERN = /^[UW][A-Z0-9]{8,}$/;

/** Slack's conversation IDs: "C..." for channels, "G..." for older private channels. */
export const SLACK_CHANNEL_ID_PATTERN = /^[CG][A-Z0-9]{8,}$/;

/** Slack's Web API, which the Slack app calls unless configured otherwise. */
export const DEFAULT_SLACK_API_URL = "https://slack.com/api/";

const slackUserIds = z.array(
  z.string({ error: 'must be a Slack user ID such as "U0123ABCD"' }).regex(SLACK_USER_ID_PATTERN, {
    error: (issue) =>
      `${JSON.stringify(issue.input)} is not a Slack user ID. Fix: copy the member ID from the person's Slack profile (the "..." menu > Copy member ID), e.g. "U0123ABCD"; names and e-mail addresses are not accepted`,
  }),
  {
    error: (issue) =>
      issue.input === undefined
        ? 'is missing. Fix: list the Slack user IDs, e.g. ["U0123ABCD"], or remove the field'
        : 'must be a list of Slack user IDs. Fix: write it as ["U0123ABCD"]',
  },
);

/** Hosts the Slack API may be reached on over plain http: a local stand-in (the sandbox's). */
const LOOPBACK_HOSTS = ["127.0.0.1", "localhost"];

const slackApiUrl = z.string({ error: 'must be a URL such as "https://slack.com/api/"' }).superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a URL. Fix: use "${DEFAULT_SLACK_API_URL}", or remove apiUrl for it` });
    return;
  }
  const local = url.protocol === "http:" && LOOPBACK_HOSTS.includes(url.hostname);
  if (url.protocol !== "https:" && !local) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(value)} is not an https URL; the bot token travels with every call. Fix: use https (plain http only for a local stand-in on 127.0.0.1 or localhost)`,
    });
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "" || !url.pathname.endsWith("/")) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(value)} is not the base of Slack's Web API: method names are appended to it. Fix: a URL ending in "/", without credentials, query or fragment, e.g. "${DEFAULT_SLACK_API_URL}"`,
    });
  }
});

const SLACK_FORMS = 'must be false, true (an incoming webhook), {"mode": "webhook"} or {"mode": "bot", "channel": "C0123456789"}';

/**
 * `false` and `true` are the forms of before the Slack app and stay valid;
 * `{"mode": "off"}`, what `false` parses to, is accepted too, so a parsed
 * configuration parses again to itself.
 */
const slackNotifications = z.preprocess(
  (value) => (value === true ? { mode: "webhook" } : value === false ? { mode: "off" } : value),
  z.discriminatedUnion(
    "mode",
    [
      z.strictObject({ mode: z.literal("off") }),
      /** An incoming webhook, its URL in the `<project>/slack-webhook-url` secret. */
      z.strictObject({ mode: z.literal("webhook") }),
      /** The Slack app, its credentials in the `<project>/slack-signing-secret` and `<project>/slack-bot-token` secrets. */
      z.strictObject({
        mode: z.literal("bot"),
        /** ID of the channel the notifier posts in. */
        channel: z
          .string({ error: 'is missing. Fix: give the ID of the channel to post in, e.g. "C0123456789" (in the channel\'s details, at the bottom)' })
          .regex(SLACK_CHANNEL_ID_PATTERN, {
            error: (issue) =>
              `${JSON.stringify(issue.input)} is not a Slack channel ID. Fix: copy the channel ID from the channel's details (click the channel's name; the ID such as "C0123456789" is at the bottom), not its name`,
          }),
        /** Base URL of Slack's Web API. @default "https://slack.com/api/" */
        apiUrl: slackApiUrl.default(DEFAULT_SLACK_API_URL),
      }),
    ],
    { error: `${SLACK_FORMS}. Fix: use one of these forms` },
  ),
);

/** What a service is: a SAM/Lambda application (the default) or a container image on ECS. */
export const SERVICE_KINDS = ["lambda", "container"] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Images main's ECR repository of a container service keeps. */
export const DEFAULT_KEEP_IMAGES = 20;

/** Settings that only one kind of service has, and the fix when they are given to the other. */
const KIND_ONLY: Record<ServiceKind, readonly string[]> = {
  lambda: ["buildspec", "privilegedBuild"],
  container: ["dockerfile", "context", "testCommand", "keepImages"],
};

const serviceFields = z.strictObject({
  name: z
    .string({ error: 'is missing. Fix: name the service, e.g. "api"' })
    .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid service name. Fix: 1-30 characters of lowercase letters and digits in words joined by single "-", starting with a letter`,
    })
    .max(30, { error: (issue) => `${JSON.stringify(issue.input)} is longer than 30 characters. Fix: shorten the service name` })
    .superRefine((value, ctx) => {
      const reserved = value.split("-").filter((word) => RESERVED_SERVICE_WORDS.includes(word));
      if (reserved.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(value)} contains the word "${reserved[0]}", which names environments in stack and pipeline names (<service>-dev, <service>-prod, <service>-pr-<number>), so its resources could be taken for another service's. Fix: choose a name without the words ${RESERVED_SERVICE_WORDS.map((w) => `"${w}"`).join(", ")}`,
        });
      }
    }),
  /** Globs of repository paths that belong to this service. */
  include: z.array(glob).min(1, { error: 'needs at least one glob. Fix: list the paths of this service, e.g. ["services/api/**"]' }),
  /** Globs of paths that never start this service's pipeline, even when included. */
  exclude: z.array(glob).default([]),
  /** `"lambda"` (a SAM application, built by its buildspec) or `"container"` (an image built from its Dockerfile, run on ECS). @default "lambda" */
  kind: z
    .enum(SERVICE_KINDS, { error: (issue) => `${JSON.stringify(issue.input)} is not a kind of service. Fix: use "lambda" or "container"` })
    .default("lambda"),
  /** Lambda: the CodeBuild buildspec that builds, tests and packages the service. */
  buildspec: repoPath("build buildspec").optional(),
  /** The CodeBuild buildspec that runs integration tests against the dev deployment. */
  integrationTestsBuildspec: repoPath("integration-tests buildspec").optional(),
  /** The CloudFormation (or SAM) template of the service's application. */
  template: repoPath("application template"),
  /** Lambda: runs the build in privileged mode. @default false */
  privilegedBuild: z.boolean().optional(),
  /** Container: the Dockerfile the image is built from. */
  dockerfile: repoPath("Dockerfile").optional(),
  /** Container: the folder the image is built in (Docker's build context). @default the Dockerfile's folder */
  context: repoPath("image build context folder").optional(),
  /** Container: the command that runs the tests inside the built image, through `/bin/sh -c`; the image is pushed only if it succeeds. */
  testCommand: z
    .string({ error: 'must be a command such as "npm test"' })
    .trim()
    .min(1, { error: 'is empty. Fix: give the command that runs the tests inside the image, e.g. "npm test"' })
    .max(1000, { error: "is longer than 1,000 characters. Fix: put the steps in a script inside the image and call it" })
    .optional(),
  /** Container: images main's ECR repository keeps; older ones expire. @default 20 */
  keepImages: z
    .number({ error: "must be a number. Fix: e.g. 20" })
    .int({ error: "must be a whole number. Fix: e.g. 20" })
    .min(1, { error: "must be at least 1: the running image must stay pullable. Fix: e.g. 20" })
    .max(1000, { error: "must be at most 1,000. Fix: lower it" })
    .optional(),
  /**
   * Deploy each pull request to a preview stack in dev, deleted with the
   * pull request. @default true for lambda, false for container (a preview
   * costs a running task and a load balancer)
   */
  preview: z.boolean({ error: "must be true or false" }).optional(),
  /** Who may approve this service's prod deployments and deploy it from Slack. @default the platform's `approvers.slackUserIds` */
  approvers: z
    .strictObject({
      /** Slack user IDs; replaces the platform's list for this service ([] lets nobody from Slack). */
      slackUserIds,
    })
    .optional(),
});

type ServiceFields = z.infer<typeof serviceFields>;

/** A missing setting of one kind of service. */
function requireField(service: ServiceFields, ctx: z.RefinementCtx, field: "buildspec" | "dockerfile" | "testCommand", fix: string): void {
  if (service[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `is missing. Fix: ${fix}` });
}

const service = serviceFields
  .superRefine((service, ctx) => {
    const other: ServiceKind = service.kind === "lambda" ? "container" : "lambda";
    for (const field of KIND_ONLY[other]) {
      if (service[field as keyof ServiceFields] === undefined) continue;
      const fix =
        field === "buildspec"
          ? "pipewright builds, tests and pushes container images with its own buildspec; put build steps in the Dockerfile and remove buildspec"
          : field === "privilegedBuild"
            ? "container builds are always privileged (Docker needs it); remove privilegedBuild"
            : `set "kind": "container", or remove ${field}`;
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: `is a setting of ${other} services, but this service's kind is "${service.kind}". Fix: ${fix}`,
      });
    }
    if (service.kind === "lambda") {
      requireField(
        service,
        ctx,
        "buildspec",
        'give the repository-relative path of the build buildspec, e.g. "services/api/buildspec.yml" (a "lambda" service, the default kind, is built by it), or set "kind": "container" and give a dockerfile',
      );
    } else {
      requireField(
        service,
        ctx,
        "dockerfile",
        'give the repository-relative path of the Dockerfile of this container service, e.g. "services/web/Dockerfile"',
      );
      requireField(
        service,
        ctx,
        "testCommand",
        'give the command that runs the tests inside this container service\'s image, e.g. "npm test"; the image is pushed only if it succeeds',
      );
    }
  })
  .transform((service): LambdaServiceConfig | ContainerServiceConfig => {
    const { kind, buildspec, privilegedBuild, dockerfile, context, testCommand, keepImages, preview, ...common } = service;
    if (kind === "lambda") {
      return { ...common, kind, buildspec: buildspec as string, privilegedBuild: privilegedBuild ?? false, preview: preview ?? true };
    }
    const file = dockerfile as string;
    return {
      ...common,
      kind,
      dockerfile: file,
      context: context ?? (file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "."),
      testCommand: testCommand as string,
      keepImages: keepImages ?? DEFAULT_KEEP_IMAGES,
      preview: preview ?? false,
    };
  });

/** What every service has, whatever its kind. */
interface CommonServiceConfig {
  readonly name: string;
  readonly include: string[];
  readonly exclude: string[];
  readonly template: string;
  readonly integrationTestsBuildspec?: string;
  readonly approvers?: { readonly slackUserIds: string[] };
  /** Pull requests deploy preview stacks in dev. */
  readonly preview: boolean;
}

/** A SAM/Lambda service, built by its own buildspec. */
export interface LambdaServiceConfig extends CommonServiceConfig {
  readonly kind: "lambda";
  readonly buildspec: string;
  readonly privilegedBuild: boolean;
}

/** A container service: an image built from its Dockerfile, tested inside, pushed to ECR, run on ECS. */
export interface ContainerServiceConfig extends CommonServiceConfig {
  readonly kind: "container";
  readonly dockerfile: string;
  readonly context: string;
  readonly testCommand: string;
  readonly keepImages: number;
}

export function isContainerService<T extends ServiceConfig>(service: T): service is Extract<T, ContainerServiceConfig> {
  return service.kind === "container";
}

const connection = z.union(
  [
    z.strictObject({
      /** ARN of an existing, available CodeConnections connection to GitHub. */
      arn: z.string().regex(/^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/, {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not a CodeConnections connection ARN. Fix: copy it from Developer Tools > Settings > Connections`,
      }),
    }),
    z.strictObject({
      /** Name of a connection pipewright creates; it must be approved once in the console. */
      create: z.strictObject({ name: z.string().regex(/^[\w-]{1,32}$/) }),
    }),
  ],
  { error: 'must be either {"arn": "arn:...:connection/..."} or {"create": {"name": "..."}}' },
);

const backend = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("local") }),
    z.strictObject({
      type: z.literal("s3"),
      /** Existing bucket that holds the state of all three stacks. */
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "is not a valid S3 bucket name" }),
      /** Region of the state bucket. @default the platform's region */
      region: z.string().optional(),
      /** Key prefix; each stack's state is `<prefix>/<stack>.tfstate`. @default the project name */
      keyPrefix: z
        .string()
        .regex(/^[\w./-]+$/)
        .optional(),
      /** Role to assume for state access. @default the ambient credentials */
      roleArn: roleArn.optional(),
    }),
  ],
  { error: 'must be {"type": "local"} or {"type": "s3", "bucket": "..."}' },
);

export const configSchema = z
  .strictObject({
    /** Prefix of every resource name. Short, because AWS name limits are. */
    projectName: z.string({ error: 'is missing. Fix: choose a short lowercase name, e.g. "pipewright"' }).regex(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/, {
      error: (issue) =>
        `${JSON.stringify(issue.input)} is not a valid project name. Fix: 3-20 characters of lowercase letters, digits and "-", starting with a letter`,
    }),
    /** The AWS Region of all three accounts' resources. */
    region: z.string({ error: 'is missing. Fix: give an AWS Region such as "eu-west-1"' }).regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, {
      error: (issue) => `${JSON.stringify(issue.input)} is not an AWS Region. Fix: use a code such as "eu-west-1"`,
    }),
    accounts: z.strictObject({ build: account, dev: account, prod: account }),
    github: z.strictObject({
      /**
       * The one repository of a single-repository platform, as owner/name.
       * Leave it out when `repositories` lists them.
       */
      repository: z
        .string()
        .regex(REPOSITORY_PATTERN, {
          error: (issue) => `${JSON.stringify(issue.input)} is not a GitHub repository. Fix: write it as "owner/name"`,
        })
        .optional(),
      /** The branch whose pushes deploy to prod (single repository). @default "main" */
      mainBranch: z.string().min(1).default("main"),
      /** The connection every repository uses unless it names its own. */
      connection,
      /** Label a maintainer adds to let a fork's pull request run; every repository's default. @default "safe-to-test" */
      forkPullRequestLabel: z.string().min(1).default("safe-to-test"),
    }),
    /** The services of the single repository (`github.repository`). Leave it out when `repositories` lists them. */
    services: z.array(service).min(1, { error: 'needs at least one service. Fix: add {"name", "include", "buildspec", "template"}' }).optional(),
    /** Many repositories behind one webhook: each with its own services. Replaces `github.repository` and `services`. */
    repositories: z
      .array(
        z.strictObject({
          /** owner/name. */
          repository: z.string({ error: 'is missing. Fix: give the repository as "owner/name"' }).regex(REPOSITORY_PATTERN, {
            error: (issue) => `${JSON.stringify(issue.input)} is not a GitHub repository. Fix: write it as "owner/name"`,
          }),
          /**
           * The repository's part of its pipeline, project and stack names:
           * `<project>-<name>-<service>`. @default the repository's name, lowercased,
           * other characters as "-", cut to 20 characters
           */
          name: z
            .string()
            .regex(REPOSITORY_KEY_PATTERN, {
              error: (issue) =>
                `${JSON.stringify(issue.input)} is not a valid repository short name. Fix: 1-20 characters of lowercase letters and digits in words joined by single "-", starting with a letter`,
            })
            .optional(),
          /** The branch whose pushes deploy to prod. @default "main" */
          mainBranch: z.string().min(1).default("main"),
          /** This repository's connection. @default github.connection */
          connection: connection.optional(),
          /** @default github.forkPullRequestLabel */
          forkPullRequestLabel: z.string().min(1).optional(),
          services: z.array(service).min(1, { error: 'needs at least one service. Fix: add {"name", "include", "buildspec", "template"}' }),
        }),
      )
      .min(1, { error: 'lists no repository. Fix: add {"repository": "owner/name", "services": [...]}, or use github.repository and services' })
      .optional(),
    limits: z
      .strictObject({
        /**
         * Pull request pipelines across all repositories. A pull request whose
         * pipelines would pass it waits (a pending commit status says why) until
         * others close. CodePipeline allows 1,000 pipelines per Region by default,
         * main's included. @default 300
         */
        maxPullRequestPipelines: z
          .number({ error: "must be a number. Fix: e.g. 300" })
          .int()
          .min(1, { error: "must be at least 1. Fix: raise it, or remove it for the default" })
          .max(10_000)
          .default(DEFAULT_MAX_PULL_REQUEST_PIPELINES),
      })
      .default({ maxPullRequestPipelines: DEFAULT_MAX_PULL_REQUEST_PIPELINES }),
    approvers: z
      .strictObject({
        /** IAM users or roles allowed to approve prod deployments. */
        principalArns: z
          .array(
            z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/, {
              error: (issue) => `${JSON.stringify(issue.input)} is not an IAM user or role ARN`,
            }),
          )
          .default([]),
        /** IAM group pipewright creates for approvers. */
        groupName: z
          .string()
          .regex(/^[\w+=,.@-]{1,128}$/)
          .optional(),
        /**
         * Slack users who may approve prod deployments and deploy from Slack
         * (bot mode), on every service that lists none of its own. @default []
         */
        slackUserIds: slackUserIds.default([]),
      })
      .refine((a) => a.principalArns.length > 0 || a.groupName !== undefined, {
        error: "names nobody. Fix: list principalArns or set groupName, or prod deployments can never be approved",
      }),
    notifications: z
      .strictObject({
        /** Addresses subscribed to failures and approvals. */
        emails: z.array(z.email({ error: (issue) => `${JSON.stringify(issue.input)} is not an e-mail address` })).default([]),
        /**
         * Slack: `false` (none), `true` or `{"mode": "webhook"}` (an incoming
         * webhook), or `{"mode": "bot", "channel": "C...", "apiUrl"?: "..."}` (the
         * Slack app: approvals, `/pipewright` and threads). @default false
         */
        slack: slackNotifications.default({ mode: "off" }),
        /** Pipeline states that notify. @default ["FAILED", "APPROVAL_WAITING", "RECOVERED"] */
        states: z
          .array(z.enum(["FAILED", "APPROVAL_WAITING", "RECOVERED", "SUCCEEDED", "STARTED", "STOPPED", "SUPERSEDED"]))
          .min(1)
          .default(["FAILED", "APPROVAL_WAITING", "RECOVERED"]),
      })
      .default({ emails: [], slack: { mode: "off" }, states: ["FAILED", "APPROVAL_WAITING", "RECOVERED"] }),
    reconciler: z
      .strictObject({
        /** How often the reconciler runs (EventBridge schedule expression). @default "rate(15 minutes)" */
        schedule: z
          .string()
          .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, {
            error: (issue) =>
              `${JSON.stringify(issue.input)} is not a schedule expression. Fix: use e.g. "rate(15 minutes)" or "cron(0/15 * * * ? *)"`,
          })
          .default("rate(15 minutes)"),
        /** Remove PR pipelines without a run for this many days (0 = never). @default 14 */
        idleDays: z.number().int().min(0).max(365).default(14),
        /** Create missing pipelines for open pull requests. @default false */
        createMissing: z.boolean().default(false),
        /** Only log what would be done. @default false */
        dryRun: z.boolean().default(false),
      })
      .default({ schedule: "rate(15 minutes)", idleDays: 14, createMissing: false, dryRun: false }),
    applicationBoundary: z
      .strictObject({
        /**
         * Actions application roles may use beyond pipewright's default list
         * (stacks/constructs/application-boundary.ts), e.g. "bedrock:InvokeModel".
         * Never IAM, Organizations, account or STS actions. @default []
         */
        additionalActions: z
          .array(
            z
              .string()
              .regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, {
                error: (issue) =>
                  `${JSON.stringify(issue.input)} is not an IAM action. Fix: write it as "<service>:<Action>", e.g. "bedrock:InvokeModel"`,
              })
              .refine((action) => !FORBIDDEN_APPLICATION_SERVICES.includes(action.split(":")[0] ?? ""), {
                error: (issue) =>
                  `${JSON.stringify(issue.input)} would let application roles change identities or the account, and so lift their own boundary. Fix: remove it; ${FORBIDDEN_APPLICATION_SERVICES.map((s) => `"${s}:"`).join(", ")} actions are never allowed`,
              }),
          )
          .default([]),
      })
      .default({ additionalActions: [] }),
    /** Days before artifacts expire from the store. @default 30 */
    artifactRetentionDays: z.number().int().min(1).max(3650).default(30),
    /** Retention of every log group. @default 30 */
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        error: `is not a CloudWatch Logs retention period. Fix: use one of ${LOG_RETENTION_DAYS.join(", ")}`,
      })
      .default(30),
    backend: backend.default({ type: "local" }),
    /** Tags on every resource, in addition to project and stack. */
    tags: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((config, ctx) => {
    const { accounts } = config;
    if (accounts.dev.accountId === accounts.prod.accountId) {
      ctx.addIssue({
        code: "custom",
        path: ["accounts", "prod", "accountId"],
        message: `equals accounts.dev.accountId (${accounts.prod.accountId}). Fix: use separate AWS accounts for dev and prod, so a dev deployment can never touch prod`,
      });
    }
    for (const name of ["build", "dev", "prod"] as const) {
      const { accountId: id, provisioningRoleArn } = accounts[name];
      const arnAccount = provisioningRoleArn.split(":")[4];
      // An invalid id is reported on its own; comparing against it would only add noise.
      if (/^\d{12}$/.test(id) && arnAccount !== id) {
        ctx.addIssue({
          code: "custom",
          path: ["accounts", name, "provisioningRoleArn"],
          message: `is in account ${arnAccount}, not in accounts.${name}.accountId (${id}). Fix: use the role of the ${name} account`,
        });
      }
    }
    config.approvers.principalArns.forEach((arn, index) => {
      const arnAccount = arn.split(":")[4];
      if (/^\d{12}$/.test(accounts.build.accountId) && arnAccount !== accounts.build.accountId) {
        ctx.addIssue({
          code: "custom",
          path: ["approvers", "principalArns", index],
          message: `is in account ${arnAccount}; approvers must be users or roles of the build account (${accounts.build.accountId}), where the pipelines are. Fix: name a build-account principal or use groupName`,
        });
      }
    });
    checkSlackApprovers(config, ctx);
    const single = config.github.repository !== undefined || config.services !== undefined;
    if (config.repositories !== undefined && single) {
      ctx.addIssue({
        code: "custom",
        path: ["repositories"],
        message:
          "is set together with github.repository or services. Fix: list every repository in repositories (move services into it) and remove github.repository and services, or remove repositories",
      });
      return;
    }
    if (config.repositories === undefined) {
      if (config.github.repository === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["github", "repository"],
          message: 'is missing. Fix: give the repository as "owner/name", or list repositories[]',
        });
      }
      if (config.services === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["services"],
          message: 'is missing. Fix: list the services of github.repository ({"name", "include", "buildspec", "template"}), or list repositories[]',
        });
      }
      if (config.github.repository === undefined || config.services === undefined) return;
    }
    const repositories = platformRepositories(config);
    const seenRepositories = new Map<string, number>();
    const seenKeys = new Map<string, number>();
    repositories.forEach((repository, index) => {
      const at = (field: string) => (config.repositories === undefined ? ["github", field] : ["repositories", index, field]);
      const sameRepository = seenRepositories.get(repository.repository.toLowerCase());
      if (sameRepository !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: at("repository"),
          message: `"${repository.repository}" is already repositories[${sameRepository}]. Fix: list each repository once, with all its services`,
        });
      }
      seenRepositories.set(repository.repository.toLowerCase(), index);
      if (config.repositories === undefined) return;
      const explicit = config.repositories[index]?.name !== undefined;
      if (!REPOSITORY_KEY_PATTERN.test(repository.key) || repository.key.split("-").some((word) => RESERVED_SERVICE_WORDS.includes(word))) {
        ctx.addIssue({
          code: "custom",
          path: at(explicit ? "name" : "repository"),
          message: `gives the short name "${repository.key}", which ${REPOSITORY_KEY_PATTERN.test(repository.key) ? `contains one of the words ${RESERVED_SERVICE_WORDS.map((w) => `"${w}"`).join(", ")} that name environments` : 'is not 1-20 lowercase letters, digits and single "-", starting with a letter'}. Fix: set repositories[${index}].name to a short name such as "shop"`,
        });
      }
      const sameKey = seenKeys.get(repository.key);
      if (sameKey !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: at(explicit ? "name" : "repository"),
          message: `gives the short name "${repository.key}", like repositories[${sameKey}]: their pipelines would share names. Fix: set repositories[${index}].name to a name of its own`,
        });
      }
      seenKeys.set(repository.key, index);
    });
    const names = new PlatformNames(config);
    const platformNames = names.platformResourceNames;
    const seen = new Map<string, string>();
    for (const service of platformServices(config)) {
      const path =
        config.repositories === undefined
          ? ["services", service.index, "name"]
          : ["repositories", service.repositoryIndex, "services", service.index, "name"];
      const own = names.pipeline(service);
      const taken = platformNames.find((name) => name === own || name.startsWith(`${own}-`));
      if (taken !== undefined) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${service.serviceName}" would name resources like pipewright's own "${taken}": every "${own}-*" pattern written for this service's stacks and pipelines would cover it. Fix: choose another service name`,
        });
      }
      const first = seen.get(service.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path,
          message:
            config.repositories === undefined
              ? `"${service.serviceName}" is already the name of ${first}. Fix: give every service a unique name`
              : `"${service.serviceName}" makes the pipeline "${own}", like ${first}. Fix: give every service of a repository a unique name, or the repository another short name (repositories[].name)`,
        });
      } else {
        seen.set(
          service.name,
          config.repositories === undefined ? `services[${service.index}]` : `repositories[${service.repositoryIndex}].services[${service.index}]`,
        );
      }
    }
  });

/** Slack approvers mean something only to the Slack app: anywhere else they would be a promise nobody keeps. */
function checkSlackApprovers(config: PipewrightConfig, ctx: z.RefinementCtx): void {
  if (config.notifications.slack.mode === "bot") return;
  const fix = `Fix: set notifications.slack to {"mode": "bot", "channel": "C0123456789"} to approve and deploy from Slack, or remove it`;
  const mode = config.notifications.slack.mode === "off" ? "off" : "an incoming webhook, which cannot take button clicks";
  if (config.approvers.slackUserIds.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["approvers", "slackUserIds"],
      message: `lists Slack users, but notifications.slack is ${mode}, so nobody could approve from Slack. ${fix}`,
    });
  }
  const servicesOf = (services: readonly ServiceConfig[] | undefined, at: readonly (string | number)[]) =>
    (services ?? []).forEach((service, index) => {
      if (service.approvers === undefined) return;
      ctx.addIssue({
        code: "custom",
        path: [...at, index, "approvers"],
        message: `names Slack approvers, but notifications.slack is ${mode}, so nobody could approve from Slack. ${fix}`,
      });
    });
  servicesOf(config.services, ["services"]);
  config.repositories?.forEach((repository, index) => {
    servicesOf(repository.services, ["repositories", index, "services"]);
  });
}

/** The validated configuration, with every default filled in. */
export type PipewrightConfig = z.infer<typeof configSchema>;
export type ServiceConfig = LambdaServiceConfig | ContainerServiceConfig;
/** What the parsed `notifications.slack` holds: `{mode: "off"}`, `{mode: "webhook"}` or the Slack app's settings. */
export type SlackSettings = PipewrightConfig["notifications"]["slack"];
/** The Slack app: approvals, `/pipewright` and threads of progress, in one channel. */
export type SlackBotSettings = Extract<SlackSettings, { mode: "bot" }>;

export type AccountName = keyof PipewrightConfig["accounts"];
export type TargetAccountName = Exclude<AccountName, "build">;

/** Configuration that cannot be used; the message names every field at fault and the fix. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`Invalid pipewright configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`, options);
    this.name = "ConfigError";
  }
}

function fieldPath(segments: readonly PropertyKey[]): string {
  return segments.reduce<string>((acc, segment) => {
    if (typeof segment === "number") return `${acc}[${segment}]`;
    return acc ? `${acc}.${String(segment)}` : String(segment);
  }, "");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = fieldPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    const where = field ? `in ${field}` : "at the top level";
    return `${issue.keys.map((k) => `"${k}"`).join(", ")} ${issue.keys.length > 1 ? "are" : "is"} not a known setting ${where}. Fix: remove ${issue.keys.length > 1 ? "them" : "it"} or correct the spelling (see the README's configuration reference)`;
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    const hint = issue.message.startsWith("is missing") ? issue.message : `is missing. Fix: add it (expected ${issue.expected})`;
    return `${field}: ${hint}`;
  }
  return `${field || "configuration"}: ${issue.message}`;
}

/** Validates a parsed configuration object; `source` names it in errors. */
export function parseConfig(raw: unknown, source = "configuration"): PipewrightConfig {
  // With the input in each issue, a value of the wrong type is told apart from a missing one.
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(source, result.error.issues.map(describeIssue));
  return result.data;
}

/** Reads and validates a JSON configuration file. */
export function loadConfig(file: string): PipewrightConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ConfigError(file, [`cannot be read (${(cause as Error).message}). Fix: check the path, or unset ${CONFIG_FILE_ENV}`], { cause });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(file, [`is not valid JSON: ${(cause as Error).message}`], { cause });
  }
  return parseConfig(raw, file);
}

/**
 * The configuration file to use: `--config <file>` on the command line, else
 * the PIPEWRIGHT_CONFIG environment variable, else the committed example.
 */
export function chooseConfigFile(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): string {
  const flag = argv.findIndex((a) => a === "--config" || a.startsWith("--config="));
  let chosen: string | undefined;
  if (flag >= 0) {
    chosen = argv[flag].includes("=") ? argv[flag].slice("--config=".length) : argv[flag + 1];
    if (!chosen) throw new ConfigError("--config", ["needs a file. Fix: --config path/to/config.json"]);
  }
  chosen ??= env[CONFIG_FILE_ENV] || DEFAULT_CONFIG_FILE;
  return path.resolve(cwd, chosen);
}
