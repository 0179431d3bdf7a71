import { AccessGrant } from './access-grant';
import { Allocation } from './allocation';
import { ApiKey } from './api-key';
import { AuditAnchor } from './audit-anchor';
import { AuditEntry } from './audit-entry';
import { Award } from './award';
import { Exchange } from './exchange';
import { Incident } from './incident';
import { IncidentEvent } from './incident-event';
import { Node } from './node';
import { NodeLink } from './node-link';
import { NodePropagation } from './node-propagation';
import { Notification } from './notification';
import { Participant } from './participant';
import { PeerUpdate } from './peer-update';
import { Setting } from './setting';
import { UseCaseContract } from './use-case-contract';

export { AccessGrant, Allocation, ApiKey, AuditAnchor, AuditEntry, Award, Exchange, Incident, IncidentEvent, Node, NodeLink, NodePropagation, Notification, Participant, PeerUpdate, Setting, UseCaseContract };

/** Every entity, registered explicitly: folder discovery breaks under tsx and vitest. */
export const entities = [
  Participant,
  Setting,
  UseCaseContract,
  Exchange,
  Node,
  NodeLink,
  NodePropagation,
  Award,
  Allocation,
  Notification,
  Incident,
  IncidentEvent,
  ApiKey,
  AccessGrant,
  AuditEntry,
  AuditAnchor,
  PeerUpdate,
];
