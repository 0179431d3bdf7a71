import { DvctError } from '../domain/errors';

/** Bounds a call to another component, so one that hangs cannot hang the request with it. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DvctError('DEPENDENCY_UNAVAILABLE', `${what} did not answer within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
