import { useTranslation } from 'react-i18next';

/** One page of a list the API serves by `limit` and `offset`, as its answer states it. */
export interface PageInfo {
  total: number;
  limit: number;
  offset: number;
}

/** "1–50 of 1 234" with previous and next; nothing when everything fits on one page. */
export function Pager({ page, onOffset }: { page: PageInfo | undefined; onOffset: (offset: number) => void }) {
  const { t } = useTranslation();
  if (!page || (page.offset === 0 && page.total <= page.limit)) return null;
  const last = Math.min(page.offset + page.limit, page.total);
  return (
    <nav className="row pager" aria-label={t('common.pages')}>
      <button
        type="button"
        disabled={page.offset === 0}
        onClick={() => onOffset(Math.max(0, page.offset - page.limit))}
      >
        {t('common.previous')}
      </button>
      <span role="status">{t('common.pageRange', { from: page.offset + 1, to: last, total: page.total })}</span>
      <button type="button" disabled={last >= page.total} onClick={() => onOffset(page.offset + page.limit)}>
        {t('common.next')}
      </button>
    </nav>
  );
}
