// Log lines are buffered for throughput, but a quiet process must not hold its last lines back:
// an operator tailing the logs sees them within about a second.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { devNull } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ChunkedLogWriter } from '../src/logger.js';

const fixture = fileURLToPath(new URL('./fixtures/quiet-logger.ts', import.meta.url));
const burstFixture = fileURLToPath(new URL('./fixtures/burst-logger.ts', import.meta.url));

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

  it('writes every line of a burst, in order, including the partial chunk left at exit', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', burstFixture], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const indexes: number[] = [];
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      indexes.push((JSON.parse(line) as { index: number }).index);
    });
    // 'close': the process has exited and its stdout has ended.
    const [code] = (await once(child, 'close')) as [number];
    expect(code).to.equal(0);
    expect(indexes).to.deep.equal(Array.from({ length: 1_000 }, (_, index) => index));
  });

  it('drops lines it cannot write instead of failing the call that logged them', async () => {
    // A file descriptor that is no longer open: every write of it fails (EBADF), as one to a
    // stdout nobody reads any more would (EPIPE).
    const fd = openSync(devNull, 'w');
    closeSync(fd);
    const writer = new ChunkedLogWriter(fd);
    const line = `${'x'.repeat(99)}\n`;
    expect(() => {
      for (let index = 0; index < 100; index += 1) writer.write(line);
    }).not.to.throw();
    writer.write(line);
    const flushed = await new Promise<Error | undefined>((resolve) => {
      writer.flush(resolve);
    });
    expect(flushed).to.equal(undefined);
  });
});
