/**
 * Where the post-traffic hook finds the live endpoint: the ApiUrl output of
 * the CloudFormation stack that owns the deployed function (its
 * aws:cloudformation:stack-name tag). Pure parts; aws.ts makes the calls.
 */

/** The stack output the application template (templates/app/template.yaml) declares. */
export const API_URL_OUTPUT = "ApiUrl";
/** Tag CloudFormation puts on every resource it creates. */
export const STACK_NAME_TAG = "aws:cloudformation:stack-name";

/** The live endpoint of a deployment cannot be found or is not usable. */
export class EndpointNotFoundError extends Error {
  constructor(
    readonly functionName: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot find the live endpoint of ${functionName}: ${problem}`, options);
    this.name = "EndpointNotFoundError";
  }
}

/**
 * The URL of `path` on the API. Only https, so nothing but a real API
 * endpoint is measured; plain http only on a loopback host (tests).
 */
export function healthUrl(functionName: string, apiUrl: string, path: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch (error) {
    throw new EndpointNotFoundError(functionName, `output ${API_URL_OUTPUT} ${JSON.stringify(apiUrl)} is not a URL`, { cause: error });
  }
  const loopback = url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new EndpointNotFoundError(functionName, `output ${API_URL_OUTPUT} ${JSON.stringify(apiUrl)} is not an https URL`);
  }
  if (url.search || url.hash) {
    throw new EndpointNotFoundError(functionName, `output ${API_URL_OUTPUT} ${JSON.stringify(apiUrl)} has a query or fragment`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}${path}`;
}
