// tools/mobile/eas-profile-env.mjs: the release's app settings (bundle id, version, server, EAS project)
// written into eas.json's production profile, because the EAS build worker evaluates app.config.ts with
// that profile's `env` and not with the runner's shell (expo/fyi eas-config-mismatch). Checked with EAS's
// own eas.json parser, and by evaluating app.config.ts with nothing but the profile's env, as the worker
// does.
import { Platform } from '@expo/eas-build-job';
import { EasJsonAccessor, EasJsonUtils } from '@expo/eas-json';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot, run, runOk, tempDir } from '../ops/testing';

const app = path.join(repoRoot, 'apps/mobile');
const script = path.join(repoRoot, 'tools/mobile/eas-profile-env.mjs');
const APP_VARIABLES = [
  'FLEET_MOBILE_BUNDLE_ID',
  'FLEET_MOBILE_VERSION',
  'FLEET_MOBILE_SERVER_URL',
  'MAP_TILE_URL',
  'MAP_TOKEN',
  'EAS_PROJECT_ID',
];

/** This process's environment without anything app.config.ts reads: what the EAS worker's shell lacks. */
function bareEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CI: '1',
    EXPO_OFFLINE: '1',
    EXPO_NO_TELEMETRY: '1',
  };
  for (const name of APP_VARIABLES) env[name] = undefined;
  return env;
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A copy of apps/mobile/eas.json after the script ran with `env`. */
function easJsonAfter(env: Record<string, string>): string {
  const dir = tempDir('fleet-eas-profile-env-');
  scratch.push(dir);
  copyFileSync(path.join(app, 'eas.json'), path.join(dir, 'eas.json'));
  runOk('node', [script, path.join(dir, 'eas.json'), 'production'], { env: { ...bareEnv(), ...env } });
  return dir;
}

/** app.config.ts evaluated with the worker's environment: the profile's env and nothing from this shell. */
function configOnWorker(profileEnv: Record<string, string> | undefined) {
  const res = run(path.join(repoRoot, 'node_modules/.bin/expo'), ['config', '--type', 'public', '--json'], {
    cwd: app,
    env: { ...bareEnv(), ...profileEnv },
  });
  if (res.status !== 0) throw new Error(`expo config exited ${res.status}\n${res.stderr}`);
  return JSON.parse(res.stdout) as {
    version: string;
    ios: { bundleIdentifier: string };
    android: { package: string };
    extra: { defaultServerUrl: string; eas?: { projectId: string } };
  };
}

const production = (dir: string, platform: Platform) =>
  EasJsonUtils.getBuildProfileAsync(EasJsonAccessor.fromProjectPath(dir), platform, 'production');

describe('mobile release: the app settings reach the EAS build worker through eas.json', () => {
  jest.setTimeout(120_000);
  const RELEASE = {
    FLEET_MOBILE_BUNDLE_ID: 'com.acme.fleet.driver',
    FLEET_MOBILE_VERSION: '2.3.4',
    FLEET_MOBILE_SERVER_URL: 'https://fleet.acme.test',
    EAS_PROJECT_ID: '6f1d0c1e-8a41-4c4b-9b0e-3c7f6c1a2b3d',
    MAP_TILE_URL: '',
  };

  it('writes the variables that are set into the production profile’s env, which EAS’s parser accepts', async () => {
    const dir = easJsonAfter(RELEASE);
    for (const platform of [Platform.ANDROID, Platform.IOS]) {
      const profile = await production(dir, platform);
      // MAP_TILE_URL is empty: left out, so app.config.ts's default applies on both sides.
      expect(profile.env).toEqual({
        FLEET_MOBILE_BUNDLE_ID: 'com.acme.fleet.driver',
        FLEET_MOBILE_VERSION: '2.3.4',
        FLEET_MOBILE_SERVER_URL: 'https://fleet.acme.test',
        EAS_PROJECT_ID: '6f1d0c1e-8a41-4c4b-9b0e-3c7f6c1a2b3d',
      });
      expect(profile).toMatchObject({ distribution: 'store', autoIncrement: true });
    }
    // The rest of eas.json is as it was.
    const before = JSON.parse(readFileSync(path.join(app, 'eas.json'), 'utf8'));
    const after = JSON.parse(readFileSync(path.join(dir, 'eas.json'), 'utf8'));
    delete after.build.production.env;
    expect(after).toEqual(before);
  });

  it('the worker, with only that env, evaluates the same app as the runner: bundle id, version, server, project', async () => {
    const dir = easJsonAfter(RELEASE);
    const onWorker = configOnWorker((await production(dir, Platform.IOS)).env);
    expect(onWorker).toMatchObject({
      version: '2.3.4',
      ios: { bundleIdentifier: 'com.acme.fleet.driver' },
      android: { package: 'com.acme.fleet.driver' },
      extra: { defaultServerUrl: 'https://fleet.acme.test', eas: { projectId: RELEASE.EAS_PROJECT_ID } },
    });
    // Without the step the worker would build the defaults (the check can fail).
    expect(configOnWorker(undefined)).toMatchObject({
      version: '1.0.0',
      ios: { bundleIdentifier: 'com.example.fleet' },
    });
  });

  it('with nothing set, writes an empty env: the defaults apply on both sides', async () => {
    const dir = easJsonAfter({});
    expect((await production(dir, Platform.ANDROID)).env).toEqual({});
  });

  it('ci.yml mobile-release runs it after the variables are exported and before eas build', () => {
    const ci = parse(readFileSync(path.join(repoRoot, '.github/workflows/ci.yml'), 'utf8')) as {
      jobs: Record<string, { steps: Array<{ run?: string; 'working-directory'?: string }> }>;
    };
    const step = ci.jobs['mobile-release'].steps.find((s) => /^\s*eas build /m.test(s.run ?? ''));
    expect(step?.['working-directory']).toBe('apps/mobile');
    const lines = (step?.run ?? '').split('\n').map((l) => l.trim());
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l));
    const write = at(/^node \.\.\/\.\.\/tools\/mobile\/eas-profile-env\.mjs eas\.json production$/);
    expect(write).toBeGreaterThan(at(/export FLEET_MOBILE_VERSION=/));
    expect(write).toBeGreaterThan(at(/export FLEET_MOBILE_BUNDLE_ID=/));
    expect(write).toBeLessThan(at(/^eas build /));
  });
});
