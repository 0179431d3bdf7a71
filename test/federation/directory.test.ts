import { describe, expect, it } from 'vitest';
import { DirectoryError, homeInstanceOf, parseDirectory } from '../../domain/directory';

const A = '0x' + 'a'.repeat(40);
const B = '0x' + 'b'.repeat(40);
const file = {
  instances: [
    { instanceId: 'dvct-p1', url: 'http://p1.test/', signerAddress: A, participants: ['org-p1'] },
    { instanceId: 'dvct-c1', url: 'http://c1.test', signerAddress: B, participants: ['org-c1', 'org-o'] },
  ],
};
const self = { instanceId: 'dvct-p1', publicUrl: 'http://p1.test', signerAddress: A };

describe('the directory', () => {
  it('says which instance serves whom, and where a node is homed', () => {
    const d = parseDirectory(file, self);
    expect(d.instanceServing('org-c1')?.url).toBe('http://c1.test');
    expect(homeInstanceOf(d, 'org-p1')).toBeNull();
    expect(homeInstanceOf(d, 'org-c1')).toBe('dvct-c1');
    // Unknown owners stay where the node was first learnt of.
    expect(homeInstanceOf(d, null)).toBeNull();
    expect(homeInstanceOf(d, 'org-unlisted', 'dvct-c1')).toBe('dvct-c1');
  });

  it.each([
    ['another url', { ...self, publicUrl: 'http://elsewhere.test' }, /url is http:\/\/p1.test/],
    ['another signer', { ...self, signerAddress: B }, /signerAddress/],
    ['no own entry', { ...self, instanceId: 'dvct-x' }, /no entry for this instance/],
  ])('refuses to start with %s', (_, me, message) => {
    expect(() => parseDirectory(file, me)).toThrow(message);
  });

  it('refuses a participant served by two instances, unknown fields and bad addresses', () => {
    const twice = { instances: [file.instances[0], { ...file.instances[1], participants: ['org-p1'] }] };
    expect(() => parseDirectory(twice, self)).toThrow(/served by both/);
    expect(() => parseDirectory({ ...file, extra: 1 }, self)).toThrow(DirectoryError);
    expect(() => parseDirectory({ instances: [{ ...file.instances[0], signerAddress: '0x12' }] }, self)).toThrow(/20-byte/);
  });

  it('checks the signer only where the process holds it (the API does not)', () => {
    expect(parseDirectory(file, { ...self, signerAddress: undefined }).self).toBe('dvct-p1');
  });
});
