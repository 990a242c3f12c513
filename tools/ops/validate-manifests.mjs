// Validates Kubernetes manifests (a multi-document YAML file, e.g. `helm template` output) against the
// Kubernetes API models of the npm package kubernetes-models (KEDA's from @kubernetes-models/keda), in
// two passes, like `kubeconform -strict`:
//   1. each object through its model's JSON-schema validator: types, required fields, formats, enums;
//   2. every object as a typed literal compiled by TypeScript against the same models' interfaces, which
//      rejects any field the API does not define (kubernetes-models' validators let unknown fields pass).
// The Prometheus operator's ServiceMonitor and PrometheusRule against the JSON schemas below instead.
// A kind without a model is an error. Prints one line per problem; exits 1 when there is any.
//
//   node tools/ops/validate-manifests.mjs rendered.yaml
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(import.meta.dirname, '../..');

// The Prometheus operator's kinds (monitoring.coreos.com/v1) have no model among the installed
// packages: these JSON schemas hold the part of their CRDs (prometheus-operator v0.7x) the chart
// uses, unknown fields refused. GitHub Actions' kubeconform checks them against the full CRD schemas.
const labels = { type: 'object', additionalProperties: { type: 'string' } };
const duration = {
  type: 'string',
  pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
};
const metadata = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1 }, namespace: { type: 'string' }, labels, annotations: labels },
  additionalProperties: false,
};
const operatorSchema = (spec) => ({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: { apiVersion: { const: 'monitoring.coreos.com/v1' }, kind: { type: 'string' }, metadata, spec },
  additionalProperties: false,
});
const OPERATOR_SCHEMAS = {
  ServiceMonitor: operatorSchema({
    type: 'object',
    required: ['selector', 'endpoints'],
    properties: {
      jobLabel: { type: 'string' },
      selector: {
        type: 'object',
        properties: { matchLabels: labels },
        additionalProperties: false,
      },
      namespaceSelector: {
        type: 'object',
        properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
      endpoints: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          required: ['port'],
          properties: {
            port: { type: 'string', minLength: 1 },
            path: { type: 'string', pattern: '^/' },
            scheme: { enum: ['http', 'https'] },
            interval: duration,
            scrapeTimeout: duration,
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  }),
  PrometheusRule: operatorSchema({
    type: 'object',
    required: ['groups'],
    properties: {
      groups: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name', 'rules'],
          properties: {
            name: { type: 'string', minLength: 1 },
            interval: duration,
            rules: {
              type: 'array',
              items: {
                type: 'object',
                required: ['expr'],
                oneOf: [{ required: ['alert'] }, { required: ['record'] }],
                properties: {
                  alert: { type: 'string' },
                  record: { type: 'string' },
                  expr: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'integer' }] },
                  for: duration,
                  keep_firing_for: duration,
                  labels,
                  annotations: labels,
                },
                additionalProperties: false,
              },
            },
          },
          additionalProperties: false,
        },
      },
    },
    additionalProperties: false,
  }),
};
const ajv = new Ajv({ allErrors: true, strict: false });
const operatorValidators = Object.fromEntries(
  Object.entries(OPERATOR_SCHEMAS).map(([kind, schema]) => [kind, ajv.compile(schema)]),
);

/** The module of a kind's model, or undefined when no package models it. */
function modelModule(apiVersion, kind) {
  if (apiVersion === 'keda.sh/v1alpha1') {
    const module = `@kubernetes-models/keda/keda.sh/v1alpha1/${kind}`;
    return existsSync(path.join(root, 'node_modules', `${module}.d.ts`)) ? module : undefined;
  }
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  if (group && group.includes('.') && !group.endsWith('.k8s.io')) return undefined;
  const module = `kubernetes-models/${apiVersion}/${kind}`;
  return existsSync(path.join(root, 'node_modules', `${module}.d.ts`)) ? module : undefined;
}

export async function validateManifests(text) {
  const problems = [];
  const objects = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length) problems.push(`document ${i}: YAML: ${doc.errors[0].message}`);
    const value = doc.toJSON();
    if (value === null || value === undefined) continue;
    objects.push(value);
  }
  const checked = [];
  const operatorChecked = [];
  for (const object of objects) {
    const label = `${object.kind ?? '?'}/${object.metadata?.name ?? '?'}`;
    if (object.apiVersion === 'monitoring.coreos.com/v1' && operatorValidators[object.kind]) {
      const validate = operatorValidators[object.kind];
      if (!validate(object))
        for (const e of validate.errors ?? []) problems.push(`${label}: ${e.instancePath || '/'} ${e.message}`);
      operatorChecked.push(label);
      continue;
    }
    const module =
      typeof object.apiVersion === 'string' && typeof object.kind === 'string'
        ? modelModule(object.apiVersion, object.kind)
        : undefined;
    if (!module) {
      problems.push(`${label}: no Kubernetes model for apiVersion ${object.apiVersion}, kind ${object.kind}`);
      continue;
    }
    const Model = (await import(module))[object.kind];
    try {
      new Model(object).validate();
    } catch (err) {
      problems.push(`${label}: ${err.message}`);
    }
    checked.push({ object, module, label });
  }

  // Pass 2: unknown fields, through TypeScript's excess-property checks on object literals.
  if (checked.length) {
    const dir = path.join(root, 'tmp', `manifest-check-${process.pid}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    try {
      const lines = [];
      checked.forEach(({ object, module }, i) => {
        lines.push(`import type { I${object.kind} as T${i} } from '${module}';`);
      });
      // The first line of each object, to name the object an error points into.
      const starts = [];
      checked.forEach(({ object }, i) => {
        starts.push(lines.length + 1);
        lines.push(...`export const m${i}: T${i} = ${JSON.stringify(object, null, 1)};`.split('\n'));
      });
      const file = path.join(dir, 'manifests.ts');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const tsc = spawnSync(
        process.execPath,
        [
          path.join(root, 'node_modules/typescript/bin/tsc'),
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          '--target',
          'es2022',
          '--module',
          'esnext',
          '--moduleResolution',
          'bundler',
          '--types',
          'node',
          file,
        ],
        { cwd: root, encoding: 'utf8' },
      );
      for (const line of tsc.stdout.split('\n').filter((l) => /error TS\d+/.test(l))) {
        const at = /manifests\.ts\((\d+),\d+\)/.exec(line);
        const lineNo = at ? Number(at[1]) : 0;
        let index = -1;
        for (let i = 0; i < starts.length; i++) if (starts[i] <= lineNo) index = i;
        const label = index >= 0 ? checked[index].label : 'manifests';
        problems.push(`${label}: ${line.replace(/^.*error (TS\d+): /, '$1 ')}`);
      }
      if (tsc.status !== 0 && !problems.length) problems.push(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { objects: [...checked.map((c) => c.label), ...operatorChecked], problems };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node tools/ops/validate-manifests.mjs FILE.yaml');
    process.exit(2);
  }
  const { objects, problems } = await validateManifests(readFileSync(file, 'utf8'));
  for (const p of problems) console.log(p);
  console.log(`${objects.length} objects checked, ${problems.length} problems`);
  process.exit(problems.length ? 1 : 0);
}
