/**
 * How DVCT reads a refusal from a service it calls (webhooks, OpenLineage endpoints): 408, 429 and
 * 5xx are the receiver's trouble of the moment and may pass on a retry; any other non-2xx is the
 * receiver saying no, which no retry will change.
 */
export function mayPassOnRetry(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
