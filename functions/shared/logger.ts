import { Logger } from "@aws-lambda-powertools/logger";

/** A structured JSON logger named after the function's service. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}
