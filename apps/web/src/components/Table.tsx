import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export interface Column<T> {
  /** The header; `null` for the actions column (named for screen readers only). */
  header: ReactNode | null;
  cell: (row: T) => ReactNode;
  className?: string;
}

/** A scrollable table of rows, one column definition per column. */
export function Table<T>({
  columns,
  rows,
  rowKey,
  caption,
  testId,
  isCurrent,
}: {
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  caption?: string;
  testId?: string;
  /** The row to point out (`aria-current`), e.g. the one a link opened. */
  isCurrent?: (row: T) => boolean;
}) {
  const { t } = useTranslation();
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        {caption && <caption className="visually-hidden">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th scope="col" key={i}>
                {c.header ?? <span className="visually-hidden">{t('admin.actions')}</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} aria-current={isCurrent?.(row) || undefined}>
              {columns.map((c, i) => (
                <td key={i} className={c.className}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
