import type { RepositoryCatalogData } from "../functions/shared/repositories";
import type { PipewrightConfig, ServiceConfig } from "./config";
import type { PlatformNames } from "./names";

/**
 * The repositories of a configuration in one shape, whichever way they are
 * configured: the single-repository form (`github.repository` and
 * `services`) or `repositories[]`.
 *
 * Naming rule. A service's pipeline is `<project>-<service>` in the
 * single-repository form (as before repositories existed), and
 * `<project>-<repository short name>-<service>` in `repositories[]`. The short
 * name is `repositories[].name`, else the repository's name (after the "/")
 * lowercased, each run of other characters than a-z and 0-9 made one "-",
 * cut to 20 characters. Every other name of the service (CodeBuild projects,
 * stacks, pull request pipelines) starts with its pipeline's name.
 */

/** A short name: 1-20 characters of lowercase words joined by single "-". */
export const REPOSITORY_KEY_PATTERN = /^(?=.{1,20}$)[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** The length default short names are cut to. */
const MAX_REPOSITORY_KEY_LENGTH = 20;

export type GitHubConnection = PipewrightConfig["github"]["connection"];

export interface PlatformRepository {
  /** owner/name, as configured. */
  readonly repository: string;
  /** The repository's part of its names; "" in the single-repository form. */
  readonly key: string;
  readonly mainBranch: string;
  readonly connection: GitHubConnection;
  readonly forkPullRequestLabel: string;
  readonly services: readonly ServiceConfig[];
}

/** A service of one repository. `name` is what every name of the service is built from. */
export type PlatformService = ServiceConfig & PlaceOfService;

/** Where a service is in the configuration. */
interface PlaceOfService {
  /** `<short name>-<service>`, or the service's name in the single-repository form. */
  readonly name: string;
  /** The service's name as configured. */
  readonly serviceName: string;
  readonly repository: PlatformRepository;
  /** Index in its repository's services. */
  readonly index: number;
  /** Index of its repository. */
  readonly repositoryIndex: number;
}

/** The default short name of `owner/name`. */
export function defaultRepositoryKey(repository: string): string {
  const name = repository.slice(repository.indexOf("/") + 1).toLowerCase();
  return name
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, MAX_REPOSITORY_KEY_LENGTH)
    .replace(/-+$/, "");
}

/** Every configured repository, in configuration order. */
export function platformRepositories(config: Pick<PipewrightConfig, "github" | "services" | "repositories">): PlatformRepository[] {
  const { github } = config;
  if (config.repositories === undefined) {
    return [
      {
        repository: github.repository ?? "",
        key: "",
        mainBranch: github.mainBranch,
        connection: github.connection,
        forkPullRequestLabel: github.forkPullRequestLabel,
        services: config.services ?? [],
      },
    ];
  }
  return config.repositories.map((entry) => ({
    repository: entry.repository,
    key: entry.name ?? defaultRepositoryKey(entry.repository),
    mainBranch: entry.mainBranch,
    connection: entry.connection ?? github.connection,
    forkPullRequestLabel: entry.forkPullRequestLabel ?? github.forkPullRequestLabel,
    services: entry.services,
  }));
}

/** Every service of every repository. */
export function platformServices(config: Pick<PipewrightConfig, "github" | "services" | "repositories">): PlatformService[] {
  return platformRepositories(config).flatMap((repository, repositoryIndex) =>
    repository.services.map((service, index) => ({
      ...service,
      name: repository.key === "" ? service.name : `${repository.key}-${service.name}`,
      serviceName: service.name,
      repository,
      index,
      repositoryIndex,
    })),
  );
}

/** What the functions know of the repositories: the file the build stack bundles with them (functions/shared/repositories.ts). */
export function repositoryCatalog(
  config: Pick<PipewrightConfig, "github" | "services" | "repositories" | "approvers">,
  names: PlatformNames,
): RepositoryCatalogData {
  const services = platformServices(config);
  const platformSlackApprovers = config.approvers.slackUserIds;
  return {
    repositories: platformRepositories(config).map((repository, repositoryIndex) => ({
      repository: repository.repository,
      mainBranch: repository.mainBranch,
      forkLabel: repository.forkPullRequestLabel,
      services: services
        .filter((service) => service.repositoryIndex === repositoryIndex)
        .map((service) => ({
          name: service.serviceName,
          pipeline: names.pipeline(service),
          include: service.include,
          exclude: service.exclude,
          // A service's own list replaces the platform's, so a sensitive service can have fewer approvers.
          slackApprovers: service.approvers?.slackUserIds ?? platformSlackApprovers,
          kind: service.kind,
          preview: service.preview,
        })),
    })),
  };
}
