// Disk full soak: DISK_CYCLES (default 10) fill/free cycles of 2,000 messages each on a 128 MB tmpfs data folder (spool and event log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TmpfsUnavailable, canMountTmpfs, runDiskFullScenario, type DiskFigures } from '../test/reliability/disk-scenario.js';

const CYCLES = Number(process.env['DISK_CYCLES'] ?? 10);

test(`${CYCLES} disk-full cycles under load: 451 4.3.0 while full, recovery, nothing lost or half-written`, { timeout: 30 * 60_000 }, async (t) => {
  const why = canMountTmpfs();
  if (why) return t.skip(why);
  let f: DiskFigures;
  try {
    f = await runDiskFullScenario({ cycles: CYCLES, messages: 2000, sessions: 20, tmpfsMB: 128, leaveBytes: 1024 * 1024, progress: (l) => console.log(l) });
  } catch (err) {
    if (err instanceof TmpfsUnavailable) return t.skip(err.message);
    throw err;
  }
  console.log(`disk-soak: ${f.acked} acked, ${f.refused451} x 451 4.3.0 in ${f.fullCycles}/${f.cycles} full phases, recovered ${f.recoveredCycles}/${f.cycles}, ${f.lost.length} lost, ${f.halfWritten.length} half-written, ${f.extraDelivered} unacknowledged delivered, pending after restart ${f.pendingAfterRestart}; errors ${JSON.stringify(f.errors)}`);
  assert.equal(f.fullCycles, f.cycles);
  assert.equal(f.recoveredCycles, f.cycles);
  assert.deepEqual(f.lost, []);
  assert.deepEqual(f.halfWritten, []);
  assert.equal(f.extraDelivered, 0);
  assert.equal(f.pendingAfterRestart, 0);
  assert.equal(f.exitCode, 0);
});
