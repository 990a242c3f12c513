// CI runs `nx affected -t … test`: the phone app's native configuration, store profiles and lanes are
// checked by suites of the `tools` project (native-config: expo prebuild's manifest and Info.plist,
// eas.json through EAS's parser, `expo install --check`; release: the Fastfile under ruby -c and its
// lanes). Those files belong to `mobile`, so a change to them alone must also make `tools` affected
// (nx.json namedInputs.deployment), or CI would not run the checks written for them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runAsync } from '../ops/testing';

const env = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_BASE: undefined, NX_HEAD: undefined };
const nx = path.join(repoRoot, 'node_modules/.bin/nx');

const CHECKED_BY: [file: string, suite: string][] = [
  ['apps/mobile/app.config.ts', 'native-config.int-spec.ts'],
  ['apps/mobile/eas.json', 'native-config.int-spec.ts'],
  ['apps/mobile/package.json', 'native-config.int-spec.ts'],
  ['apps/mobile/fastlane/Fastfile', 'release.int-spec.ts'],
];

async function affected(file: string): Promise<string[]> {
  const res = await runAsync(nx, ['show', 'projects', '--affected', `--files=${file}`], { env, timeoutMs: 120_000 });
  if (res.status !== 0)
    throw new Error(`nx show projects --affected --files=${file} exited ${res.status}\n${res.stderr}`);
  return res.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('CI runs the mobile configuration checks when that configuration changes (nx affected)', () => {
  jest.setTimeout(300_000);

  it('every suite named here exists in tools/mobile', () => {
    for (const [file, suite] of CHECKED_BY) {
      expect(existsSync(path.join(repoRoot, file))).toBe(true);
      expect(existsSync(path.join(repoRoot, 'tools/mobile', suite))).toBe(true);
    }
  });

  it('a change to app.config.ts, eas.json, the app’s package.json or the Fastfile affects tools as well as mobile', async () => {
    const answers: Record<string, string[]> = {};
    const queue = CHECKED_BY.map(([file]) => file);
    await Promise.all(
      [0, 1].map(async () => {
        for (let file = queue.shift(); file; file = queue.shift()) answers[file] = await affected(file);
      }),
    );
    for (const [file] of CHECKED_BY)
      expect({ file, mobile: answers[file].includes('mobile'), tools: answers[file].includes('tools') }).toEqual({
        file,
        mobile: true,
        tools: true,
      });
    // Precise, not everything: the server is not affected by the phone's store profile.
    expect(answers['apps/mobile/eas.json']).not.toContain('api');
  });
});
