import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { FACETS, facetSchemaDocument, type FacetKey } from '../../lib/openlineage/facets';

/**
 * JSON Schema validation of the events DVCT emits, offline: DVCT's own facet schemas (generated
 * from the code, as GET /openlineage/facets/… serves them) and the RunEvent schema kept in the
 * repository — the official OpenLineage spec file when test/openlineage/spec/OpenLineage.json is
 * there, else the project's transcription of its RunEvent rules (spec/run-event.schema.json; see
 * the README there).
 */

export const OFFICIAL_SPEC_FILE = join(import.meta.dirname, 'spec', 'OpenLineage.json');
const TRANSCRIBED_SPEC_FILE = join(import.meta.dirname, 'spec', 'run-event.schema.json');
const officialSpecPresent = existsSync(OFFICIAL_SPEC_FILE);
/** Which RunEvent schema the tests validate against. */
export const runEventSchemaFile = officialSpecPresent ? OFFICIAL_SPEC_FILE : TRANSCRIBED_SPEC_FILE;

function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

/** Validators of every DVCT facet, by key, from the documents served under `publicUrl`. */
export function facetValidators(publicUrl: string): Record<FacetKey, ValidateFunction> {
  const ajv = newAjv();
  const out = {} as Record<FacetKey, ValidateFunction>;
  for (const key of Object.keys(FACETS) as FacetKey[]) out[key] = ajv.compile(facetSchemaDocument(publicUrl, key));
  return out;
}

/** The RunEvent definition of the schema kept in the repository (official when present). */
export function runEventValidator(): ValidateFunction {
  const spec = JSON.parse(readFileSync(runEventSchemaFile, 'utf8')) as { $id: string };
  const ajv = newAjv();
  ajv.addSchema(spec);
  return ajv.compile({ $ref: `${spec.$id}#/$defs/RunEvent` });
}

export function errorsOf(validate: ValidateFunction): string {
  return JSON.stringify(validate.errors, null, 2);
}

/**
 * Every problem of an event as DVCT serves or pushes it: against the RunEvent schema kept in the
 * repository, and each DVCT facet against the schema its _schemaURL names (served under `publicUrl`).
 * Empty when it is valid.
 */
export function runEventProblems(event: any, publicUrl: string): string[] {
  const problems: string[] = [];
  const runEvent = runEventValidator();
  if (!runEvent(event)) problems.push(`RunEvent: ${errorsOf(runEvent)}`);
  const facets = facetValidators(publicUrl);
  const found: [FacetKey, unknown][] = [
    ['dvct_exchange', event?.run?.facets?.dvct_exchange],
    ['dvct_contract', event?.job?.facets?.dvct_contract],
    ...[...(event?.inputs ?? []), ...(event?.outputs ?? [])].map((d: any): [FacetKey, unknown] => ['dvct_node', d?.facets?.dvct_node]),
  ];
  for (const [key, facet] of found) {
    const validate = facets[key];
    if (facet === undefined) problems.push(`${key}: missing`);
    else if (!validate({ [key]: facet })) problems.push(`${key}: ${errorsOf(validate)}`);
  }
  return problems;
}
