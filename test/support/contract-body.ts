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

/**
 * The design document's sequence contract, with participant ids `<prefix>-o`, `-p1`, `-c1`, `-c2`
 * (and whoever `moreParties` names, e.g. a distinct provider P2): 5 points per use to the
 * provider, 10 extra to an AI provider, 20 % of each award upstream over two levels. Shared by
 * every test that plays the sequence.
 */
export function designSequenceContract(id: string, prefix: string, verificationWindowSeconds: number, moreParties: Record<string, string[]> = {}): Record<string, unknown> {
  return contractBody(
    id,
    `${prefix}-o`,
    {
      [`${prefix}-p1`]: ['data-provider'],
      [`${prefix}-c1`]: ['data-consumer', 'ai-provider', 'data-provider'],
      [`${prefix}-c2`]: ['data-consumer'],
      ...moreParties,
    },
    {
      title: 'Skills analytics',
      extraIncentiveForAIProvider: { numPoints: 10, factor: 1, factorCheck: false },
      upstream: { share: 0.2, depth: 2 },
      verificationWindowSeconds,
    },
  );
}
