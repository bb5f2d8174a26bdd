// Refusals. The translator only emits DuckDB SQL for constructs it knows DuckDB answers exactly as Postgres
// would; everything else ends here, as SQLSTATE 0A000, before any DuckDB work.
import { PgError } from '../../route/local.js';

export const FEATURE_NOT_SUPPORTED = '0A000';

export class NotSupported extends PgError {
  constructor(what: string) {
    super(FEATURE_NOT_SUPPORTED, `${what} is not supported on lakegate mirrors`);
  }
}

export function notSupported(what: string): never {
  throw new NotSupported(what);
}
