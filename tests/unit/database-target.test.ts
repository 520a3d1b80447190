import { describe, expect, it } from 'vitest';
import { databaseTargetOf, describeDatabaseTarget } from '../../src/db/database-target.js';

describe('database target', () => {
  it('GIVEN DATABASE_URL THEN the store is PostgreSQL and DATABASE_PATH is ignored; GIVEN none THEN SQLite at DATABASE_PATH', () => {
    expect(databaseTargetOf({ databasePath: './data/x.sqlite', databaseUrl: 'postgres://u:p@db:5432/draftgate' })).toEqual({
      engine: 'postgres',
      url: 'postgres://u:p@db:5432/draftgate',
    });
    expect(databaseTargetOf({ databasePath: './data/x.sqlite', databaseUrl: null })).toEqual({ engine: 'sqlite', path: './data/x.sqlite' });
  });

  it('GIVEN a PostgreSQL URL with a password WHEN described for the logs THEN only engine, host and database appear, never the password', () => {
    const described = describeDatabaseTarget({ engine: 'postgres', url: 'postgresql://draftgate:s3cr%40t@db.internal:6432/prod_db?sslmode=require' });
    expect(described).toEqual({ engine: 'postgres', host: 'db.internal:6432', database: 'prod_db' });
    expect(JSON.stringify(described)).not.toContain('s3cr');
    expect(describeDatabaseTarget({ engine: 'postgres', url: 'not a url s3cret' })).toEqual({ engine: 'postgres', host: '(unparsable URL)', database: '' });
  });
});
