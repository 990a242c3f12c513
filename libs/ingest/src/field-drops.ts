import client from 'prom-client';
import type { FieldProblem } from './storable-fix';

const NAME = 'positions_fields_dropped_total';

/**
 * Counts fields left out of accepted fixes (a value storage cannot hold, from a protocol whose
 * clients would resend the same point forever if refused), by protocol, stored field and reason.
 * One counter per registry: the main app and the OsmAnd port share it.
 */
export class FieldDrops {
  private readonly counter: client.Counter<'protocol' | 'field' | 'reason'>;

  constructor(registry: client.Registry) {
    this.counter =
      (registry.getSingleMetric(NAME) as client.Counter<'protocol' | 'field' | 'reason'> | undefined) ??
      new client.Counter({
        name: NAME,
        help: 'Fields left out of accepted positions because storage cannot hold them, by protocol, field and reason',
        labelNames: ['protocol', 'field', 'reason'],
        registers: [registry],
      });
  }

  record(protocol: string, problems: readonly FieldProblem[]): void {
    for (const { field, reason } of problems) this.counter.inc({ protocol, field, reason });
  }
}
