import { auditAnchorActivities } from './audit-anchor';
import { withAuditTrail } from './audit';
import { contractActivities } from './contracts';
import type { ActivityDeps } from './deps';
import { withNamedFailures } from './failures';
import { incidentActivities } from './incidents';
import { reconciliationActivities } from './reconciliation';
import { nodeActivities } from './nodes';
import { notificationActivities } from './notifications';
import { openLineageActivities } from './openlineage';
import { outcomeActivities } from './outcome';
import { peerActivities } from './peers';
import { pointActivities } from './points';
import { qualityActivities } from './quality';

export type { ActivityDeps } from './deps';

/** Every activity of the worker, built from injected clients; failures carry ERRORS names; state changes leave an audit entry. */
export function createActivities(deps: ActivityDeps) {
  return withNamedFailures(
    withAuditTrail(
      {
        ...contractActivities(deps),
        ...nodeActivities(deps),
        ...qualityActivities(deps),
        ...pointActivities(deps),
        ...notificationActivities(deps),
        ...outcomeActivities(deps),
        ...incidentActivities(deps),
        ...reconciliationActivities(deps),
        ...auditAnchorActivities(deps),
        ...openLineageActivities(deps),
        ...peerActivities(deps),
      },
      deps.store,
    ),
  );
}

export type DvctActivities = ReturnType<typeof createActivities>;
