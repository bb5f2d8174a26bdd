// MirrorSource over the table layer's MirrorService (src/mirror): live mirrors, their reader views
// (lg_mirror_<id>: Iceberg files − deletes + tail at one DuckDB snapshot; lg_reader_<id> names the cheapest
// equivalent view at the reader's snapshot) and its waitForLsn.
import type { MirrorService } from '../mirror/index.js';
import type { MirrorRef } from '../route/catalog.js';
import { readerChoiceView } from '../table/mirror-table.js';
import type { MirrorSource } from './mirror-source.js';

/** MirrorInfo.name is `schema.name` */
function split(qualified: string): MirrorRef {
  const dot = qualified.indexOf('.');
  return dot < 0 ? { schema: 'public', name: qualified } : { schema: qualified.slice(0, dot), name: qualified.slice(dot + 1) };
}

export function mirrorServiceSource(svc: Pick<MirrorService, 'mirrors' | 'waitForLsn' | 'waitReady' | 'visibleLsn'>): MirrorSource {
  return {
    mirrors: () => svc.mirrors().map((m) => split(m.name)),
    relationSql: (ref) => {
      const m = svc.mirrors().find((x) => x.name === `${ref.schema}.${ref.name}`);
      return m ? `"${m.view.replace(/"/g, '""')}"` : null;
    },
    choiceSql: (ref) => {
      const m = svc.mirrors().find((x) => x.name === `${ref.schema}.${ref.name}`);
      return m ? `SELECT relation, shape FROM "${readerChoiceView(m.id)}"` : null;
    },
    sourceOid: (ref) => svc.mirrors().find((x) => x.name === `${ref.schema}.${ref.name}`)?.sourceOid ?? null,
    waitForLsn: (lsn, timeoutMs) => svc.waitForLsn(lsn, timeoutMs),
    visibleLsn: () => svc.visibleLsn(),
    waitReady: (ref, timeoutMs) => svc.waitReady(`${ref.schema}.${ref.name}`, timeoutMs).then(() => true, () => false),
  };
}
