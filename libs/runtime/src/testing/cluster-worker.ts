// A forked worker for cluster.spec.ts (run with tsx): reports its role, pid and V8 heap limit, and
// serves one gauge so the primary's sum of the workers' metrics can be checked. While the file named
// by FIXTURE_HOLD_FILE exists, a worker stays as one still loading its code: forked, not yet running
// runClusterWorker (so it answers no message from the primary).
import { existsSync } from 'node:fs';
import v8 from 'node:v8';
import client from 'prom-client';
import { runClusterWorker } from '../cluster';

function run() {
  runClusterWorker(
    async (role) => {
      const registry = new client.Registry();
      new client.Gauge({ name: 'fixture_up', help: 'Fixture workers up', registers: [registry] }).set(1);
      const heapLimitMb = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
      return { registry, info: { role, pid: process.pid, heapLimitMb }, stop: async () => undefined };
    },
    () => undefined,
  );
}

const hold = process.env['FIXTURE_HOLD_FILE'];
if (hold && existsSync(hold)) {
  const wait = setInterval(() => {
    if (existsSync(hold)) return;
    clearInterval(wait);
    run();
  }, 50);
} else {
  run();
}
