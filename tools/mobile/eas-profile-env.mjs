// The release's app settings into eas.json's build profile, for EAS cloud builds (ci.yml, mobile-release).
//   node tools/mobile/eas-profile-env.mjs [path/to/eas.json] [profile]   (defaults: apps/mobile/eas.json production)
//
// apps/mobile/app.config.ts reads FLEET_MOBILE_BUNDLE_ID, FLEET_MOBILE_VERSION, FLEET_MOBILE_SERVER_URL,
// MAP_TILE_URL and EAS_PROJECT_ID from the environment. `eas build` evaluates it twice: on the runner
// (whose shell has them) and again on the EAS build worker, which sees only the build profile's `env`
// of eas.json and the project's EAS environment variables — not the runner's shell. Without this step
// the worker builds the defaults (com.example.fleet, version 1.0.0) and EAS refuses a project id that
// differs between the two (expo/fyi eas-config-mismatch). The variables set and non-empty here are
// written into the profile's `env` (the others are left out, so app.config.ts's defaults apply on both
// sides); none of them is a secret (eas.json is uploaded with the project).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const RELEASE_VARIABLES = [
  'FLEET_MOBILE_BUNDLE_ID',
  'FLEET_MOBILE_VERSION',
  'FLEET_MOBILE_SERVER_URL',
  'MAP_TILE_URL',
  'EAS_PROJECT_ID',
];

const root = path.resolve(import.meta.dirname, '../..');
const file = process.argv[2] ?? path.join(root, 'apps/mobile/eas.json');
const profileName = process.argv[3] ?? 'production';

const eas = JSON.parse(readFileSync(file, 'utf8'));
const profile = eas.build?.[profileName];
if (!profile || typeof profile !== 'object') {
  console.error(`${file}: no build profile "${profileName}"`);
  process.exit(1);
}
const set = RELEASE_VARIABLES.filter((name) => (process.env[name] ?? '') !== '');
profile.env = { ...profile.env, ...Object.fromEntries(set.map((name) => [name, process.env[name]])) };
writeFileSync(file, `${JSON.stringify(eas, null, 2)}\n`);
console.log(`${path.relative(process.cwd(), file)} build.${profileName}.env: ${set.join(', ') || '(nothing set)'}`);
