import { z } from 'zod';
import { amountProblem, factorToPpm, pointsToUnits, unitsToPoints } from './amounts';
import { AUTHORITY_ROLES, PERMISSION_NAMES, SCOPE_PATTERN, type GrantTerms } from './authority';
import { findContractProblems } from './contract-rules';
import { DEFAULT_REVIEW_POLICY, REVIEW_DECISIONS, VALIDATION_RULES, type ReviewPolicy, type ValidationRuleId } from './incidents';
import type { ExchangeReport, IncentiveTerm, PartyRole, UseCaseContract } from './types';

/**
 * Input schemas for what the API accepts: the design document's exchange report, use-case
 * contracts and participants. Objects are strict (an unknown field is named in the error, not
 * silently ignored), and each schema's output is the domain type the rest of the code uses.
 * Only the API and activities import this module (workflows stay free of zod).
 */

export const PARTY_ROLES = ['orchestrator', 'data-provider', 'data-consumer', 'ai-provider'] as const satisfies readonly PartyRole[];
// Fails to compile when PartyRole gains a role PARTY_ROLES does not list.
true satisfies [Exclude<PartyRole, (typeof PARTY_ROLES)[number]>] extends [never] ? true : never;

/** A participant's roles in the dataspace: the contract roles plus reviewing incidents and auditing the trail. */
export const PARTICIPANT_ROLES = [...PARTY_ROLES, 'reviewer', 'auditor'] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

export const MAX_ID_LENGTH = 256;
/** Bounds the work one report can cause (each parent becomes a lineage update). */
export const MAX_PREV_DATA_IDS = 1000;

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** Control characters (NUL among them) are never part of an identifier or a text a person wrote. */
export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

function noControlCharacters(value: string): boolean {
  return !hasControlCharacters(value);
}

/** Identifiers from connectors and catalogues: trimmed, non-empty, printable. */
export const idSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`)
  .refine(noControlCharacters, 'must not contain control characters');

const textSchema = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max).refine(noControlCharacters, 'must not contain control characters');

/** A zod refinement from one of the amount checks, reporting its message (which names the rule and the value). */
function amountRule<T>(check: (value: T) => unknown) {
  return (value: T, ctx: z.RefinementCtx<T>) => {
    const problem = amountProblem(() => check(value));
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  };
}

/** A rule about a whole object runs once its fields are well-formed, so each problem is reported once, where it is. */
const wellFormed = (payload: { issues: readonly unknown[] }) => payload.issues.length === 0;

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

export const incentiveTermSchema = z.strictObject({
  numPoints: z.number().superRefine(amountRule((n: number) => pointsToUnits(n, 'numPoints'))),
  factor: z.number().superRefine(amountRule((n: number) => factorToPpm(n, 'factor'))),
  factorCheck: z.boolean().default(false),
}) satisfies z.ZodType<IncentiveTerm>;

export const exchangeReportSchema = z
  .strictObject({
    dvctId: idSchema,
    usecaseContractId: idSchema,
    usecaseContractTitle: textSchema(512).optional(),
    extraIncentiveForAIProvider: incentiveTermSchema.optional(),
    contractId: idSchema,
    dataId: idSchema,
    dataProviderId: idSchema,
    dataConsumerId: idSchema,
    dataConsumerIsAIProvider: z.boolean().default(false),
    /** The seed sends one id or a list; both become `prevDataIds`. */
    prevDataId: z.union([idSchema, z.array(idSchema).max(MAX_PREV_DATA_IDS)]).optional(),
    incentiveForDataProvider: incentiveTermSchema.optional(),
    outputDataId: idSchema.optional(),
    outputDataType: z.enum(['chain-data', 'final-data']).optional(),
  })
  .transform(({ prevDataId, ...fields }): ExchangeReport => {
    const report: ExchangeReport = {
      dvctId: fields.dvctId,
      usecaseContractId: fields.usecaseContractId,
      contractId: fields.contractId,
      dataId: fields.dataId,
      dataProviderId: fields.dataProviderId,
      dataConsumerId: fields.dataConsumerId,
      dataConsumerIsAIProvider: fields.dataConsumerIsAIProvider,
      prevDataIds: unique(typeof prevDataId === 'string' ? [prevDataId] : (prevDataId ?? [])),
    };
    // Absent stays absent (no `undefined` keys), so stored and hashed reports look like what was sent.
    if (fields.usecaseContractTitle !== undefined) report.usecaseContractTitle = fields.usecaseContractTitle;
    if (fields.incentiveForDataProvider) report.incentiveForDataProvider = fields.incentiveForDataProvider;
    if (fields.extraIncentiveForAIProvider) report.extraIncentiveForAIProvider = fields.extraIncentiveForAIProvider;
    if (fields.outputDataId !== undefined) report.outputDataId = fields.outputDataId;
    if (fields.outputDataType !== undefined) report.outputDataType = fields.outputDataType;
    return report;
  });

/** An ISO-8601 instant with an explicit offset, stored in UTC ("…Z") so instants compare as text too. */
const instantSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time with an offset, e.g. 2025-01-01T00:00:00Z' })
  .transform((value) => new Date(value).toISOString());

export const DEFAULT_VERIFICATION_WINDOW_SECONDS = 86_400;

/** Points as a non-negative JSON number with at most 18 decimals, like numPoints. */
const pointsNumberSchema = (label: string) => z.number().superRefine(amountRule((n: number) => pointsToUnits(n, label)));

/** Points as a number or decimal string, read exactly and normalised to the shortest decimal string ("1e3" → "1000"). */
const pointsTextSchema = (label: string) =>
  z
    .union([z.string(), z.number()])
    .superRefine(amountRule((points: string | number) => pointsToUnits(points, label)))
    .transform((points) => unitsToPoints(pointsToUnits(points)));

/** How the contract's incidents are reviewed; each field left out takes DEFAULT_REVIEW_POLICY's value. */
const reviewPolicySchema = z.strictObject({
  mode: z.enum(['automatic', 'manual']).default(DEFAULT_REVIEW_POLICY.mode),
  deadlineSeconds: z.number().int().min(1).default(DEFAULT_REVIEW_POLICY.deadlineSeconds),
  onDeadline: z.enum(['approve-correction', 'reject']).default(DEFAULT_REVIEW_POLICY.onDeadline),
  tolerancePoints: pointsNumberSchema('tolerancePoints').default(DEFAULT_REVIEW_POLICY.tolerancePoints),
}) satisfies z.ZodType<ReviewPolicy>;

/** Each rule once, in the catalogue's order, so the same set always reads the same. */
const validationRulesSchema = z
  .array(z.enum(VALIDATION_RULES))
  .transform((rules): ValidationRuleId[] => VALIDATION_RULES.filter((r) => rules.includes(r)));

export const contractInputSchema = z
  .strictObject({
    id: idSchema,
    title: textSchema(512),
    orchestratorId: idSchema,
    parties: z
      .array(
        z.strictObject({
          participantId: idSchema,
          roles: z.array(z.enum(PARTY_ROLES)).min(1, 'must name at least one role').transform(unique),
        }),
      )
      .min(1, 'must name at least the orchestrator'),
    validFrom: instantSchema,
    validUntil: instantSchema.nullable().default(null),
    incentiveForDataProvider: incentiveTermSchema,
    extraIncentiveForAIProvider: incentiveTermSchema.nullable().default(null),
    upstream: z.strictObject({ share: z.number(), depth: z.number() }).nullable().default(null),
    rewardPool: z
      .strictObject({
        numPoints: z.number(),
        weights: z.array(z.strictObject({ participantId: idSchema, weight: z.number() })).min(1),
      })
      .nullable()
      .default(null),
    verificationWindowSeconds: z.number().int().min(0).default(DEFAULT_VERIFICATION_WINDOW_SECONDS),
    review: reviewPolicySchema.default(() => ({ ...DEFAULT_REVIEW_POLICY })),
    validationRules: validationRulesSchema.default(() => []),
  })
  .superRefine(
    (contract, ctx) => {
      for (const problem of findContractProblems(contract)) {
        ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
      }
    },
    // The contract-wide rules need well-formed fields; field errors are reported first.
    { when: wellFormed },
  ) satisfies z.ZodType<UseCaseContract>;

const SLUG = /^[a-z0-9][a-z0-9._-]*$/;
const WALLET_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export const participantInputSchema = z.strictObject({
  id: z
    .string()
    .min(3, 'must be at least 3 characters')
    .max(64, 'must be at most 64 characters')
    .regex(SLUG, 'must start with a lowercase letter or digit and contain only a-z, 0-9, ".", "_" and "-"'),
  name: textSchema(256),
  roles: z.array(z.enum(PARTICIPANT_ROLES)).min(1, 'must name at least one role').transform(unique),
  walletAddress: z
    .string()
    .regex(WALLET_ADDRESS, 'must be 0x followed by 40 hexadecimal digits')
    .transform((address) => address.toLowerCase() as `0x${string}`),
  webhookUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** Points to credit at registration, normalised to a decimal string of points ("1e3" → "1000"). */
  initialPoints: pointsTextSchema('initialPoints').optional(),
});

/** What the operator changes of an organisation: any of its details and roles (null webhookUrl: no webhook). Its id and wallet stay. */
export const participantChangesSchema = z
  .strictObject({
    name: participantInputSchema.shape.name.optional(),
    roles: participantInputSchema.shape.roles.optional(),
    webhookUrl: participantInputSchema.shape.webhookUrl.unwrap().nullable().optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'name at least one of name, roles, webhookUrl');

/** Why the operator suspends or reinstates an organisation: kept in the audit trail (and, for a suspension, told to its keys). */
export const suspensionInputSchema = z.strictObject({ reason: textSchema(1000) });

/** A party's dispute of what it received in an exchange. */
export const disputeInputSchema = z.strictObject({
  /** What the party expected to receive in this exchange, in points; normalised like initialPoints. */
  expectedPoints: pointsTextSchema('expectedPoints').optional(),
  reason: textSchema(1000),
});

const metricCorrectionSchema = z
  .strictObject({
    numPoints: pointsNumberSchema('numPoints').optional(),
    factor: z.number().superRefine(amountRule((n: number) => factorToPpm(n, 'factor'))).optional(),
  })
  .refine((m) => m.numPoints !== undefined || m.factor !== undefined, { message: 'must correct numPoints, factor or both', when: wellFormed });

/**
 * A reviewer's decision on an incident. `correctedMetrics` goes with `adjust` only: adjust pays
 * what the corrected metrics make due, the other decisions need no metrics.
 */
export const reviewInputSchema = z
  .strictObject({
    /** The incident to decide; may be left out when exactly one incident of the exchange awaits a review. */
    incidentId: idSchema.optional(),
    decision: z.enum(REVIEW_DECISIONS),
    correctedMetrics: z
      .strictObject({
        incentiveForDataProvider: metricCorrectionSchema.optional(),
        extraIncentiveForAIProvider: metricCorrectionSchema.optional(),
      })
      .refine((c) => c.incentiveForDataProvider !== undefined || c.extraIncentiveForAIProvider !== undefined, {
        message: 'must correct at least one term',
        when: wellFormed,
      })
      .optional(),
    comment: textSchema(2000),
  })
  .superRefine((review, ctx) => {
    if (review.decision === 'adjust' && review.correctedMetrics === undefined) {
      ctx.addIssue({ code: 'custom', path: ['correctedMetrics'], message: 'is required when the decision is adjust' });
    }
    if (review.decision !== 'adjust' && review.correctedMetrics !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['correctedMetrics'], message: `is only allowed when the decision is adjust, not ${review.decision}` });
    }
  });

/** The feedback step: a rule the contract adds so the input behind an incident is refused next time. */
export const validationRuleInputSchema = z.strictObject({
  rule: z.enum(VALIDATION_RULES),
  /** The incident that showed the rule was needed; it must be one of this contract's exchanges'. */
  incidentId: idSchema.optional(),
});

const LABEL = /^[\x20-\x7e]{1,100}$/;

const grantFields = {
  role: z.enum(AUTHORITY_ROLES),
  scope: z.string().regex(SCOPE_PATTERN, 'must be *, contract:<id>, exchange:<id> or participant:<id>').default('*'),
  permission: z.enum(PERMISSION_NAMES as [GrantTerms['permission'], ...GrantTerms['permission'][]]),
  validFrom: instantSchema.optional(),
  validUntil: instantSchema.nullable().default(null),
};

function grantTerms(g: { role: GrantTerms['role']; scope: string; permission: GrantTerms['permission']; validFrom?: string | undefined; validUntil: string | null }): GrantTerms {
  return {
    role: g.role,
    scope: g.scope,
    permission: g.permission,
    validFrom: g.validFrom === undefined ? new Date() : new Date(g.validFrom),
    validUntil: g.validUntil === null ? null : new Date(g.validUntil),
  };
}

/** A grant as a key asks for it: <role, scope, permission, effective period>; validFrom defaults to now, validUntil to open-ended. */
export const grantInputSchema = z.strictObject(grantFields).transform(grantTerms);

/** A grant for the organisation (every unrestricted key of it) or, with keyId, for one of its keys. */
export const grantRequestSchema = z
  .strictObject({ ...grantFields, keyId: z.string().regex(/^[0-9a-f]{12}$/, 'must be a key id (12 hexadecimal digits)').optional() })
  .transform(({ keyId, ...g }) => ({ ...grantTerms(g), keyId: keyId ?? null }));

/**
 * A new API key. With `grants` it is restricted to them (and they must be within what the calling
 * key holds); without, it acts by its organisation's grants.
 */
export const keyRequestSchema = z.strictObject({
  label: z.string().regex(LABEL, 'must be 1–100 printable ASCII characters').optional(),
  grants: z.array(grantInputSchema).min(1, 'must name at least one grant (leave grants out for a key acting by the organisation\'s grants)').max(100).optional(),
});

/** A rotation: the new key keeps the old one's label unless another is given. */
export const keyRotationSchema = z.strictObject({ label: keyRequestSchema.shape.label });

export type IncentiveTermInput = z.input<typeof incentiveTermSchema>;
export type ExchangeReportInput = z.input<typeof exchangeReportSchema>;
export type ContractInput = z.input<typeof contractInputSchema>;
export type ParticipantInput = z.input<typeof participantInputSchema>;
/** A participant as registered, after normalisation (lowercase wallet, unique roles, canonical points). */
export type ParticipantRegistration = z.output<typeof participantInputSchema>;
