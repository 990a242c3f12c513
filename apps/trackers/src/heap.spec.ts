import { loadTrackersConfig } from './config';
import { workerHeapArgs } from './heap';

describe("the workers' V8 heap settings", () => {
  it('bounds the old space at 512 MB and the semi-spaces at 8 MB by default', () => {
    const { workerHeap } = loadTrackersConfig({});
    expect(workerHeap).toEqual({ maxOldSpaceMb: 512, maxSemiSpaceMb: 8 });
    expect(workerHeapArgs(workerHeap, { execArgv: [] })).toEqual([
      '--max-old-space-size=512',
      '--max-semi-space-size=8',
    ]);
  });

  it('reads both sizes from the environment; 0 leaves the flag out', () => {
    const { workerHeap } = loadTrackersConfig({
      TRACKER_WORKER_MAX_OLD_SPACE_MB: '0',
      TRACKER_WORKER_SEMI_SPACE_MB: '4',
    });
    expect(workerHeapArgs(workerHeap, { execArgv: ['--enable-source-maps'] })).toEqual(['--max-semi-space-size=4']);
  });

  it("leaves a flag the operator already gave in NODE_OPTIONS or on the primary's command line", () => {
    const heap = { maxOldSpaceMb: 512, maxSemiSpaceMb: 8 };
    expect(workerHeapArgs(heap, { execArgv: [], nodeOptions: '--inspect --max-old-space-size=1024' })).toEqual([
      '--max-semi-space-size=8',
    ]);
    expect(workerHeapArgs(heap, { execArgv: ['--max-semi-space-size=2'], nodeOptions: '' })).toEqual([
      '--max-old-space-size=512',
    ]);
  });

  it('refuses sizes that are not whole MB', () => {
    expect(() => loadTrackersConfig({ TRACKER_WORKER_MAX_OLD_SPACE_MB: 'lots' })).toThrow(
      /TRACKER_WORKER_MAX_OLD_SPACE_MB/,
    );
  });
});
