// The mesh's TLS floor is 1.2 even when a process is started with a lower one (a NODE_OPTIONS
// flag, an old default): importing the TLS module pins it.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('TLS floor', () => {
  it('pins TLS 1.2 in a process started with --tls-min-v1.0', async () => {
    const probe = [
      "const { default: tls } = await import('node:tls');",
      'const before = tls.DEFAULT_MIN_VERSION;',
      "await import('./services/mesh/src/tls.ts');",
      'console.log(JSON.stringify([before, tls.DEFAULT_MIN_VERSION]));',
    ].join(' ');
    const { stdout } = await run(process.execPath, [
      '--tls-min-v1.0',
      '--import',
      'tsx',
      '--input-type=module',
      '--eval',
      probe,
    ]);
    expect(JSON.parse(stdout)).to.deep.equal(['TLSv1', 'TLSv1.2']);
  });
});
