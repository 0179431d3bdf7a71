import { parseArgs } from 'node:util';
import { formatVerification } from './verify-report';

/**
 * npm run verify -- --exchange <id> [--api <url>] [--key <key>]
 * Asks a DVCT instance (yours: DVCT_API_URL / DVCT_API_KEY, or the flags) to verify an exchange
 * against the chain — its own chain reads and the claim of the instance that ran it — prints the
 * items and exits 1 unless everything matches (2 when the question could not be asked).
 */
const { values } = parseArgs({
  options: { exchange: { type: 'string' }, api: { type: 'string' }, key: { type: 'string' } },
});
const exchangeId = values.exchange;
const api = (values.api ?? process.env.DVCT_API_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const key = values.key ?? process.env.DVCT_API_KEY;
if (!exchangeId || !key) {
  process.stderr.write('usage: npm run verify -- --exchange <id> [--api <url>] [--key <key>]   (or DVCT_API_URL, DVCT_API_KEY)\n');
  process.exit(2);
}

try {
  const res = await fetch(`${api}/v1/exchanges/${encodeURIComponent(exchangeId)}/verification`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(60_000) });
  // The API's answer is documented (GET /v1/exchanges/{id}/verification): read as such.
  const body = (await res.json()) as any;
  if (res.status !== 200) {
    process.stderr.write(`${api} answered ${res.status}: ${body.title ?? ''} ${body.detail ?? ''}\n`);
    process.exit(2);
  }
  process.stdout.write(`${formatVerification(body)}\n`);
  process.exit(body.verified ? 0 : 1);
} catch (err) {
  process.stderr.write(`${api} could not be asked: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
