import { REPORTS_ENDPOINTS as E } from '@fleet/contracts';
import type { Response } from 'express';
import { EndpointRouter, STREAMED, type Authenticators } from '../http/serve';
import type { ReportFile, ReportFiles } from '../reports/report-files';

/** Report files (PDF, CSV) to download; every role of the organization may read them, like the JSON reports. */
export function reportRoutes(deps: { reportFiles: ReportFiles; auth: Authenticators }) {
  const { reportFiles } = deps;
  return new EndpointRouter('/api/v1', deps.auth)
    .serve(E.reportPdf, async ({ params, query }, { scope, res }) =>
      sendFile(res, await reportFiles.file(scope, params.kind, query, 'pdf')),
    )
    .serve(E.reportCsv, async ({ params, query }, { scope, res }) =>
      sendFile(res, await reportFiles.file(scope, params.kind, query, 'csv')),
    ).router;
}

function sendFile(res: Response, file: ReportFile): typeof STREAMED {
  res
    .status(200)
    .setHeader('Content-Type', file.contentType)
    .setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`)
    .setHeader('Cache-Control', 'no-store')
    .end(file.body);
  return STREAMED;
}
