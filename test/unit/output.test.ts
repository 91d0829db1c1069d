/**
 * The tool writes its output straight to descriptors 1 and 2
 * (src/startup/output.ts) and makes Node's stream only when a direct write
 * cannot finish. Real descriptors here: a file, and a FIFO opened
 * non-blocking, which answers EAGAIN once its buffer is full.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { directWriter } from '../../src/startup/output.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();

describe('directWriter', () => {
  it('writes straight to the descriptor, in order, and never makes the stream', () => {
    const file = join(tempDir(), 'out.txt');
    const fd = openSync(file, 'w');
    try {
      const write = directWriter(fd, () => {
        throw new Error('the stream was made');
      });
      write('first line\n');
      write('zweite Zeile: ü, 日本\n');
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('first line\nzweite Zeile: ü, 日本\n');
  });

  it('a descriptor that would block hands the rest to the stream, which then takes every later write, nothing lost or reordered', () => {
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    // Both ends non-blocking: the write end answers EAGAIN once the pipe's buffer (64 KiB on Linux) is full.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const stream = new PassThrough();
    const taken: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => taken.push(chunk));
    let made = 0;
    try {
      const write = directWriter(writer, () => {
        made++;
        return stream;
      });
      const big = Array.from({ length: 4000 }, (_, i) => `line ${i} ${'x'.repeat(40)}\n`).join(''); // about 200 KiB
      write(big);
      write('after\n');
      expect(made).toBe(1);
      // What reached the pipe, then what the stream took: together, exactly what was written.
      const direct: Buffer[] = [];
      const chunk = Buffer.alloc(65536);
      for (;;) {
        let n = 0;
        try {
          n = readSync(reader, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw err;
        }
        if (n === 0) break;
        direct.push(Buffer.from(chunk.subarray(0, n)));
      }
      const viaPipe = Buffer.concat(direct).toString('utf8');
      expect(viaPipe.length).toBeGreaterThan(0);
      expect(viaPipe.length).toBeLessThan(big.length);
      expect(viaPipe + Buffer.concat(taken).toString('utf8')).toBe(`${big}after\n`);
    } finally {
      closeSync(writer);
      closeSync(reader);
    }
  });
});
