import {
  encodeEventTopics,
  getAbiItem,
  numberToHex,
  toEventSelector,
  type ContractEventName,
  parseEventLogs,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type RpcLog,
  type Transport,
} from 'viem';
import { abi as ledgerAbi } from '../contracts/artifacts/PointsLedger';

/**
 * The ledger's events, typed: what another member reads to check the DVCT's records (record and
 * node hashes) and what reconciliation replays (allocations, releases, revocations, deposits).
 * Ids on chain are bytes32 keys: compare them with chainKey(id).
 */
interface EventMeta {
  blockNumber: bigint;
  logIndex: number;
  txHash: Hex;
}

export type LedgerEvent = EventMeta &
  (
    | { kind: 'ExchangeRecorded'; exchangeKey: Hex; recordHash: Hex }
    | { kind: 'NodeAnchored'; nodeKey: Hex; exchangeKey: Hex; contentHash: Hex }
    | { kind: 'Allocated'; exchangeKey: Hex; payer: Address; recipient: Address; amount: bigint; releaseAt: number }
    | { kind: 'Released'; exchangeKey: Hex; payer: Address; recipient: Address; amount: bigint }
    | { kind: 'Revoked'; exchangeKey: Hex; payer: Address; recipient: Address; amount: bigint; reason: string }
    | { kind: 'Deposited'; payer: Address; amount: bigint }
    | { kind: 'Withdrawn'; payer: Address; amount: bigint }
  );

export interface LedgerEventSource {
  publicClient: PublicClient<Transport, Chain>;
  ledger: Address;
  /** The ledger's deployment block: nothing older can be one of its events. */
  fromBlock: bigint;
}

function toLedgerEvent(log: ReturnType<typeof parseEventLogs<typeof ledgerAbi>>[number]): LedgerEvent | undefined {
  const meta = { blockNumber: log.blockNumber, logIndex: log.logIndex, txHash: log.transactionHash };
  switch (log.eventName) {
    case 'ExchangeRecorded': {
      const { exchangeId, recordHash } = log.args;
      return { ...meta, kind: log.eventName, exchangeKey: exchangeId, recordHash };
    }
    case 'NodeAnchored': {
      const { nodeId, exchangeId, contentHash } = log.args;
      return { ...meta, kind: log.eventName, nodeKey: nodeId, exchangeKey: exchangeId, contentHash };
    }
    case 'Allocated': {
      const { exchangeId, payer, recipient, amount, releaseAt } = log.args;
      return { ...meta, kind: log.eventName, exchangeKey: exchangeId, payer, recipient, amount, releaseAt: Number(releaseAt) };
    }
    case 'Released': {
      const { exchangeId, payer, recipient, amount } = log.args;
      return { ...meta, kind: log.eventName, exchangeKey: exchangeId, payer, recipient, amount };
    }
    case 'Revoked': {
      const { exchangeId, payer, recipient, amount, reason } = log.args;
      return { ...meta, kind: log.eventName, exchangeKey: exchangeId, payer, recipient, amount, reason };
    }
    case 'Deposited':
    case 'Withdrawn':
      return { ...meta, kind: log.eventName, payer: log.args.payer, amount: log.args.amount };
    default:
      return undefined; // role administration
  }
}

function toLedgerEvents(logs: RpcLog[]): LedgerEvent[] {
  return parseEventLogs({ abi: ledgerAbi, logs })
    .map(toLedgerEvent)
    .filter((e): e is LedgerEvent => e !== undefined)
    .sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
}

function getLogs(source: LedgerEventSource, topics: (Hex | Hex[] | null)[], toBlock?: bigint): Promise<RpcLog[]> {
  return source.publicClient.request({
    method: 'eth_getLogs',
    params: [
      {
        address: source.ledger,
        topics,
        fromBlock: numberToHex(source.fromBlock),
        toBlock: toBlock === undefined ? 'latest' : numberToHex(toBlock),
      },
    ],
  });
}

const selector = (eventName: ContractEventName<typeof ledgerAbi>): Hex =>
  toEventSelector(getAbiItem({ abi: ledgerAbi, name: eventName }));

/** Everything the ledger recorded about one exchange, in chain order. */
export async function getExchangeEvents(source: LedgerEventSource, exchangeKey: Hex): Promise<LedgerEvent[]> {
  // exchangeId is the first indexed field everywhere except NodeAnchored, where it is the second.
  const [byExchange, anchors] = await Promise.all([
    getLogs(source, [[selector('ExchangeRecorded'), selector('Allocated'), selector('Released'), selector('Revoked')], exchangeKey]),
    getLogs(source, [selector('NodeAnchored'), null, exchangeKey]),
  ]);
  return toLedgerEvents([...byExchange, ...anchors]);
}

/** Every ledger event in a block range (both ends inclusive), for reconciliation. */
export async function getLedgerEvents(
  source: LedgerEventSource,
  range: { fromBlock?: bigint; toBlock?: bigint } = {},
): Promise<LedgerEvent[]> {
  return toLedgerEvents(await getLogs({ ...source, fromBlock: range.fromBlock ?? source.fromBlock }, [], range.toBlock));
}

/** The event that allocated one line: where an idempotent retry finds the original transaction. */
export async function findAllocatedEvent(
  source: LedgerEventSource,
  exchangeKey: Hex,
  key: { payer: Address; recipient: Address },
): Promise<LedgerEvent | undefined> {
  const topics = encodeEventTopics({ abi: ledgerAbi, eventName: 'Allocated', args: { exchangeId: exchangeKey, ...key } });
  return toLedgerEvents(await getLogs(source, topics))[0];
}

/** The ExchangeRecorded events of one exchange (one per allocate transaction). */
export async function findExchangeRecords(source: LedgerEventSource, exchangeKey: Hex): Promise<LedgerEvent[]> {
  const topics = encodeEventTopics({ abi: ledgerAbi, eventName: 'ExchangeRecorded', args: { exchangeId: exchangeKey } });
  return toLedgerEvents(await getLogs(source, topics));
}
