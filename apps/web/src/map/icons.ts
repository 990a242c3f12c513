import L from 'leaflet';
import type { VehicleStatus } from '../live/status';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A vehicle marker: an arrow pointing where it heads (a dot when the heading is unknown), coloured by
 * status via its CSS class; offline ones are also dashed and faded, so colour is not the only cue.
 */
export function vehicleIcon(vehicleId: string, status: VehicleStatus, heading: number | null, selected: boolean) {
  return L.divIcon({
    className: 'vehicle-marker',
    iconSize: [28, 28],
    iconAnchor: [14, 14],
    html: `<div class="vm ${vehicleClasses(status, heading, selected)}" data-vehicle-id="${escape(vehicleId)}" style="${arrowStyle(heading)}"></div>`,
  });
}

export const vehicleClasses = (status: VehicleStatus, heading: number | null, selected: boolean) =>
  `vm--${status}${heading === null ? ' vm--noheading' : ''}${selected ? ' vm--selected' : ''}`;

/** In 5° steps: finer is invisible on a 28 px arrow, and every change is a DOM write per marker. */
export const arrowStyle = (heading: number | null) => `--heading:${Math.round((heading ?? 0) / 5) * 5}deg`;

/** A cluster: its size, and a ring showing the share of moving / stopped / offline vehicles. */
export function clusterIcon(count: number, moving: number, stopped: number) {
  const size = count < 10 ? 34 : count < 100 ? 40 : count < 1000 ? 48 : 56;
  const m = (moving / count) * 100;
  const s = m + (stopped / count) * 100;
  const ring = `conic-gradient(var(--moving) 0 ${m}%, var(--stopped) ${m}% ${s}%, var(--offline) ${s}% 100%)`;
  return L.divIcon({
    className: 'cluster-marker',
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
    html: `<div class="cluster" style="background:${ring}"><span>${count}</span></div>`,
  });
}

export function pointIcon(className: string, label = '') {
  return L.divIcon({ className: `point-marker ${className}`, iconSize: [16, 16], iconAnchor: [8, 8], html: label });
}
