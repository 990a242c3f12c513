import { indexAt, INTERPOLATE_MAX_GAP_MS, type Track } from './track';

export const SPEEDS = [1, 2, 4, 8, 16, 32, 64] as const;
export type ReplaySpeed = (typeof SPEEDS)[number];

export interface ReplayState {
  startMs: number;
  endMs: number;
  cursorMs: number;
  playing: boolean;
  speed: ReplaySpeed;
  /** Jump over stretches without fixes (a parked night) instead of playing through them. */
  skipGaps: boolean;
}

export type ReplayAction =
  | { type: 'load'; startMs: number; endMs: number }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'toggle' }
  | { type: 'speed'; speed: ReplaySpeed }
  | { type: 'faster' }
  | { type: 'slower' }
  | { type: 'seek'; ms: number }
  | { type: 'step'; deltaMs: number }
  | { type: 'skipGaps'; value: boolean };

export const initialReplay: ReplayState = {
  startMs: 0,
  endMs: 0,
  cursorMs: 0,
  playing: false,
  speed: 1,
  skipGaps: true,
};

const clamp = (s: ReplayState, ms: number) => Math.min(Math.max(ms, s.startMs), s.endMs);

export function replayReducer(s: ReplayState, a: ReplayAction): ReplayState {
  switch (a.type) {
    case 'load':
      return { ...s, startMs: a.startMs, endMs: Math.max(a.startMs, a.endMs), cursorMs: a.startMs, playing: false };
    case 'play':
      // Play at the end starts over, as every media player does.
      return { ...s, playing: s.endMs > s.startMs, cursorMs: s.cursorMs >= s.endMs ? s.startMs : s.cursorMs };
    case 'pause':
      return { ...s, playing: false };
    case 'toggle':
      return replayReducer(s, { type: s.playing ? 'pause' : 'play' });
    case 'speed':
      return { ...s, speed: a.speed };
    case 'faster':
    case 'slower': {
      const i = SPEEDS.indexOf(s.speed) + (a.type === 'faster' ? 1 : -1);
      return { ...s, speed: SPEEDS[Math.min(Math.max(i, 0), SPEEDS.length - 1)] };
    }
    case 'seek':
      return { ...s, cursorMs: clamp(s, a.ms) };
    case 'step':
      return { ...s, cursorMs: clamp(s, s.cursorMs + a.deltaMs) };
    case 'skipGaps':
      return { ...s, skipGaps: a.value };
  }
}

/**
 * The clock's advance for `elapsedMs` of real time: the cursor moves `speed` times as fast; inside a
 * gap between fixes (longer than the interpolation limit) it jumps to the next fix when `skipGaps`;
 * at the end, playing stops.
 */
export function advance(s: ReplayState, elapsedMs: number, track?: Track): ReplayState {
  if (!s.playing) return s;
  let cursor = s.cursorMs + Math.max(0, elapsedMs) * s.speed;
  if (s.skipGaps && track && track.length > 1) {
    const i = indexAt(track, cursor);
    const next = i + 1 < track.length ? track.t[i + 1] : undefined;
    if (next !== undefined && cursor > track.t[i] && next - track.t[i] > INTERPOLATE_MAX_GAP_MS) cursor = next;
  }
  if (cursor >= s.endMs) return { ...s, cursorMs: s.endMs, playing: false };
  return { ...s, cursorMs: cursor };
}
