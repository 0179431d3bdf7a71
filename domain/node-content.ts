/**
 * The parts of a node that never change after creation: what its hash anchored on chain covers.
 * Shared by the worker (which anchors it) and any member re-computing it to verify an exchange.
 */
export interface NodeContentSource {
  nodeId: string;
  dataId: string;
  kind: string;
  ownerId: string | null;
  dvctId: string | null;
  usecaseContractId: string | null;
  dataProviderId: string | null;
  dataConsumerId: string | null;
}

export function nodeContent(node: NodeContentSource): NodeContentSource {
  return {
    nodeId: node.nodeId,
    dataId: node.dataId,
    kind: node.kind,
    ownerId: node.ownerId,
    dvctId: node.dvctId,
    usecaseContractId: node.usecaseContractId,
    dataProviderId: node.dataProviderId,
    dataConsumerId: node.dataConsumerId,
  };
}
