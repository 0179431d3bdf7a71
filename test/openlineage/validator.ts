import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { FACETS, facetSchemaDocument, type FacetKey } from '../../lib/openlineage/facets';

/**
 * JSON Schema validation of the events DVCT emits, offline: DVCT's own facet schemas (generated
 * from the code, as GET /openlineage/facets/… serves them) and, when it is in the repository, the
 * official OpenLineage spec file (test/openlineage/spec/OpenLineage.json; see the README there).
 */

export const OFFICIAL_SPEC_FILE = join(import.meta.dirname, 'spec', 'OpenLineage.json');
export const officialSpecPresent = existsSync(OFFICIAL_SPEC_FILE);

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

/** The official RunEvent definition; only when the spec file is present. */
export function officialRunEventValidator(): ValidateFunction {
  const spec = JSON.parse(readFileSync(OFFICIAL_SPEC_FILE, 'utf8')) as { $id: string };
  const ajv = newAjv();
  ajv.addSchema(spec);
  return ajv.compile({ $ref: `${spec.$id}#/$defs/RunEvent` });
}

export function errorsOf(validate: ValidateFunction): string {
  return JSON.stringify(validate.errors, null, 2);
}
