/**
 * `kapsule graph --format html` in headless Chromium: the self-contained page renders, shows every capsule as a node
 * and an edge per parent link, loads nothing from the network, and a click shows the capsule's details.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';

test('the html DAG view renders in Chromium and a click shows a capsule', async () => {
  if (!existsSync(CHROMIUM) && process.env.CI === 'true') {
    spawnSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'], { stdio: 'inherit' });
  }
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  const d = tempDir();
  const me = testIdentity(b, 'graph/owner');
  const rt = openRuntime({ db: join(d, 'g.db'), identity: me });
  const root = buildCapsule(b, me, { kind: 'post', channel: 'g', createdAt: 1000n, payload: utf8.encode('{}'), to: 'public' });
  const kids = [1, 2, 3].map((i) => buildCapsule(b, testIdentity(b, `graph/${i}`), { kind: 'comment', channel: 'g', createdAt: 1000n + BigInt(i), parents: [root.id], payload: utf8.encode('{}'), to: [me.encPublic] }));
  const merge = buildCapsule(b, me, { kind: 'comment', channel: 'g', createdAt: 2000n, parents: [kids[0].id, kids[1].id], payload: utf8.encode('{}'), to: 'public' });
  rt.ingestBatch([root, ...kids, merge].map((c) => c.bytes));
  rt.close();
  const io = captureIO(d);
  assert.equal(await kapsule(['graph', '--db', 'g.db', '--format', 'html', '--out', 'dag.html'], io), 0, io.stderr);

  const browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(join(d, 'dag.html')).href);
    assert.equal(await page.locator('g.node').count(), 5);
    assert.equal(await page.locator('line.edge').count(), 5);
    const box = await page.locator('svg#svg').boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, 'the svg has a size');
    await page.locator(`g.node[data-id="${toHex(merge.id)}"]`).click();
    const details = await page.locator('#details').textContent();
    assert.ok(details?.includes(toHex(merge.id)), 'details show the clicked capsule id');
    assert.ok(details?.includes(toHex(kids[0].id)), 'and its parents');
    assert.equal(await page.locator('g.node.sel').count(), 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no network');
    await page.screenshot({ path: join(d, 'dag.png') });
  } finally {
    await browser.close();
  }
});
