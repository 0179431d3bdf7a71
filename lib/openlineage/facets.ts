import { z } from 'zod';

/**
 * DVCT's custom OpenLineage facets. OpenLineage wants every facet to carry `_producer` and a
 * `_schemaURL` that names its JSON Schema; DVCT serves those schemas itself (generated from the
 * zod schemas below, GET /openlineage/facets/{name}.json), so a consumer can resolve them and the
 * tests validate every facet DVCT emits against the same document it points at.
 *
 * The facet keys carry the `dvct_` prefix OpenLineage asks of custom facets.
 */

const facetBase = {
  _producer: z.url(),
  _schemaURL: z.url(),
};

const pointsSchema = z.object({
  points: z.string().describe('Decimal points, 18 decimals at most'),
  units: z.string().describe('Token base units (10^18 per point), an integer string'),
});

export const exchangeRunFacetSchema = z
  .object({
    ...facetBase,
    exchangeId: z.string(),
    kind: z.enum(['exchange', 'settlement']),
    workflowId: z.string().describe('The Temporal workflow that ran the exchange'),
    status: z.string(),
    stage: z.string(),
    usecaseContractId: z.string(),
    contractId: z.string().nullable().describe("The report's data contract; null for a pool settlement"),
    providerId: z.string().nullable(),
    consumerId: z.string().nullable(),
    orchestratorId: z.string().nullable(),
    points: z.object({
      allocated: pointsSchema.describe('Allocated and still revocable'),
      released: pointsSchema,
      revoked: pointsSchema,
    }),
    allocations: z.array(
      z.object({
        round: z.string().describe("'initial', or the id of the incident whose correction allocated it"),
        payerId: z.string(),
        recipientId: z.string(),
        points: z.string(),
        units: z.string(),
        status: z.enum(['allocated', 'released', 'revoked']),
      }),
    ),
  })
  .describe('A DVCT exchange: who provided and consumed the data, under which contract, and the incentive points it allocated');

export const contractJobFacetSchema = z
  .object({
    ...facetBase,
    usecaseContractId: z.string(),
    title: z.string().nullable(),
    orchestratorId: z.string().nullable(),
  })
  .describe('The DVCT use-case contract the job stands for');

export const nodeDatasetFacetSchema = z
  .object({
    ...facetBase,
    nodeId: z.string(),
    kind: z.enum(['raw-data', 'chain-data', 'final-data']),
    ownerId: z.string().nullable(),
  })
  .describe('The DVCT lineage node of the dataset and the organisation that owns it');

/** Facet key in the event → its schema document's name and zod schema. */
export const FACETS = {
  dvct_exchange: { name: 'DvctExchangeRunFacet', schema: exchangeRunFacetSchema },
  dvct_contract: { name: 'DvctContractJobFacet', schema: contractJobFacetSchema },
  dvct_node: { name: 'DvctNodeDatasetFacet', schema: nodeDatasetFacetSchema },
} as const;

export type FacetKey = keyof typeof FACETS;
export type ExchangeRunFacet = z.infer<typeof exchangeRunFacetSchema>;
export type ContractJobFacet = z.infer<typeof contractJobFacetSchema>;
export type NodeDatasetFacet = z.infer<typeof nodeDatasetFacetSchema>;

/** Bumped when a facet's fields change, so consumers keyed on `_schemaURL` see a new shape. */
export const FACET_VERSION = '1-0-0';

export function facetDocumentUrl(publicUrl: string, key: FacetKey): string {
  return `${publicUrl}/openlineage/facets/${FACET_VERSION}/${FACETS[key].name}.json`;
}

/** The `_schemaURL` of a facet: its document and the JSON pointer to its definition. */
export function facetSchemaUrl(publicUrl: string, key: FacetKey): string {
  return `${facetDocumentUrl(publicUrl, key)}#/$defs/${FACETS[key].name}`;
}

/**
 * A facet's JSON Schema document, in the layout OpenLineage's own facet files use: the facet under
 * `$defs`, and a top-level object mapping the facet key to it.
 */
export function facetSchemaDocument(publicUrl: string, key: FacetKey): Record<string, unknown> {
  const { name, schema } = FACETS[key];
  const definition = z.toJSONSchema(schema, { target: 'draft-2020-12' });
  delete definition.$schema;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: facetDocumentUrl(publicUrl, key),
    $defs: { [name]: definition },
    type: 'object',
    properties: { [key]: { $ref: `#/$defs/${name}` } },
  };
}

/** Facet name as served (`DvctExchangeRunFacet`) → key in events, for the schema route. */
export function facetKeyOfName(name: string): FacetKey | undefined {
  return (Object.keys(FACETS) as FacetKey[]).find((key) => FACETS[key].name === name);
}
