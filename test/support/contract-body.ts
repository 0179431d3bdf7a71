/**
 * A use-case contract as POST /v1/contracts takes it, for tests: the parties by id with their
 * roles, the design document's default terms (5 points to the provider, factor 1), no upstream
 * share, no pool, and a one-second verification window unless a test says otherwise.
 */
export function contractBody(
  id: string,
  orchestratorId: string,
  parties: Record<string, string[]>,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    title: `Contract ${id}`,
    orchestratorId,
    parties: [
      { participantId: orchestratorId, roles: ['orchestrator'] },
      ...Object.entries(parties).map(([participantId, roles]) => ({ participantId, roles })),
    ],
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: null,
    incentiveForDataProvider: { numPoints: 5, factor: 1, factorCheck: false },
    extraIncentiveForAIProvider: null,
    upstream: null,
    rewardPool: null,
    verificationWindowSeconds: 1,
    ...over,
  };
}
