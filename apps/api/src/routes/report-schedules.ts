import { REPORT_SCHEDULES_ENDPOINTS as E } from '@fleet/contracts';
import type { VehicleScope } from '../groups/scope';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { ReportSchedules } from '../report-schedules/report-schedules';

/** Every role may schedule the reports it may download; each user manages their own schedules. */
export function reportScheduleRoutes(deps: { schedules: ReportSchedules; auth: Authenticators }) {
  const { schedules } = deps;
  // The caller's own rows; the vehicles and groups they name are checked against the caller's scope.
  const owner = ({ caller, scope }: { caller: { org: string; sub: string }; scope: VehicleScope }) => ({
    org: caller.org,
    user: caller.sub,
    scope,
  });
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listReportSchedules, async (_req, ctx) => schedules.list(owner(ctx)))
    .serve(E.createReportSchedule, async ({ body }, ctx) => schedules.create(owner(ctx), body))
    .serve(E.getReportSchedule, async ({ params }, ctx) => schedules.get(owner(ctx), params.id))
    .serve(E.updateReportSchedule, async ({ params, body }, ctx) => schedules.update(owner(ctx), params.id, body))
    .serve(E.deleteReportSchedule, async ({ params }, ctx) => schedules.remove(owner(ctx), params.id))
    .serve(E.runReportSchedule, async ({ params }, ctx) => schedules.runNow(owner(ctx), params.id))
    .serve(E.listReportRuns, async ({ params, query }, ctx) => schedules.runs(owner(ctx), params.id, query)).router;
}
