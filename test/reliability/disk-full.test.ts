// A spool disk that fills up under load: 451 4.3.0 while full, service again when space returns, nothing lost or half-written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TmpfsUnavailable, canMountTmpfs, runDiskFullScenario, type DiskFigures } from './disk-scenario.js';

test('a spool tmpfs filling up under load answers 451 4.3.0, recovers when space returns, and loses nothing acknowledged', { timeout: 120_000 }, async (t) => {
  const why = canMountTmpfs();
  if (why) return t.skip(why);
  let f: DiskFigures;
  try {
    f = await runDiskFullScenario({ cycles: 1, messages: 400, sessions: 20, tmpfsMB: 16, leaveBytes: 512 * 1024 });
  } catch (err) {
    if (err instanceof TmpfsUnavailable) return t.skip(err.message);
    throw err;
  }
  console.log(`disk full: ${f.acked} acked, ${f.refused451} x 451 4.3.0 in ${f.fullCycles}/${f.cycles} full phases, recovered ${f.recoveredCycles}/${f.cycles}, ${f.lost.length} lost, ${f.halfWritten.length} half-written, ${f.extraDelivered} unacknowledged delivered, pending after restart ${f.pendingAfterRestart}; errors ${JSON.stringify(f.errors)}`);
  assert.equal(f.fullCycles, f.cycles, 'the load never saw the disk full');
  assert.equal(f.recoveredCycles, f.cycles);
  assert.deepEqual(f.lost, []);
  assert.deepEqual(f.halfWritten, []);
  assert.equal(f.extraDelivered, 0);
  assert.equal(f.pendingAfterRestart, 0);
  assert.equal(f.exitCode, 0);
  assert.deepEqual(Object.keys(f.errors).filter((k) => k !== '451'), []);
});
