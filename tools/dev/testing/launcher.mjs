// A launcher for start.int-spec.ts: tools/dev/start.mjs's supervision (services.mjs) over two stand-in
// services, without the machine setup, migrations and real services (which use the shared PostgreSQL
// and Redis).
import path from 'node:path';
import { superviseServices } from '../services.mjs';

const services = superviseServices({ root: path.resolve(import.meta.dirname, '../../..') });
console.log(`launcher pid ${process.pid}`);
for (const name of ['one', 'two'])
  services.startService(name, [path.join(import.meta.dirname, 'service.mjs')], process.env, '1;32');
