import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DvctError } from '../domain/errors';

/**
 * Activities throw DvctError; Temporal needs an ApplicationFailure whose `type` is the error's
 * code and whose retryability follows the catalogue — so a permanent failure is not retried and
 * the workflow sees the same name the API would show.
 */
export function asTemporalFailure(err: unknown): unknown {
  if (err instanceof DvctError) {
    return ApplicationFailure.create({
      type: err.code,
      message: err.message,
      nonRetryable: !err.retryable,
      details: err.details === undefined ? [] : [err.details],
    });
  }
  return err;
}

type AsyncFn = (...args: never[]) => Promise<unknown>;

export function withNamedFailures<T extends Record<string, AsyncFn>>(activities: T): T {
  const wrapped: Record<string, AsyncFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw asTemporalFailure(err);
      }
    };
  }
  return wrapped as T;
}

/** Keeps the heartbeat going while a chain call waits for its receipt. */
export async function whileHeartbeating<T>(work: () => Promise<T>, everyMs = 5_000): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
