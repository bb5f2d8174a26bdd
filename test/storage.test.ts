import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage, AlreadyExistsError, NotFoundError, FsStorage, S3Storage, type Storage } from '../src/storage/index.js';
import { startS3 } from './helpers/s3.js';

async function exercise(st: Storage, scratch: string): Promise<void> {
  const enc = new TextEncoder();
  await st.put('a/b/one.txt', enc.encode('hello'));
  assert.equal((await st.get('a/b/one.txt')).toString(), 'hello');
  assert.equal((await st.get(st.uri('a/b/one.txt'))).toString(), 'hello', 'full URIs resolve too');
  assert.equal((await st.getRange('a/b/one.txt', 1, 3)).toString(), 'ell');
  assert.deepEqual(await st.head('a/b/one.txt'), { size: 5 });
  assert.equal(await st.head('a/b/missing.txt'), null);
  await assert.rejects(st.get('a/b/missing.txt'), NotFoundError);

  await st.put('a/b/one.txt', enc.encode('replaced'));
  assert.equal((await st.get('a/b/one.txt')).toString(), 'replaced');

  await st.putIfAbsent('a/c/v1.json', enc.encode('{"v":1}'));
  await assert.rejects(st.putIfAbsent('a/c/v1.json', enc.encode('{"v":2}')), AlreadyExistsError);
  assert.equal((await st.get('a/c/v1.json')).toString(), '{"v":1}', 'losing writer must not overwrite');

  const src = join(scratch, 'upload.bin');
  const payload = Buffer.alloc(300_000, 7);
  payload.write('tail', payload.length - 4);
  writeFileSync(src, payload);
  await st.putFile('a/d/file.bin', src);
  assert.deepEqual(await st.get('a/d/file.bin'), payload);

  const listed = await st.list('a/');
  assert.deepEqual(listed.map((o) => o.key), ['a/b/one.txt', 'a/c/v1.json', 'a/d/file.bin']);
  assert.equal(listed[2]!.size, payload.length);
  assert.equal(listed[0]!.uri, st.uri('a/b/one.txt'));
  assert.deepEqual((await st.list('a/c/v')).map((o) => o.key), ['a/c/v1.json'], 'partial-name prefixes');
  assert.deepEqual(await st.list('zzz/'), []);

  const local = await st.localPath('a/d/file.bin');
  assert.deepEqual(readFileSync(local), payload);
  assert.equal(await st.localPath(st.uri('a/d/file.bin')), local, 'same cache entry for key and URI');

  // staged upload: write locally where stagingPath says, then putFile
  const staged = await st.stagingPath('a/e/staged.bin');
  writeFileSync(staged, 'staged!');
  await st.putFile('a/e/staged.bin', staged);
  assert.equal((await st.get('a/e/staged.bin')).toString(), 'staged!');
  assert.equal(readFileSync(await st.localPath('a/e/staged.bin'), 'utf8'), 'staged!');

  await st.delete('a/b/one.txt');
  await st.delete('a/b/one.txt'); // idempotent
  assert.equal(await st.head('a/b/one.txt'), null);
  assert.throws(() => st.key('../x'), /'\.\.'/);
}

test('fs storage', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lg-storage-'));
  try {
    const st = openStorage(`file://${dir}/wh`);
    assert.ok(st instanceof FsStorage);
    assert.equal(st.root, `file://${dir}/wh`);
    assert.equal(st.key(`file:${dir}/wh/x/y`), 'x/y', 'Hadoop-style file:/ URIs');
    assert.throws(() => st.key('file:///elsewhere/x'), /outside/);
    await exercise(st, dir);
    assert.equal(await st.localPath('a/c/v1.json'), join(dir, 'wh/a/c/v1.json'));
    await st.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('s3 storage on s3rver', async () => {
  const s3 = await startS3();
  const dir = mkdtempSync(join(tmpdir(), 'lg-storage-'));
  try {
    const st = openStorage(`s3://${s3.bucket}/wh/ns`, {
      s3: { ...s3.options, cacheDir: join(dir, 'cache'), multipartThreshold: 200_000, partSize: 5 * 1024 * 1024 },
    });
    assert.ok(st instanceof S3Storage);
    assert.equal(st.uri('x'), `s3://${s3.bucket}/wh/ns/x`);
    await exercise(st, dir);
    // objects landed under the prefix in the bucket
    const root = openStorage(`s3://${s3.bucket}`, { s3: { ...s3.options, cacheDir: join(dir, 'cache2') } });
    assert.ok((await root.list('wh/ns/a/')).length === 3);
    // a second storage with an empty cache downloads once, then serves the cached file
    const fresh = openStorage(`s3://${s3.bucket}/wh/ns`, { s3: { ...s3.options, cacheDir: join(dir, 'cache3') } });
    const [p1, p2] = await Promise.all([fresh.localPath('a/d/file.bin'), fresh.localPath('a/d/file.bin')]);
    assert.equal(p1, p2);
    assert.ok(existsSync(p1));
    await assert.rejects(fresh.localPath('a/none.bin'), NotFoundError);
    await Promise.all([st.close(), root.close(), fresh.close()]);
  } finally {
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
