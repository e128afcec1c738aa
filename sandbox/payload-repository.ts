// A namespace import lets esbuild drop the parts of zod (e.g. its locales) that are not used.
import * as z from "zod";
import { REPOSITORY_PATTERN } from "../functions/shared/github/repository";
import { UsageError } from "./errors";

/** The fields of a payload that say which repository it belongs to; the rest is kept as it is. */
const repositoryFields = z.looseObject({
  full_name: z.string(),
  name: z.string(),
  owner: z.looseObject({ login: z.string() }),
});

const payloadSchema = z.looseObject({
  repository: repositoryFields,
  pull_request: z
    .looseObject({
      base: z.looseObject({ repo: repositoryFields }),
      // null when the fork was deleted.
      head: z.looseObject({ repo: repositoryFields.nullable() }),
    })
    .optional(),
});

type RepositoryFields = z.infer<typeof repositoryFields>;

function move(fields: RepositoryFields, owner: string, name: string): void {
  fields.full_name = `${owner}/${name}`;
  fields.name = name;
  fields.owner.login = owner;
}

/**
 * The payload of `file` moved to `repository`: its `repository` and, for a
 * pull request, the base repository and the head repository unless the head
 * is a fork. Everything else is kept; the bytes change, so it is signed anew.
 */
export function moveToRepository(body: Buffer | string, repository: string, file: string): string {
  if (!REPOSITORY_PATTERN.test(repository)) {
    throw new UsageError(
      `--repository ${JSON.stringify(repository)} is not a GitHub repository. Fix: write it as owner/name, e.g. pipewright-sandbox/shop`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString());
  } catch (cause) {
    throw new UsageError(
      `The payload file ${file} is not JSON (${(cause as Error).message}), so it cannot be moved to ${repository}. Fix: give a GitHub payload, or leave out --repository to send the bytes as they are`,
      { cause },
    );
  }
  const parsed = payloadSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new UsageError(
      `The payload file ${file} lacks ${fields}, so it cannot be moved to ${repository}. Fix: give a GitHub pull_request or push payload, or leave out --repository to send the bytes as they are`,
    );
  }
  const payload = parsed.data;
  const [owner, name] = repository.split("/") as [string, string];
  const original = payload.repository.full_name.toLowerCase();
  move(payload.repository, owner, name);
  const pullRequest = payload.pull_request;
  if (pullRequest !== undefined) {
    move(pullRequest.base.repo, owner, name);
    if (pullRequest.head.repo?.full_name.toLowerCase() === original) move(pullRequest.head.repo, owner, name);
  }
  return JSON.stringify(payload, null, 2);
}
