import type { Ledger } from '../chain/ledger';
import type { Store } from '../db/store';
import type { Directory } from '../domain/directory';
import type { Logger } from '../lib/logger';
import type { PeerClient } from '../lib/peer-client';

/** Everything activities touch, injected so tests can pass real components (or a fake where allowed). */
export interface ActivityDeps {
  store: Store;
  ledger: Ledger;
  instance: { dvctId: string; publicUrl: string };
  qualityCheckUrl: string | undefined;
  outgoingTimeoutMs: number;
  /** Where each exchange's OpenLineage RunEvent is pushed; url undefined: nowhere. */
  openLineage: { url: string | undefined; apiKey: string | undefined };
  /** The dataspace's directory and the signed client for peer instances (a directory of this instance alone when single). */
  federation: { directory: Directory; peers: PeerClient };
  log: Logger;
}
