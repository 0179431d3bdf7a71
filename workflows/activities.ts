import { proxyActivities } from '@temporalio/workflow';
import type { DvctActivities } from '../activities';

/**
 * Activity proxies, grouped by what they talk to, each with explicit timeouts. Database steps are
 * short; chain steps wait for receipts and heartbeat; webhook deliveries retry on their own
 * schedule so one slow receiver does not hold up anything else.
 */
const database = proxyActivities<DvctActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

const chain = proxyActivities<DvctActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const outside = proxyActivities<DvctActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/**
 * Allocation waits for a payer that has not deposited enough: INSUFFICIENT_DEPOSIT is retryable,
 * so the activity retries with back-off (the Web UI shows it pending, with that failure) until the
 * deposit arrives, for up to a week — instead of failing an exchange nobody could resubmit.
 */
const allocation = proxyActivities<DvctActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '7 days',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Calls to the Temporal service itself (handing an incident to the run that takes it): short, retried like the database. */
const temporalService = proxyActivities<DvctActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

export const webhooks = proxyActivities<DvctActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 8 },
});

export const act = {
  verifyContract: database.verifyContract,
  verifyPool: database.verifyPool,
  createNodes: database.createNodes,
  applyPrevRootUpdate: database.applyPrevRootUpdate,
  acceptPeerUpdate: database.acceptPeerUpdate,
  loadUpstreamLineage: database.loadUpstreamLineage,
  markExchangeOutcome: database.markExchangeOutcome,
  notifyParticipants: database.notifyParticipants,
  notifyRevocation: database.notifyRevocation,
  recordRevocation: database.recordRevocation,
  markDeliveryFailed: database.markDeliveryFailed,
  checkDataQuality: outside.checkDataQuality,
  pushOpenLineageEvent: outside.pushOpenLineageEvent,
  allocatePoints: allocation.allocatePoints,
  verifyDistribution: chain.verifyDistribution,
  releaseAllocations: chain.releaseAllocations,
  revokeAllocation: chain.revokeAllocation,
  mintInitialPoints: chain.mintInitialPoints,
  openIncident: database.openIncident,
  assessIncident: chain.assessIncident,
  rollbackIncident: chain.rollbackIncident,
  awaitReview: database.awaitReview,
  escalateIncident: database.escalateIncident,
  notifyEscalation: database.notifyEscalation,
  recordReview: database.recordReview,
  correctIncident: chain.correctIncident,
  redistributeIncident: allocation.redistributeIncident,
  notifyIncident: database.notifyIncident,
  closeIncident: database.closeIncident,
  cancelIncident: chain.cancelIncident,
  rollbackExchange: chain.rollbackExchange,
  findReconciliationMismatches: chain.findReconciliationMismatches,
  handOverIncident: temporalService.handOverIncident,
  anchorAuditHead: chain.anchorAuditHead,
};
