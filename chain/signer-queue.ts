/**
 * One queue per signer: a chain write of this process is sent only after the previous one of the
 * same account has been broadcast (or failed), so two writes never pick the same nonce.
 */
const tails = new Map<string, Promise<void>>();

export function runExclusive<T>(signerKey: string, task: () => Promise<T>): Promise<T> {
  const previous = tails.get(signerKey) ?? Promise.resolve();
  const result = previous.then(task);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  tails.set(signerKey, tail);
  void tail.then(() => {
    if (tails.get(signerKey) === tail) tails.delete(signerKey);
  });
  return result;
}
