/**
 * The one list of named failures. The same code names a failure in an API response body, in a
 * Temporal ApplicationFailure `type`, and in a database status — so an operator who reads it in
 * one place can find it in the others.
 *
 * `retryable: false` failures are permanent: an activity throwing one is not retried, and a
 * workflow failing with one ends for good. Pure module: workflows import it.
 */
export const ERRORS = {
  // Input and API
  VALIDATION_FAILED: { status: 400, retryable: false, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, retryable: false, title: 'The body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, title: 'Send application/json' },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, title: 'The body is too large' },
  UNAUTHENTICATED: { status: 401, retryable: false, title: 'A valid API key is required' },
  FORBIDDEN: { status: 403, retryable: false, title: 'Your key may not do this' },
  ORGANISATION_SUSPENDED: { status: 403, retryable: false, title: 'The operator has suspended your organisation' },
  RATE_LIMITED: { status: 429, retryable: true, title: 'Too many requests from this key' },
  NOT_FOUND: { status: 404, retryable: false, title: 'No such resource' },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false, title: 'The resource does not take this method' },
  CONFLICT: { status: 409, retryable: false, title: 'The resource exists with other content' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, retryable: false, title: 'This Idempotency-Key was used for another request' },
  INTERNAL: { status: 500, retryable: true, title: 'Internal error' },
  CANCELLED: { status: 409, retryable: false, title: 'The run was cancelled' },
  DEPENDENCY_UNAVAILABLE: { status: 503, retryable: true, title: 'A component DVCT depends on is unavailable' },

  // Contract verification (permanent: the exchange is rejected, nothing is allocated)
  CONTRACT_NOT_FOUND: { status: 422, retryable: false, title: 'The use-case contract is not in the registry' },
  CONTRACT_NOT_IN_FORCE: { status: 422, retryable: false, title: 'The use-case contract is not in force' },
  NOT_A_PARTY: { status: 422, retryable: false, title: 'A participant is not a party to the contract in that role' },
  INVALID_INCENTIVE_TERMS: { status: 422, retryable: false, title: 'The incentive terms are not valid' },
  INCENTIVE_TERMS_MISMATCH: { status: 422, retryable: false, title: 'The reported incentive terms differ from the contract' },
  UNKNOWN_PARTICIPANT: { status: 422, retryable: false, title: 'The participant is not registered' },
  NO_REWARD_POOL: { status: 422, retryable: false, title: 'The contract defines no reward pool' },
  PARTY_SUSPENDED: { status: 422, retryable: false, title: 'A party is suspended: it can take part in no new exchange' },

  // Chain
  // Retryable: the allocation waits (retrying with back-off) until the payer tops up its deposit.
  INSUFFICIENT_DEPOSIT: { status: 422, retryable: true, title: 'A payer has not deposited enough points' },
  ALLOCATION_CONFLICT: { status: 409, retryable: false, title: 'An allocation exists on chain with other content' },
  CHAIN_REVERTED: { status: 502, retryable: false, title: 'The chain refused the transaction' },
  ALLOCATION_RELEASED: { status: 409, retryable: false, title: 'The allocation was already released and can no longer be revoked' },
  NO_SUCH_ALLOCATION: { status: 422, retryable: false, title: 'The exchange allocated nothing to that recipient (from that payer)' },

  // Outgoing calls
  WEBHOOK_REJECTED: { status: 502, retryable: false, title: 'The participant\'s webhook refused the delivery' },
  QUALITY_CHECK_FAILED: { status: 502, retryable: true, title: 'The data-quality check did not answer with a factor' },
  OPENLINEAGE_REJECTED: { status: 502, retryable: false, title: 'The OpenLineage endpoint refused the event' },
  PEER_REFUSED: { status: 502, retryable: false, title: 'A peer DVCT instance refused the request as malformed' },

  // Detection
  DISTRIBUTION_MISMATCH: { status: 409, retryable: false, title: 'What the chain holds differs from what is due' },

  // Incidents
  REVIEW_NOT_AWAITED: { status: 409, retryable: false, title: 'The incident is not waiting for a review' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** A failure with a name from ERRORS. Activities and the API throw it; the worker maps it to a Temporal failure. */
export class DvctError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'DvctError';
    this.code = code;
    this.details = details;
  }

  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }
}
