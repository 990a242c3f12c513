/** `datetime-local` input values (local time, minutes) and ISO conversions for the period forms. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const toIso = (local: string) => new Date(local).toISOString();

export type Preset = 'today' | 'yesterday' | 'last7';

/** A preset period in local time: today so far, the whole of yesterday, the last seven days. */
export function presetPeriod(preset: Preset, now = Date.now()): { from: string; to: string } {
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const day = 86_400_000;
  switch (preset) {
    case 'today':
      return { from: toLocalInput(midnight.getTime()), to: toLocalInput(now) };
    case 'yesterday':
      return { from: toLocalInput(midnight.getTime() - day), to: toLocalInput(midnight.getTime()) };
    case 'last7':
      return { from: toLocalInput(midnight.getTime() - 6 * day), to: toLocalInput(now) };
  }
}
