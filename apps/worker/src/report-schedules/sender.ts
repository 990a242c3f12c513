import { MAX_REPORT_VEHICLES, type ReportKind, type ReportLanguage } from '@fleet/contracts';
import { vehiclesInGroups, vehiclesVisibleTo, type Pool } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import { DeliveryError, retryDelayMs, type EmailChannel, type RetryPolicy } from '@fleet/notify';
import type { Places } from '@fleet/places';
import { renderCsv, renderPdf, reportEmailText, reportFileName, ReportReader } from '@fleet/reports';
import { claimDue, MAX_ERROR_LENGTH } from '../deliveries/lease';
import { startLeaseLoop, type LeaseLoop } from '../deliveries/loop';
import type { reportRunMetrics } from './scheduler';

export interface ReportRunSenderOptions {
  pool: Pool;
  logger: Logger;
  /** Places of stops, trips' ends and events (offline fallback unless a geocoder is configured). */
  places: Places;
  /** The SMTP channel; without it a run fails for good ("SMTP is not configured"). */
  email: EmailChannel | undefined;
  metrics: ReturnType<typeof reportRunMetrics>;
  /** Runs in flight at once (each reads its vehicles' periods and renders a PDF). */
  concurrency: number;
  pollMs: number;
  /**
   * How long a claimed run is this worker's: reading, rendering and sending must end within it, or
   * another worker takes the run again (and the e-mail could go twice).
   */
  leaseMs: number;
  policy: RetryPolicy;
}

interface Claimed {
  id: string;
  attempts: number;
  period_from: Date;
  period_to: Date;
  schedule_id: string;
  organization_id: string;
  name: string;
  kind: ReportKind;
  vehicle_ids: string[];
  group_ids: string[];
  recipients: string[];
  time_zone: string;
  language: ReportLanguage;
  enabled: boolean;
  user_id: string;
  user_disabled: boolean;
}

/**
 * Claims due runs as leases (deliveries/lease): the attempt is counted at the claim, so a worker dying
 * mid-send still spends one. Hand-written: lock, lease and read of the schedule in one statement.
 */
const CLAIM = `${claimDue(
  'report_runs',
  'pending',
  'attempts = d.attempts + 1',
  'd.id, d.schedule_id, d.period_from, d.period_to, d.attempts',
)}
SELECT c.id::text AS id, c.attempts, c.period_from, c.period_to, c.schedule_id, s.organization_id, s.name, s.kind,
       s.vehicle_ids::text[] AS vehicle_ids, s.group_ids::text[] AS group_ids, s.recipients, s.time_zone, s.language,
       s.enabled, s.user_id::text AS user_id, u.disabled_at IS NOT NULL AS user_disabled
FROM claimed c
JOIN report_schedules s ON s.id = c.schedule_id
JOIN users u ON u.id = s.user_id`;

/**
 * Records the outcome on the run and on its schedule (the last run shown in its list), unless the
 * lease expired and the run was claimed again (`attempts = $2`). Hand-written: two UPDATEs in a CTE.
 */
const FINISH = `
WITH r AS (
  UPDATE report_runs
  SET status = $3, error = $4,
      sent_at = CASE WHEN $3 = 'sent' THEN now() END,
      next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + $5::integer * interval '1 millisecond'
                             ELSE next_attempt_at END
  WHERE id = $1::bigint AND attempts = $2 AND status = 'pending'
  RETURNING schedule_id
)
UPDATE report_schedules s
SET last_run_at = now(), last_status = CASE WHEN $3 = 'pending' THEN 'failed' ELSE $3 END, last_error = $4
FROM r WHERE s.id = r.schedule_id`;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

type Outcome =
  { status: 'sent' } | { status: 'pending'; error: string; retryInMs: number } | { status: 'failed'; error: string };

/**
 * Sends the queued runs of scheduled reports: each run's vehicles (its own and its groups', as they
 * are now) over its period, in its schedule's language and time zone, as one e-mail with the PDF and
 * the CSV attached. A run is sent at most once per lease: another worker skips it while claimed, and
 * a finish after the lease was taken over is ignored.
 */
export function startReportRunSender(o: ReportRunSenderOptions): LeaseLoop {
  const reader = new ReportReader({ pool: o.pool, places: o.places });

  /**
   * The schedule's vehicles that still exist in the organization, with their groups' expanded, and
   * only those its owner may see now (a user limited to vehicle groups, or limited since): an events
   * report of "every vehicle" is then every vehicle of their groups, never the whole organization.
   */
  async function vehiclesOf(c: Claimed): Promise<{ ids: string[]; limited: boolean }> {
    let ids = [...new Set([...c.vehicle_ids, ...(await vehiclesInGroups(o.pool, c.organization_id, c.group_ids))])];
    const visible = await vehiclesVisibleTo(o.pool, c.user_id);
    if (visible) {
      const allowed = new Set(visible);
      ids = (ids.length || c.kind !== 'events' ? ids : visible).filter((id) => allowed.has(id));
    }
    const names = await reader.vehicleNames(c.organization_id, ids);
    return { ids: ids.filter((id) => names.has(id)), limited: visible !== null };
  }

  async function attempt(c: Claimed): Promise<Outcome> {
    if (!c.enabled) return { status: 'failed', error: 'schedule disabled' };
    if (c.user_disabled) return { status: 'failed', error: 'the schedule’s owner is disabled' };
    if (!o.email) return { status: 'failed', error: 'SMTP is not configured (SMTP_HOST)' };
    const { ids: vehicleIds, limited } = await vehiclesOf(c);
    // No vehicle means the whole organization only for an events report of an owner who sees it all.
    if (vehicleIds.length === 0 && (c.kind !== 'events' || limited))
      return {
        status: 'failed',
        error: limited
          ? 'none of the schedule’s vehicles is within its owner’s vehicle groups'
          : 'none of the schedule’s vehicles exists any more',
      };
    if (
      vehicleIds.length > MAX_REPORT_VEHICLES &&
      !(c.kind === 'events' && c.vehicle_ids.length + c.group_ids.length === 0)
    )
      return {
        status: 'failed',
        error: `${vehicleIds.length} vehicles in the schedule and its groups; a report covers at most ${MAX_REPORT_VEHICLES}`,
      };
    const data = await reader.data(c.organization_id, {
      kind: c.kind,
      vehicleIds,
      period: { from: c.period_from, to: c.period_to },
      charts: true,
    });
    const options = { lang: c.language, timeZone: c.time_zone };
    const file = (extension: 'pdf' | 'csv') =>
      reportFileName(c.kind, data.header, { timeZone: c.time_zone, extension });
    const { subject, text } = reportEmailText({ name: c.name, kind: c.kind, ...data.header }, options);
    try {
      await o.email.send({
        to: c.recipients,
        subject,
        text,
        attachments: [
          { filename: file('pdf'), content: await renderPdf(data, options), contentType: 'application/pdf' },
          // With a byte order mark: Excel reads the accents of names right.
          {
            filename: file('csv'),
            content: Buffer.from(renderCsv(data, { ...options, bom: true }), 'utf8'),
            contentType: 'text/csv; charset=utf-8',
          },
        ],
        // The same Message-ID on every attempt of the run.
        idempotencyKey: `report-run:${c.id}`,
      });
      return { status: 'sent' };
    } catch (err) {
      const failure = err instanceof DeliveryError ? err : { kind: 'transient' as const, code: 'error' };
      const error = `${failure.code}: ${messageOf(err)}`;
      const retryInMs = retryDelayMs(c.attempts, failure, o.policy);
      if (retryInMs === null)
        return {
          status: 'failed',
          error: `${error} (gave up after ${c.attempts} attempt${c.attempts > 1 ? 's' : ''})`,
        };
      return { status: 'pending', error, retryInMs };
    }
  }

  async function handle(c: Claimed): Promise<void> {
    let outcome: Outcome;
    // Claimed this often without an outcome recorded: the attempts died with their worker.
    if (c.attempts > o.policy.maxAttempts)
      outcome = { status: 'failed', error: `gave up after ${c.attempts - 1} attempts without an outcome` };
    else {
      try {
        outcome = await attempt(c);
      } catch (err) {
        // Reading or rendering failed (the database, a bug): retried like a transient send failure.
        const retryInMs = retryDelayMs(c.attempts, { kind: 'transient' }, o.policy);
        const error = `report: ${messageOf(err)}`;
        outcome = retryInMs === null ? { status: 'failed', error } : { status: 'pending', error, retryInMs };
      }
    }
    const error = outcome.status === 'sent' ? null : outcome.error.slice(0, MAX_ERROR_LENGTH);
    await o.pool.query(FINISH, [
      c.id,
      c.attempts,
      outcome.status,
      error,
      outcome.status === 'pending' ? outcome.retryInMs : 0,
    ]);
    o.metrics.runs.inc({ status: outcome.status === 'pending' ? 'retry' : outcome.status });
    if (outcome.status === 'failed') o.logger.warn('scheduled report failed for good', { runId: c.id, error });
    else if (outcome.status === 'pending') o.logger.info('scheduled report will be retried', { runId: c.id, error });
  }

  return startLeaseLoop<Claimed>({
    name: 'report run',
    logger: o.logger,
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    claim: async (limit) => (await o.pool.query<Claimed>(CLAIM, [limit, o.leaseMs])).rows,
    handle,
    describe: (c) => ({ runId: c.id }),
  });
}
