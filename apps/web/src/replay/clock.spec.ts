import { advance, initialReplay, replayReducer, SPEEDS, type ReplayAction, type ReplayState } from './clock';
import { readTrack } from './track';

const loaded = (startMs = 0, endMs = 3_600_000): ReplayState =>
  replayReducer(initialReplay, { type: 'load', startMs, endMs });
const run = (s: ReplayState, ...actions: ReplayAction[]) => actions.reduce(replayReducer, s);

describe('replayReducer', () => {
  it('plays, pauses and toggles', () => {
    const s = loaded();
    expect(run(s, { type: 'play' }).playing).toBe(true);
    expect(run(s, { type: 'play' }, { type: 'pause' }).playing).toBe(false);
    expect(run(s, { type: 'toggle' }, { type: 'toggle' }, { type: 'toggle' }).playing).toBe(true);
  });

  it('steps the speed through ×1…×64 and stops at both ends', () => {
    let s = loaded();
    const seen = [s.speed];
    for (let i = 0; i < 10; i++) seen.push((s = replayReducer(s, { type: 'faster' })).speed);
    expect([...new Set(seen)]).toEqual([...SPEEDS]);
    expect(s.speed).toBe(64);
    for (let i = 0; i < 10; i++) s = replayReducer(s, { type: 'slower' });
    expect(s.speed).toBe(1);
  });

  it('keeps a seek inside the period', () => {
    const s = loaded(1000, 5000);
    expect(run(s, { type: 'seek', ms: 3000 }).cursorMs).toBe(3000);
    expect(run(s, { type: 'seek', ms: -1 }).cursorMs).toBe(1000);
    expect(run(s, { type: 'seek', ms: 99_999 }).cursorMs).toBe(5000);
    expect(run(s, { type: 'seek', ms: 4500 }, { type: 'step', deltaMs: 1000 }).cursorMs).toBe(5000);
  });

  it('starts over when play is pressed at the end', () => {
    const s = run(loaded(1000, 5000), { type: 'seek', ms: 5000 }, { type: 'play' });
    expect(s).toMatchObject({ playing: true, cursorMs: 1000 });
  });

  it('cannot play an empty period', () => {
    expect(run(loaded(5000, 5000), { type: 'play' }).playing).toBe(false);
  });
});

describe('advance', () => {
  it('moves the cursor by real time times the speed, only while playing', () => {
    const s = run(loaded(), { type: 'speed', speed: 16 });
    expect(advance(s, 1000).cursorMs).toBe(0);
    expect(advance(run(s, { type: 'play' }), 1000).cursorMs).toBe(16_000);
    expect(advance(run(s, { type: 'play' }, { type: 'speed', speed: 64 }), 500).cursorMs).toBe(32_000);
  });

  it('stops at the end of the period', () => {
    const s = run(loaded(0, 10_000), { type: 'play' }, { type: 'speed', speed: 64 });
    expect(advance(s, 1000)).toMatchObject({ cursorMs: 10_000, playing: false });
  });

  it('jumps over a long silence to the next fix when skipping gaps, and plays through it otherwise', () => {
    const iso = (s: number) => new Date(s * 1000).toISOString();
    const track = readTrack({
      type: 'FeatureCollection',
      features: [0, 10, 7200, 7210].map((s) => ({
        type: 'Feature' as const,
        geometry: { type: 'Point' as const, coordinates: [-3, 40] },
        properties: { ts: iso(s), attributes: {} },
      })),
    });
    const s = run(loaded(0, 7_210_000), { type: 'seek', ms: 10_000 }, { type: 'play' });
    expect(advance(s, 1000, track).cursorMs).toBe(7_200_000);
    expect(advance(run(s, { type: 'skipGaps', value: false }), 1000, track).cursorMs).toBe(11_000);
  });
});
