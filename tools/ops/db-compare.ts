import pg from 'pg';

export interface TableSummary {
  rows: number;
  /** md5 of every row's text, in a stable order. */
  checksum: string;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Row count and checksum of every table holding data (partitions included, one by one) and the
 * state of every sequence, in every schema of ours: what a backup must carry over unchanged. The
 * list comes from the catalog, so tables added by later migrations are covered without anyone
 * remembering to add them here.
 */
export function summarize(url: string): Promise<Record<string, TableSummary>> {
  return withClient(url, async (client) => {
    const relations = await client.query<{ name: string; kind: string }>(`
      SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'S')
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       ORDER BY 1`);
    const out: Record<string, TableSummary> = {};
    for (const { name, kind } of relations.rows) {
      const res =
        kind === 'S'
          ? await client.query<{ rows: string; checksum: string }>(
              `SELECT 1 AS rows, md5(last_value::text || ':' || is_called::text) AS checksum FROM ${name}`,
            )
          : await client.query<{ rows: string; checksum: string }>(
              `SELECT count(*) AS rows, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t::text)), '') AS checksum
                 FROM ONLY ${name} t`,
            );
      out[name] = { rows: Number(res.rows[0].rows), checksum: res.rows[0].checksum };
    }
    return out;
  });
}

export async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  return withClient(url, async (client) => (await client.query<T>(sql, params)).rows);
}
