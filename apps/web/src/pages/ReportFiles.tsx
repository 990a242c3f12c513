import type { ReportKind } from '@fleet/contracts';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { SelectField } from '../components/Field';
import { ErrorBanner } from '../data/ErrorBanner';
import { useApi } from '../session/context';
import { GroupFilter } from './GroupFilter';

const KINDS: readonly ReportKind[] = ['trips', 'stops', 'summary', 'events', 'maintenance'];

/**
 * The report of a vehicle and period as a file (PDF or CSV) made by the API, in the interface's
 * language and the browser's time zone: the same file a scheduled report sends. With a group chosen,
 * the report covers that group's vehicles (and those of the groups below it) instead.
 */
export function ReportFiles({ vehicleId, from, to }: { vehicleId: string; from: string; to: string }) {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const [kind, setKind] = useState<ReportKind>('trips');
  const [groupId, setGroupId] = useState('');
  const download = useMutation({
    mutationFn: async (format: 'pdf' | 'csv') => {
      const endpoint = format === 'pdf' ? api.endpoints.reportPdf : api.endpoints.reportCsv;
      const query = {
        ...(groupId ? { groupId } : { vehicleIds: vehicleId }),
        from,
        to,
        lang: i18n.language === 'es' ? ('es' as const) : ('en' as const),
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
        ...(format === 'csv' ? { bom: 'true' as const } : {}),
      };
      const blob = await api.download(endpoint, { params: { kind }, query });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${kind}_${from.slice(0, 10)}.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  });
  return (
    <>
      <ErrorBanner error={download.error} />
      <div className="row" data-testid="report-files">
        <SelectField label={t('reportFile.kind')} value={kind} onChange={(e) => setKind(e.target.value as ReportKind)}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`reportFile.kinds.${k}`)}
            </option>
          ))}
        </SelectField>
        <GroupFilter value={groupId} onChange={setGroupId} emptyLabel={t('groups.thisVehicle')} />
        <button type="button" disabled={download.isPending} onClick={() => download.mutate('pdf')}>
          {t('reportFile.pdf')}
        </button>
        <button type="button" disabled={download.isPending} onClick={() => download.mutate('csv')}>
          {t('reportFile.csv')}
        </button>
      </div>
    </>
  );
}
