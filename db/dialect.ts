import type { Platform } from '@mikro-orm/core';
import { BasePostgreSqlPlatform, SqlitePlatform } from '@mikro-orm/sql';

/** The two databases DVCT runs on: SQLite (embedded default) and PostgreSQL (production). */
export type Dialect = 'sqlite' | 'postgresql';

export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgresql'];

export function dialectOf(platform: Platform): Dialect {
  if (platform instanceof SqlitePlatform) return 'sqlite';
  if (platform instanceof BasePostgreSqlPlatform) return 'postgresql';
  throw new Error(`Unsupported database platform ${platform.constructor.name}: DVCT runs on SQLite or PostgreSQL`);
}
