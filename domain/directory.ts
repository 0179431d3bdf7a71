import { z } from 'zod';

/**
 * The dataspace's directory service as every member holds it (the government paper's directory):
 * which DVCT instance serves which participant, where it is reached and which key signs its
 * requests. Pure: the API, the worker and the workflows' inputs all read it the same way.
 */
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

export const directorySchema = z
  .object({
    instances: z
      .array(
        z
          .object({
            instanceId: z.string().min(1).max(128),
            url: z.url().transform((u) => u.replace(/\/+$/, '')),
            signerAddress: address,
            participants: z.array(z.string().min(1).max(128)),
          })
          .strict(),
      )
      .min(1),
  })
  .strict()
  .superRefine((d, ctx) => {
    const seen = new Map<string, string>();
    d.instances.forEach((instance, i) => {
      if (d.instances.findIndex((o) => o.instanceId === instance.instanceId) !== i) {
        ctx.addIssue({ code: 'custom', path: ['instances', i, 'instanceId'], message: `instance ${instance.instanceId} is listed twice` });
      }
      for (const participant of instance.participants) {
        const other = seen.get(participant);
        if (other !== undefined && other !== instance.instanceId) {
          ctx.addIssue({ code: 'custom', path: ['instances', i, 'participants'], message: `participant ${participant} is served by both ${other} and ${instance.instanceId}` });
        }
        seen.set(participant, instance.instanceId);
      }
    });
  });

export type DirectoryEntry = z.infer<typeof directorySchema>['instances'][number];

export interface Directory {
  /** This instance's id. */
  self: string;
  entries: DirectoryEntry[];
  instance(instanceId: string): DirectoryEntry | undefined;
  /** The instance serving a participant; undefined when no instance lists it. */
  instanceServing(participantId: string): DirectoryEntry | undefined;
}

export class DirectoryError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid directory:\n  ${issues.join('\n  ')}`);
    this.name = 'DirectoryError';
  }
}

/**
 * Parses a directory and checks that this instance's own entry is what it is: its id, the URL it
 * is reached at and its signer's address (when the process holds the signer). A member listed under another key would have every
 * signed request it sends refused, so this refuses to start instead.
 */
export function parseDirectory(raw: unknown, self: { instanceId: string; publicUrl: string; signerAddress: string | undefined }): Directory {
  const parsed = directorySchema.safeParse(raw);
  if (!parsed.success) throw new DirectoryError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  const entries = parsed.data.instances;
  const own = entries.find((e) => e.instanceId === self.instanceId);
  const issues: string[] = [];
  if (!own) issues.push(`no entry for this instance (${self.instanceId})`);
  else {
    if (own.url !== self.publicUrl.replace(/\/+$/, '')) issues.push(`${self.instanceId}'s url is ${own.url}, but DVCT_PUBLIC_URL is ${self.publicUrl}`);
    // Only a process holding the signer key can check this: the worker, and the API when a directory makes it load the key.
    if (self.signerAddress !== undefined && own.signerAddress.toLowerCase() !== self.signerAddress.toLowerCase()) {
      issues.push(`${self.instanceId}'s signerAddress is ${own.signerAddress}, but the chain signer is ${self.signerAddress}`);
    }
  }
  if (issues.length > 0) throw new DirectoryError(issues);
  return directoryOf(self.instanceId, entries);
}

/** A directory of this instance alone: single-instance mode, every node is homed here. */
export function soloDirectory(instanceId: string, publicUrl: string, signerAddress: string): Directory {
  return directoryOf(instanceId, [{ instanceId, url: publicUrl.replace(/\/+$/, ''), signerAddress, participants: [] }]);
}

function directoryOf(self: string, entries: DirectoryEntry[]): Directory {
  const byInstance = new Map(entries.map((e) => [e.instanceId, e]));
  const byParticipant = new Map(entries.flatMap((e) => e.participants.map((p) => [p, e] as const)));
  return {
    self,
    entries,
    instance: (id) => byInstance.get(id),
    instanceServing: (participantId) => byParticipant.get(participantId),
  };
}

/**
 * A node's home: the instance serving its owner. A node nobody owns yet (a bare prevDataId) or
 * whose owner no instance lists stays where it was first learnt of. null = this instance.
 */
export function homeInstanceOf(directory: Directory, ownerId: string | null, learntFrom: string = directory.self): string | null {
  const serving = ownerId === null ? undefined : directory.instanceServing(ownerId);
  const home = serving?.instanceId ?? learntFrom;
  return home === directory.self ? null : home;
}

/** Where a node's record lives: `<home url>/v1/nodes/<nodeId>`. */
export function nodeUrlAt(baseUrl: string, nodeId: string): string {
  return `${baseUrl}/v1/nodes/${encodeURIComponent(nodeId)}`;
}
