/** Every workflow type the worker registers; the worker bundles this file. */
export { exchangeWorkflow } from './exchange';
export { prevRootUpdateWorkflow } from './prevroot';
export { poolSettlementWorkflow } from './settlement';
export { participantOnboardingWorkflow } from './onboarding';
export { revocationWorkflow } from './revocation';
export { incidentWorkflow } from './incident';
export { exchangeIncidentsWorkflow } from './exchange-incidents';
export { reconciliationWorkflow } from './reconciliation';
export { auditAnchorWorkflow } from './audit-anchor';
