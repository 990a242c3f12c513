import type { FleetApi } from '@fleet/api-client';
import type { Geofence } from '@fleet/contracts';
import { useQuery } from '@tanstack/react-query';
import { keyOf } from '../data/api';
import { useApi } from '../session/context';

/** The most geofences the API lists per page. */
const PAGE = 500;

/** Every geofence of the organization, page by page (a large organization has more than one page). */
export async function allGeofences(api: FleetApi): Promise<Geofence[]> {
  const items: Geofence[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.listGeofences({ query: { limit: PAGE, offset } });
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) return items;
  }
}

/**
 * Every geofence, cached under the list endpoint's name: a write declared with
 * `invalidates: ['listGeofences']` refreshes the geofences page and the names events show.
 */
export function useGeofences() {
  const api = useApi();
  return useQuery({ queryKey: [...keyOf('listGeofences'), 'all'], queryFn: () => allGeofences(api) });
}
