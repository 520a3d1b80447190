/**
 * Which store the bot runs on. SQLite (a file, the embedded default) or PostgreSQL (a server,
 * for two instances on two machines). Chosen by configuration: DATABASE_URL set selects
 * PostgreSQL and DATABASE_PATH is then ignored.
 */
export type DatabaseTarget = { readonly engine: 'sqlite'; readonly path: string } | { readonly engine: 'postgres'; readonly url: string };

/** The target the storage configuration names: PostgreSQL when it has a URL, else SQLite at its path. */
export function databaseTargetOf(storage: { readonly databasePath: string; readonly databaseUrl: string | null }): DatabaseTarget {
  return storage.databaseUrl !== null ? { engine: 'postgres', url: storage.databaseUrl } : { engine: 'sqlite', path: storage.databasePath };
}

/**
 * What logs may say about a target: the engine and, on PostgreSQL, only the host, port and
 * database. The URL itself carries the password, so it is never logged.
 */
export function describeDatabaseTarget(target: DatabaseTarget): { engine: DatabaseTarget['engine']; path?: string; host?: string; database?: string } {
  if (target.engine === 'sqlite') return { engine: 'sqlite', path: target.path };
  try {
    const url = new URL(target.url);
    return { engine: 'postgres', host: url.port ? `${url.hostname}:${url.port}` : url.hostname, database: decodeURIComponent(url.pathname.replace(/^\//, '')) };
  } catch {
    return { engine: 'postgres', host: '(unparsable URL)', database: '' };
  }
}
