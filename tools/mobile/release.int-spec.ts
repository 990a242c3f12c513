// The phone app's release path (ci.yml jobs mobile-affected, mobile-release, mobile-release-fastlane;
// apps/mobile/fastlane): when a push releases, where the store keys land, which action and command run,
// and the fastlane lanes — the Fastfile checked by Debian's ruby, then run against a stub of
// fastlane's DSL. actionlint and the SHA pins of every workflow are in tools/ops/workflows.int-spec.ts.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot, run, tempDir as makeTempDir } from '../ops/testing';

const scratch: string[] = [];
const tempDir = (prefix: string) => {
  const dir = makeTempDir(prefix);
  scratch.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string;
  outputs?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: {
    push: { branches: string[]; tags: string[] };
    workflow_dispatch: { inputs: Record<string, { type: string; options: string[]; default: string }> };
  };
  jobs: Record<string, Job>;
}

const ciText = readFileSync(path.join(repoRoot, '.github/workflows/ci.yml'), 'utf8');
const ci = parse(ciText) as Workflow;
const RELEASE_JOBS = ['mobile-release', 'mobile-release-fastlane'];
const fastlaneDir = path.join(repoRoot, 'apps/mobile/fastlane');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };

/** The variables eas.json's submit profile reads (`"$NAME"` values). */
function easJsonVariables(): string[] {
  const eas = readFileSync(path.join(repoRoot, 'apps/mobile/eas.json'), 'utf8');
  return [...eas.matchAll(/"\$([A-Z_]+)"/g)].map((m) => m[1]).sort();
}

describe('mobile release: which pushes release the app (nx affected)', () => {
  jest.setTimeout(120_000);
  const affectedApps = (file: string) => {
    const res = run(
      path.join(repoRoot, 'node_modules/.bin/nx'),
      ['show', 'projects', '--affected', '--type', 'app', `--files=${file}`],
      {
        cwd: repoRoot,
        env,
      },
    );
    expect(res.stderr).not.toMatch(/error/i);
    return res.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  };

  it('a change in libs/contracts makes mobile affected (the app imports it)', () => {
    expect(affectedApps('libs/contracts/src/index.ts')).toContain('mobile');
  });

  it('a change in apps/worker does not', () => {
    const apps = affectedApps('apps/worker/src/main.ts');
    expect(apps).toContain('worker');
    expect(apps).not.toContain('mobile');
  });

  it('a change in the app itself does', () => {
    expect(affectedApps('apps/mobile/app.config.ts')).toContain('mobile');
  });
});

describe('mobile release: the gate step of ci.yml, run in a scratch repository', () => {
  jest.setTimeout(60_000);
  const gate = ci.jobs['mobile-affected'].steps.find((s) => s.id === 'gate');

  /**
   * A repository with commits c1 (tag v1.0.0), c2, c3; `npx` is a stub that records its arguments and
   * prints the affected list it is given, so the step's own bash decides.
   */
  function runGate(options: {
    ref: 'main' | 'tag';
    affected: string[];
    before?: string;
    event?: string;
    tool?: string;
  }) {
    const dir = tempDir('mobile-gate');
    const git = (...args: string[]) => {
      const res = run('git', args, { cwd: dir });
      if (res.status !== 0) throw new Error(`git ${args.join(' ')}: ${res.stderr}`);
      return res.stdout.trim();
    };
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.test');
    git('config', 'user.name', 'ci');
    const shas: string[] = [];
    for (const n of [1, 2, 3]) {
      writeFileSync(path.join(dir, 'file.txt'), String(n));
      git('add', 'file.txt');
      git('commit', '-q', '-m', `c${n}`);
      shas.push(git('rev-parse', 'HEAD'));
      if (n === 1) git('tag', 'v1.0.0');
    }
    if (options.ref === 'tag') git('tag', 'v1.1.0');
    const bin = path.join(dir, '.bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'npx'),
      `#!/bin/sh\necho "$*" > "${dir}/npx-args"\nprintf '%s\\n' ${options.affected.map((a) => `'${a}'`).join(' ')}\n`,
    );
    chmodSync(path.join(bin, 'npx'), 0o755);
    const output = path.join(dir, 'github-output');
    writeFileSync(output, '');
    const res = run('bash', ['-c', gate!.run!], {
      cwd: dir,
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        GITHUB_OUTPUT: output,
        GITHUB_SHA: shas[2],
        GITHUB_REF_TYPE: options.ref === 'tag' ? 'tag' : 'branch',
        GITHUB_EVENT_NAME: options.event ?? 'push',
        BEFORE: options.before ?? shas[1],
        TOOL: options.tool ?? 'eas',
      },
    });
    const outputs = Object.fromEntries(
      readFileSync(output, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=') as [string, string]),
    );
    const npxArgs = res.status === 0 ? readFileSync(path.join(dir, 'npx-args'), 'utf8').trim() : '';
    return { res, outputs, npxArgs, shas };
  }

  it('asks nx for the apps affected since the previous main commit and releases when mobile is one', () => {
    const { res, outputs, npxArgs, shas } = runGate({ ref: 'main', affected: ['api', 'mobile', 'web'] });
    expect(res.status).toBe(0);
    expect(npxArgs).toBe(`nx show projects --affected --type app --base=${shas[1]} --head=${shas[2]}`);
    expect(outputs).toEqual({ release: 'true', tool: 'eas' });
  });

  it('does not release from main when mobile is not affected (a project named like it does not count)', () => {
    const { outputs } = runGate({ ref: 'main', affected: ['worker', 'mobile-e2e'] });
    expect(outputs.release).toBe('false');
  });

  it('a new branch push (before = 000…) compares with the parent commit', () => {
    const { npxArgs, shas } = runGate({ ref: 'main', affected: [], before: '0'.repeat(40) });
    expect(npxArgs).toContain(`--base=${shas[1]}`);
  });

  it('always releases on a tag, comparing with the previous tag', () => {
    const { outputs, npxArgs, shas } = runGate({ ref: 'tag', affected: ['worker'] });
    expect(outputs.release).toBe('true');
    expect(npxArgs).toContain(`--base=v1.0.0 --head=${shas[2]}`);
  });

  it('passes the chosen tool on, and refuses an unknown one', () => {
    expect(
      runGate({ ref: 'main', affected: ['mobile'], tool: 'fastlane', event: 'workflow_dispatch' }).outputs,
    ).toEqual({
      release: 'true',
      tool: 'fastlane',
    });
    const bad = runGate({ ref: 'main', affected: ['mobile'], tool: 'gradle' });
    expect(bad.res.status).not.toBe(0);
    expect(bad.res.stdout).toContain("unknown mobile release tool 'gradle'");
  });
});

describe('mobile release: the jobs in ci.yml', () => {
  it('runs after green CI on pushes to main and v* tags, and by hand with eas or fastlane', () => {
    expect(ci.on.push.branches).toEqual(['main']);
    expect(ci.on.push.tags.every((t) => t.startsWith('v'))).toBe(true);
    expect(ci.on.workflow_dispatch.inputs['mobile_release_tool']).toMatchObject({
      type: 'choice',
      options: ['eas', 'fastlane'],
      default: 'eas',
    });
    expect(ci.jobs['mobile-affected'].if).toBe("github.event_name != 'pull_request'");
    for (const job of RELEASE_JOBS) {
      expect(ci.jobs[job].needs).toEqual(['main', 'chart', 'mobile-affected']);
      expect(ci.jobs[job].if).toContain("needs.mobile-affected.outputs.release == 'true'");
    }
    expect(ci.jobs['mobile-release'].if).toContain("outputs.tool == 'eas'");
    expect(ci.jobs['mobile-release-fastlane'].if).toContain("outputs.tool == 'fastlane'");
  });

  it.each(RELEASE_JOBS)('%s: expo-github-action pinned by a full commit SHA, logged in with EXPO_TOKEN', (job) => {
    const expo = ci.jobs[job].steps.filter((s) => s.uses?.startsWith('expo/expo-github-action@'));
    expect(expo).toHaveLength(1);
    expect(expo[0].uses).toMatch(/^expo\/expo-github-action@[0-9a-f]{40}$/);
    expect(expo[0].with).toMatchObject({ token: '${{ secrets.EXPO_TOKEN }}' });
  });

  it.each(RELEASE_JOBS)('%s: secrets reach shell steps only through env (never pasted into a script)', (job) => {
    for (const step of ci.jobs[job].steps) expect(step.run ?? '').not.toContain('secrets.');
    const keyStep = ci.jobs[job].steps.find((s) =>
      Object.values(s.env ?? {}).some((v) => v.includes('APP_STORE_CONNECT_API_KEY')),
    );
    expect(keyStep?.env).toEqual({
      ASC_API_KEY: '${{ secrets.APP_STORE_CONNECT_API_KEY }}',
      ASC_KEY_ID: '${{ secrets.APP_STORE_CONNECT_API_KEY_ID }}',
      ASC_ISSUER_ID: '${{ secrets.APP_STORE_CONNECT_API_KEY_ISSUER_ID }}',
      PLAY_SA_JSON: '${{ secrets.GOOGLE_PLAY_SERVICE_ACCOUNT_JSON }}',
    });
    expect(keyStep?.run).toBe('bash tools/mobile/store-keys.sh');
  });

  it.each(RELEASE_JOBS)('%s: shell steps write only to $GITHUB_ENV and $RUNNER_TEMP', (job) => {
    for (const step of ci.jobs[job].steps) {
      const targets = [...(step.run ?? '').matchAll(/[^0-9&]>>?\s*"?([^"\s;)]+)/g)].map((m) => m[1]);
      for (const target of targets) expect(target).toMatch(/^\$(GITHUB_ENV|RUNNER_TEMP\/)/);
    }
  });

  it('mobile-release builds both platforms on EAS with auto-submit and does not wait', () => {
    const runs = ci.jobs['mobile-release'].steps.map((s) => s.run ?? '');
    expect(runs.filter((r) => /^\s*eas build /m.test(r))).toHaveLength(1);
    expect(runs.join('\n')).toMatch(
      /^\s*eas build -p all --profile production --non-interactive --no-wait --auto-submit$/m,
    );
  });

  it('mobile-release-fastlane builds into $RUNNER_TEMP and runs the platform beta lane', () => {
    const runs = ci.jobs['mobile-release-fastlane'].steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain(
      'eas build --local -p "$PLATFORM" --profile production --non-interactive --output "$RUNNER_TEMP/$ARTIFACT"',
    );
    expect(runs).toContain('fastlane "$PLATFORM" beta');
  });
});

describe('mobile release: tools/mobile/store-keys.sh, the key step, run in a fake checkout', () => {
  const step = ci.jobs['mobile-release'].steps.find((s) => s.run === 'bash tools/mobile/store-keys.sh')!;
  const SECRETS = {
    ASC_API_KEY: '-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----',
    ASC_KEY_ID: 'ABC123DEFG',
    ASC_ISSUER_ID: '69a6de70-03db-47e3-e053-5b8c7c11a4d1',
    PLAY_SA_JSON:
      '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\nx\\n-----END PRIVATE KEY-----\\n"}',
  };

  function runStep(secrets: Record<string, string>) {
    const root = tempDir('mobile-keys');
    const workspace = path.join(root, 'workspace');
    const runnerTemp = path.join(root, '_temp');
    mkdirSync(path.join(workspace, 'tools/mobile'), { recursive: true });
    mkdirSync(runnerTemp);
    copyFileSync(path.join(repoRoot, 'tools/mobile/store-keys.sh'), path.join(workspace, 'tools/mobile/store-keys.sh'));
    const githubEnv = path.join(runnerTemp, '_runner_file_commands', 'set_env');
    mkdirSync(path.dirname(githubEnv));
    writeFileSync(githubEnv, '');
    const res = run('bash', ['-c', step.run!], {
      cwd: workspace,
      env: { PATH: process.env.PATH, RUNNER_TEMP: runnerTemp, GITHUB_ENV: githubEnv, ...secrets },
    });
    const exported = Object.fromEntries(
      readFileSync(githubEnv, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const listing = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => statSync(path.join(dir, f)).isFile())
        .sort();
    return { res, exported, runnerTemp, workspaceFiles: listing(workspace), tempFiles: listing(runnerTemp) };
  }

  it('writes the keys under $RUNNER_TEMP only (mode 600) and exports the variables eas.json reads', () => {
    const { res, exported, runnerTemp, workspaceFiles, tempFiles } = runStep(SECRETS);
    expect(res.status).toBe(0);
    // The checkout EAS uploads holds nothing new.
    expect(workspaceFiles).toEqual(['tools/mobile/store-keys.sh']);
    expect(tempFiles).toEqual([
      '_runner_file_commands/set_env',
      'store-keys/app-store-connect.p8',
      'store-keys/play-service-account.json',
    ]);
    expect(Object.keys(exported).sort()).toEqual(easJsonVariables());
    expect(easJsonVariables()).toEqual(['ASC_API_KEY_ID', 'ASC_API_KEY_ISSUER_ID', 'ASC_API_KEY_PATH', 'PLAY_SA_PATH']);
    for (const key of ['ASC_API_KEY_PATH', 'PLAY_SA_PATH']) {
      expect(exported[key].startsWith(`${runnerTemp}/`)).toBe(true);
      expect(statSync(exported[key]).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(exported['ASC_API_KEY_PATH'], 'utf8')).toBe(`${SECRETS.ASC_API_KEY}\n`);
    expect(JSON.parse(readFileSync(exported['PLAY_SA_PATH'], 'utf8'))).toEqual(JSON.parse(SECRETS.PLAY_SA_JSON));
    expect(exported).toMatchObject({
      ASC_API_KEY_ID: SECRETS.ASC_KEY_ID,
      ASC_API_KEY_ISSUER_ID: SECRETS.ASC_ISSUER_ID,
    });
    // No secret value in the log.
    for (const value of Object.values(SECRETS)) expect(res.stdout + res.stderr).not.toContain(value);
  });

  it('stops, naming every empty secret, and writes nothing', () => {
    const { res, exported, tempFiles } = runStep({ ...SECRETS, ASC_API_KEY: '', PLAY_SA_JSON: '' });
    expect(res.status).toBe(1);
    expect(res.stdout).toContain('empty store secret(s): ASC_API_KEY PLAY_SA_JSON');
    expect(exported).toEqual({});
    expect(tempFiles).toEqual(['_runner_file_commands/set_env']);
  });
});

describe('mobile release: apps/mobile/fastlane', () => {
  jest.setTimeout(30_000);

  // ruby missing: apt-get install -y ruby (.ci/run does; GitHub's runners have it).
  it.each(['Fastfile', 'Appfile'])('%s passes ruby -c', (file) => {
    const res = run('ruby', ['-c', path.join(fastlaneDir, file)]);
    expect(res.stdout.trim()).toBe('Syntax OK');
    expect(res.status).toBe(0);
  });

  it('ruby -c does reject a broken Fastfile (the check can fail)', () => {
    const broken = path.join(tempDir('fastfile'), 'Fastfile');
    writeFileSync(broken, readFileSync(path.join(fastlaneDir, 'Fastfile'), 'utf8').replace(/\nend\n$/, '\n'));
    const res = run('ruby', ['-c', broken]);
    expect(res.status).not.toBe(0);
  });

  // fastlane itself is not packaged for Debian: the lanes run against a stub of its DSL that records
  // each action's parameters.
  const HARNESS = `
require 'json'
CALLS = []
LANES = {}
module UI
  class Error < StandardError; end
  def self.user_error!(message)
    raise Error, message
  end
end
$platform = nil
def platform(name)
  $platform = name
  yield
ensure
  $platform = nil
end
def desc(_text); end
def default_platform(_name); end
def lane(name, &block)
  LANES["#{$platform} #{name}"] = block
end
def app_store_connect_api_key(**params)
  CALLS << { action: 'app_store_connect_api_key', params: params }
  { 'key_id' => params[:key_id], 'stub' => 'api_key' }
end
def upload_to_testflight(**params)
  CALLS << { action: 'upload_to_testflight', params: params }
end
def upload_to_play_store(**params)
  CALLS << { action: 'upload_to_play_store', params: params }
end
APPFILE = {}
def app_identifier(value) = APPFILE[:app_identifier] = value
def package_name(value) = APPFILE[:package_name] = value
load File.join(ARGV[0], 'Appfile')
load File.join(ARGV[0], 'Fastfile')
begin
  LANES.fetch(ARGV[1]).call({})
  puts JSON.generate(ok: true, lanes: LANES.keys, appfile: APPFILE, calls: CALLS)
rescue UI::Error => e
  puts JSON.generate(ok: false, lanes: LANES.keys, error: e.message, calls: CALLS)
end
`;
  interface LaneRun {
    ok: boolean;
    lanes: string[];
    error?: string;
    appfile?: Record<string, string>;
    calls: { action: string; params: Record<string, unknown> }[];
  }
  const LANE_VARIABLES = [
    'ASC_API_KEY_PATH',
    'ASC_API_KEY_ID',
    'ASC_API_KEY_ISSUER_ID',
    'PLAY_SA_PATH',
    'FLEET_IOS_IPA_PATH',
    'FLEET_ANDROID_AAB_PATH',
    'FLEET_MOBILE_BUNDLE_ID',
  ];
  function lane(name: string, vars: Record<string, string>): LaneRun {
    const harness = path.join(tempDir('fastlane-harness'), 'harness.rb');
    writeFileSync(harness, HARNESS);
    const unset = Object.fromEntries(LANE_VARIABLES.map((v) => [v, undefined]));
    const res = run('ruby', [harness, fastlaneDir, name], { env: { ...unset, ...vars } });
    if (res.status !== 0) throw new Error(`ruby failed:\n${res.stderr}`);
    return JSON.parse(res.stdout) as LaneRun;
  }
  const ios = {
    ASC_API_KEY_PATH: '/tmp/_temp/store-keys/app-store-connect.p8',
    ASC_API_KEY_ID: 'ABC123DEFG',
    ASC_API_KEY_ISSUER_ID: 'issuer-1',
    FLEET_IOS_IPA_PATH: '/tmp/_temp/fleet.ipa',
  };

  it('has ios beta and android beta', () => {
    expect(lane('ios beta', ios).lanes.sort()).toEqual(['android beta', 'ios beta']);
  });

  it('ios beta: an App Store Connect API key from the eas.json variables, then TestFlight', () => {
    const { ok, calls, appfile } = lane('ios beta', { ...ios, FLEET_MOBILE_BUNDLE_ID: 'com.acme.fleet' });
    expect(ok).toBe(true);
    expect(appfile).toEqual({ app_identifier: 'com.acme.fleet', package_name: 'com.acme.fleet' });
    expect(calls.map((c) => c.action)).toEqual(['app_store_connect_api_key', 'upload_to_testflight']);
    expect(calls[0].params).toMatchObject({
      key_id: 'ABC123DEFG',
      issuer_id: 'issuer-1',
      key_filepath: ios.ASC_API_KEY_PATH,
    });
    expect(calls[1].params).toMatchObject({
      api_key: { key_id: 'ABC123DEFG', stub: 'api_key' },
      ipa: ios.FLEET_IOS_IPA_PATH,
    });
  });

  it('android beta: the .aab to the internal track with the service account at $PLAY_SA_PATH', () => {
    const { ok, calls, appfile } = lane('android beta', {
      PLAY_SA_PATH: '/tmp/_temp/sa.json',
      FLEET_ANDROID_AAB_PATH: '/tmp/_temp/fleet.aab',
    });
    expect(ok).toBe(true);
    expect(appfile).toEqual({ app_identifier: 'com.example.fleet', package_name: 'com.example.fleet' });
    expect(calls).toEqual([
      {
        action: 'upload_to_play_store',
        params: expect.objectContaining({
          json_key: '/tmp/_temp/sa.json',
          aab: '/tmp/_temp/fleet.aab',
          track: 'internal',
        }),
      },
    ]);
  });

  it('a lane missing a variable stops before uploading, naming it', () => {
    const { ok, error, calls } = lane('ios beta', { ...ios, ASC_API_KEY_PATH: '' });
    expect(ok).toBe(false);
    expect(error).toContain('ASC_API_KEY_PATH is not set');
    expect(calls).toEqual([]);
    expect(lane('android beta', { FLEET_ANDROID_AAB_PATH: '/x.aab' }).error).toContain('PLAY_SA_PATH is not set');
  });
});
