import { parseArgs } from 'node:util';
import { OrganizationCreate } from '@fleet/contracts';
import { createPool } from '@fleet/db';
import { baseEnvSchema, parseEnv } from '@fleet/runtime';
import { AppError, zodDetails } from '../errors';
import { Platform } from '../organization/organization';

const USAGE = `nx run api:create-organization -- --name "Acme Logistics" --admin-email admin@acme.example
       [--slug acme] [--admin-name "Ana Admin"] [--admin-password <10+ characters>] [--json]
(in the api image: node cli/create-organization.js --name ... --admin-email ...)

Creates an organization and its first admin in the database of DATABASE_URL. The slug is derived from
the name unless given (a number is appended while it is taken). Without --admin-password a password is
generated and printed once (preferable: a password on the command line stays in the shell history);
the admin can change it after signing in. --json prints the result as JSON.
Exit status: 0 created, 2 bad arguments, 1 refused (email or slug taken) or failed.`;

/** Each field of the request, named as its command-line option. */
const OPTION_OF: Record<string, string> = {
  name: '--name',
  slug: '--slug',
  adminEmail: '--admin-email',
  adminName: '--admin-name',
  adminPassword: '--admin-password',
};
const named = (path: string) => OPTION_OF[path] ?? path;

class UsageError extends Error {}

function parseRequest(argv: string[]): { request: OrganizationCreate; json: boolean } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        name: { type: 'string' },
        slug: { type: 'string' },
        'admin-email': { type: 'string' },
        'admin-name': { type: 'string' },
        'admin-password': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const missing = (['name', 'admin-email'] as const).filter((option) => values[option] === undefined);
  if (missing.length) throw new UsageError(missing.map((option) => `--${option}: required`).join('\n'));
  const result = OrganizationCreate.safeParse({
    name: values.name,
    slug: values.slug,
    adminEmail: values['admin-email'],
    adminName: values['admin-name'],
    adminPassword: values['admin-password'],
  });
  if (!result.success)
    throw new UsageError(
      zodDetails(result.error)
        .map((d) => `${named(d.path)}: ${d.message}`)
        .join('\n'),
    );
  return { request: result.data, json: values.json === true };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseRequest(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`create-organization: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === 'help') {
    console.log(USAGE);
    return 0;
  }
  const env = parseEnv(baseEnvSchema, process.env);
  const pool = createPool({ url: env.DATABASE_URL, max: 1, applicationName: 'fleet-create-organization' });
  try {
    const created = await new Platform(pool).createOrganization(parsed.request);
    if (parsed.json) console.log(JSON.stringify(created));
    else {
      const { organization: org, admin, generatedPassword } = created;
      console.log(`created organization "${org.name}" (slug ${org.slug}, id ${org.id})`);
      console.log(`admin: ${admin.email} (id ${admin.id})`);
      if (generatedPassword)
        console.log(`admin password (shown this once, change it after signing in): ${generatedPassword}`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const details = (err.details ?? []).map((d) => `\n  ${named(d.path)}: ${d.message}`).join('');
    console.error(`create-organization: ${err.message}${details}`);
    return 1;
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`create-organization failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
