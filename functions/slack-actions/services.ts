import type { RepositoryCatalog, RepositoryEntry, ServiceEntry } from "../shared/repositories";

/**
 * Which catalog service a `/pipewright` argument names. Pure. A service is
 * named by its main pipeline (`<p>-orders`), the pipeline's service key
 * (`orders`: the name after the project prefix), or the service's name when
 * no other service has it.
 */

export interface CatalogService {
  repository: RepositoryEntry;
  service: ServiceEntry;
}

export type ServiceLookup = { kind: "found"; entry: CatalogService } | { kind: "not_found"; reason: string };

/** Every main pipeline's service, in catalog order. */
export function catalogServices(catalog: RepositoryCatalog): CatalogService[] {
  return catalog.repositories.flatMap((repository) => repository.services.map((service) => ({ repository, service })));
}

function names(entries: readonly CatalogService[]): string {
  return entries.map(({ service }) => service.pipeline).join(", ");
}

export function findService(catalog: RepositoryCatalog, argument: string): ServiceLookup {
  const all = catalogServices(catalog);
  const byPipeline = all.filter(({ service }) => service.pipeline === argument || service.pipeline.endsWith(`-${argument}`));
  const exact = byPipeline.find(({ service }) => service.pipeline === argument);
  if (exact !== undefined) return { kind: "found", entry: exact };
  if (byPipeline.length === 1) return { kind: "found", entry: byPipeline[0] as CatalogService };
  if (byPipeline.length > 1) {
    return { kind: "not_found", reason: `"${argument}" names several pipelines (${names(byPipeline)}); give the pipeline's full name` };
  }
  const byName = all.filter(({ service }) => service.name === argument);
  if (byName.length === 1) return { kind: "found", entry: byName[0] as CatalogService };
  if (byName.length > 1) {
    return { kind: "not_found", reason: `several services are called "${argument}" (${names(byName)}); give the pipeline's name` };
  }
  const known = all.length <= 20 ? `; the services are ${all.map(({ service }) => service.name).join(", ")}` : "";
  return { kind: "not_found", reason: `no service or pipeline is called "${argument}"${known}` };
}
