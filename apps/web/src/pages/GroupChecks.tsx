import { useId } from 'react';
import { useApiQuery } from '../data/api';

/**
 * A checkbox per vehicle group the user may see (indented by depth: a depot under its region), for
 * forms that cover vehicles "or groups"; nothing when there are no groups.
 */
export function GroupChecks({
  legend,
  value,
  onChange,
}: {
  legend: string;
  value: readonly string[];
  onChange: (groupIds: string[]) => void;
}) {
  const base = useId();
  const groups = useApiQuery('listGroups', undefined, { staleTime: 60_000 });
  const items = groups.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <fieldset className="wide">
      <legend>{legend}</legend>
      {items.map((g) => (
        <span key={g.id} className="check">
          <input
            id={`${base}-g-${g.id}`}
            type="checkbox"
            checked={value.includes(g.id)}
            onChange={(e) => onChange(e.target.checked ? [...value, g.id] : value.filter((x) => x !== g.id))}
          />
          <label htmlFor={`${base}-g-${g.id}`}>{`${'— '.repeat(g.depth)}${g.name}`}</label>
        </span>
      ))}
    </fieldset>
  );
}
