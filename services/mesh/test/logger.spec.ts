// Log lines are buffered for throughput, but a quiet process must not hold its last lines back:
// an operator tailing the logs sees them within about a second.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./fixtures/quiet-logger.ts', import.meta.url));

describe('process logger', () => {
  it('writes out a quiet process’s lines without waiting for more, or for exit', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      expect(JSON.parse(line)).to.include({ service: 'quiet', msg: 'the only line', level: 30 });
      expect(child.exitCode).to.equal(null);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
