import { REPORT_SCHEDULES_ENDPOINTS as E } from '@fleet/contracts';
import { EndpointRouter, type Authenticators } from '../http/serve';
import type { ReportSchedules } from '../report-schedules/report-schedules';

/** Every role may schedule the reports it may download; each user manages their own schedules. */
export function reportScheduleRoutes(deps: { schedules: ReportSchedules; auth: Authenticators }) {
  const { schedules } = deps;
  const owner = (caller: { org: string; sub: string }) => ({ org: caller.org, user: caller.sub });
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.listReportSchedules, async (_req, { caller }) => schedules.list(owner(caller)))
    .serve(E.createReportSchedule, async ({ body }, { caller }) => schedules.create(owner(caller), body))
    .serve(E.getReportSchedule, async ({ params }, { caller }) => schedules.get(owner(caller), params.id))
    .serve(E.updateReportSchedule, async ({ params, body }, { caller }) =>
      schedules.update(owner(caller), params.id, body),
    )
    .serve(E.deleteReportSchedule, async ({ params }, { caller }) => schedules.remove(owner(caller), params.id))
    .serve(E.runReportSchedule, async ({ params }, { caller }) => schedules.runNow(owner(caller), params.id))
    .serve(E.listReportRuns, async ({ params, query }, { caller }) => schedules.runs(owner(caller), params.id, query))
    .router;
}
