import 'reflect-metadata';
import { loadStorageConfig } from './src/config/index.js';
import { createDataSource, databaseTargetOf } from './src/db/data-source.js';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:run|revert|generate`). It needs only
 * DATABASE_PATH, or DATABASE_URL for PostgreSQL, so migrations can run without Discord or API
 * credentials.
 */
export default createDataSource(databaseTargetOf(loadStorageConfig()));
