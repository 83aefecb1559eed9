import { TargetGuard } from './target-guard';

describe('TargetGuard', () => {
  const strict = new TargetGuard([]);

  it.each([
    ['93.184.216.34', true],
    ['2606:2800:220:1:248:1893:25c8:1946', true],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['192.168.1.1', false],
    ['127.0.0.1', false],
    ['::1', false],
    ['169.254.169.254', false],
    ['fe80::1', false],
    ['fd12:3456::1', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['::ffff:10.0.0.1', false], // an IPv4-mapped address is judged as the IPv4 one
    ['::ffff:93.184.216.34', true],
  ])('%s: may be targeted by default, %s', (address, ok) => {
    expect(strict.check(address).ok).toBe(ok);
  });

  it('allows the ranges configuration lists, never unspecified, broadcast or multicast', () => {
    const loopback = new TargetGuard(['loopback']);
    expect(loopback.check('127.0.0.1').ok).toBe(true);
    expect(loopback.check('::1').ok).toBe(true);
    expect(loopback.check('10.0.0.1')).toEqual({ ok: false, range: 'private' });
    const everything = new TargetGuard(['loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat']);
    expect(everything.check('0.0.0.0').ok).toBe(false);
    expect(everything.check('224.0.0.1').ok).toBe(false);
    expect(everything.check('169.254.169.254').ok).toBe(true);
  });

  it('refuses URLs that are not http(s), carry credentials or a fragment, or are too long', () => {
    expect(strict.parse('https://hooks.example.com/a?b=c').toString()).toBe('https://hooks.example.com/a?b=c');
    for (const bad of ['ftp://example.com/', 'https://u:p@example.com/', 'https://example.com/#x', 'example.com/hook', `https://example.com/${'a'.repeat(2050)}`]) {
      expect(() => strict.parse(bad)).toThrow(expect.objectContaining({ code: 'WEBHOOK.INVALID_URL' }));
    }
  });

  it('resolves a name and refuses it when any of its addresses is forbidden', async () => {
    await expect(strict.resolve(new URL('http://localhost/hook'))).rejects.toMatchObject({ code: 'WEBHOOK.TARGET_FORBIDDEN', details: { host: 'localhost', range: 'loopback' } });
    await expect(new TargetGuard(['loopback']).resolve(new URL('http://127.0.0.1:8080/hook'))).resolves.toEqual(['127.0.0.1']);
    await expect(strict.resolve(new URL('http://[fd00::1]/'))).rejects.toMatchObject({ code: 'WEBHOOK.TARGET_FORBIDDEN', details: { range: 'uniqueLocal' } });
    await expect(strict.resolve(new URL('http://no-such-host.invalid/'))).rejects.toMatchObject({ code: 'WEBHOOK.TARGET_UNRESOLVABLE' });
  });
});
