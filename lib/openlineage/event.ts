import { createHash } from 'node:crypto';
import type { AllocationRecord, ExchangeRecord, NodeRecord } from '../../db/records';
import { sumUnits, toUnits, unitsToPoints } from '../../domain/amounts';
import type { UseCaseContract } from '../../domain/types';
import { facetSchemaUrl, type ContractJobFacet, type ExchangeRunFacet, type NodeDatasetFacet } from './facets';

/**
 * One exchange as an OpenLineage RunEvent (spec 2-0-2): the job is the use-case contract, the
 * run is the exchange, the input is the data consumed and the output the data it produced. Pure:
 * the same records always give the same event, so a push repeated after a crash sends the same
 * run id and a consumer such as Marquez updates the run instead of adding one.
 */

export const RUN_EVENT_SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

export type RunEventType = 'RUNNING' | 'COMPLETE' | 'FAIL' | 'ABORT';

export interface OpenLineageDataset {
  namespace: string;
  name: string;
  facets: { dvct_node: NodeDatasetFacet };
}

export interface OpenLineageRunEvent {
  eventType: RunEventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: { dvct_exchange: ExchangeRunFacet } };
  job: { namespace: string; name: string; facets: { dvct_contract: ContractJobFacet } };
  inputs: OpenLineageDataset[];
  outputs: OpenLineageDataset[];
}

export interface RunEventSource {
  instance: { dvctId: string; publicUrl: string };
  exchange: Pick<
    ExchangeRecord,
    'id' | 'kind' | 'workflowId' | 'usecaseContractId' | 'status' | 'stage' | 'report' | 'providerId' | 'consumerId' | 'updatedAt'
  >;
  contract: Pick<UseCaseContract, 'title' | 'orchestratorId'> | null;
  /** The lineage nodes of the data consumed and produced; null for a settlement or before they exist. */
  consumed: NodeRecord | null;
  output: NodeRecord | null;
  allocations: Pick<AllocationRecord, 'round' | 'payerId' | 'recipientId' | 'amount' | 'status'>[];
}

/** A fixed namespace for the name-based run ids, so every DVCT instance derives the same id for an exchange. */
const RUN_ID_NAMESPACE = Buffer.from('6f1c2a4e9d3b4c7a8e5f0a1b2c3d4e5f', 'hex');

/** RFC 9562 name-based UUID (version 5, SHA-1) of the exchange id: stable across retries and instances. */
export function runIdFor(exchangeId: string): string {
  const bytes = createHash('sha1').update(RUN_ID_NAMESPACE).update(exchangeId, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Where the run stands, in OpenLineage's words; the facet keeps DVCT's own status. */
export function eventTypeOf(status: ExchangeRecord['status']): RunEventType {
  if (status === 'running') return 'RUNNING';
  if (status === 'completed') return 'COMPLETE';
  if (status === 'cancelled') return 'ABORT';
  return 'FAIL';
}

/** Jobs and datasets of one DVCT instance share a namespace; dataIds are unique in the dataspace. */
export function namespaceOf(dvctId: string): string {
  return `dvct://${dvctId}`;
}

function pointsOf(units: bigint): { points: string; units: string } {
  return { points: unitsToPoints(units), units: toUnits(units) };
}

function dataset(source: RunEventSource, node: NodeRecord): OpenLineageDataset {
  const { publicUrl, dvctId } = source.instance;
  return {
    namespace: namespaceOf(dvctId),
    name: node.dataId,
    facets: {
      dvct_node: {
        _producer: publicUrl,
        _schemaURL: facetSchemaUrl(publicUrl, 'dvct_node'),
        nodeId: node.nodeId,
        kind: node.kind,
        ownerId: node.ownerId,
      },
    },
  };
}

export function buildRunEvent(source: RunEventSource): OpenLineageRunEvent {
  const { instance, exchange, contract, allocations } = source;
  const { publicUrl } = instance;
  const total = (status: AllocationRecord['status']) => sumUnits(allocations.filter((a) => a.status === status).map((a) => a.amount));

  return {
    eventType: eventTypeOf(exchange.status),
    eventTime: exchange.updatedAt.toISOString(),
    producer: publicUrl,
    schemaURL: RUN_EVENT_SCHEMA_URL,
    run: {
      runId: runIdFor(exchange.id),
      facets: {
        dvct_exchange: {
          _producer: publicUrl,
          _schemaURL: facetSchemaUrl(publicUrl, 'dvct_exchange'),
          exchangeId: exchange.id,
          kind: exchange.kind,
          workflowId: exchange.workflowId,
          status: exchange.status,
          stage: exchange.stage,
          usecaseContractId: exchange.usecaseContractId,
          contractId: exchange.report?.contractId ?? null,
          providerId: exchange.providerId,
          consumerId: exchange.consumerId,
          orchestratorId: contract?.orchestratorId ?? null,
          points: { allocated: pointsOf(total('allocated')), released: pointsOf(total('released')), revoked: pointsOf(total('revoked')) },
          allocations: allocations.map((a) => ({ round: a.round, payerId: a.payerId, recipientId: a.recipientId, ...pointsOf(BigInt(a.amount)), status: a.status })),
        },
      },
    },
    job: {
      namespace: namespaceOf(instance.dvctId),
      name: exchange.usecaseContractId,
      facets: {
        dvct_contract: {
          _producer: publicUrl,
          _schemaURL: facetSchemaUrl(publicUrl, 'dvct_contract'),
          usecaseContractId: exchange.usecaseContractId,
          title: contract?.title ?? null,
          orchestratorId: contract?.orchestratorId ?? null,
        },
      },
    },
    inputs: source.consumed ? [dataset(source, source.consumed)] : [],
    outputs: source.output ? [dataset(source, source.output)] : [],
  };
}
