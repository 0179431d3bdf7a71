import type { OnboardingWorkflowInput } from './definitions';
import { act } from './activities';

/**
 * Gives a new participant its initial points (design document: "initial points … will be
 * generated and given to dataspace participants"). A workflow, because chain writes happen only
 * in the worker, through one signer, and the id `participant-<id>` makes the mint happen once.
 */
export async function participantOnboardingWorkflow(input: OnboardingWorkflowInput): Promise<{ txHash: string | null }> {
  return act.mintInitialPoints.executeWithOptions(
    { summary: `mint ${input.initialUnits} units to ${input.participantId}` },
    [{ participantId: input.participantId, units: input.initialUnits }],
  );
}
