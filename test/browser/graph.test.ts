/**
 * `kapsule graph --format html` in headless Chromium (test/helpers/chromium.ts): the self-contained page draws the
 * DAG, loads nothing from the network, and answers clicks (details), search (id prefix) and filters; at 10,000
 * capsules it is measured (page size, time to write it, time to the first drawing) and its screenshots are checked
 * for content: after fit every status colour is on screen, and filtering on a status takes the others' colour off it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { nativeBackend as b } from '../../host/src/crypto/native.ts';
import { openRuntime } from '../../host/src/node.ts';
import { buildCapsule } from '../../capsule-packer/src/build.ts';
import { toHex, utf8 } from '../../host/src/bytes.ts';
import { main as kapsule } from '../../host/src/cli/main.ts';
import { captureIO, tempDir, testIdentity } from '../helpers/fixtures.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { buildDagStore } from '../helpers/dag.ts';
import { countColour, decodePng } from '../helpers/png.ts';

/** The status colours of nodes drawn small (zoomed out), as page.ts draws them. */
const EXECUTED = '#2f9e5f', STORED = '#4a74c9', NOT_RECIPIENT = '#8c929a';

interface GraphApi {
  ready: boolean; renderMs: number; total: number; edges: number;
  shown(): number; scale(): number; selected(): string | null;
  screenBox(id: string): { x: number; y: number; w: number; h: number } | null;
}
const api = <T>(page: Page, f: (g: GraphApi) => T) => page.evaluate(f as never) as Promise<T>;
const graph = (page: Page) => page.evaluate(() => {
  const g = (window as unknown as { kapsuleGraph: GraphApi }).kapsuleGraph;
  return { total: g.total, edges: g.edges, shown: g.shown(), scale: g.scale(), selected: g.selected(), renderMs: g.renderMs };
});
const box = (page: Page, id: string) => page.evaluate((x) => (window as unknown as { kapsuleGraph: GraphApi }).kapsuleGraph.screenBox(x), id);

/** Chooses the option of filter `f` whose label starts with `label` ("not-recipient (2950)"). */
async function choose(page: Page, f: string, label: string): Promise<void> {
  const value = await page.$eval(`#f-${f}`, (s, t) => Array.from((s as HTMLSelectElement).options).find((o) => o.text.startsWith(t))?.value ?? null, label);
  assert.ok(value !== null, `filter ${f} has an option "${label}"`);
  await page.selectOption(`#f-${f}`, value);
}

async function open(page: Page, file: string): Promise<{ requests: string[]; errors: string[]; loadMs: number }> {
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (window as unknown as { kapsuleGraph?: GraphApi }).kapsuleGraph?.ready === true, null, { timeout: 120_000 });
  return { requests, errors, loadMs: Date.now() - t0 };
}

test('a small DAG: every capsule and edge drawn, click shows details, id search selects, filters hide', async () => {
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

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    const { requests, errors } = await open(page, join(d, 'dag.html'));
    assert.deepEqual(await graph(page).then((g) => [g.total, g.edges, g.shown]), [5, 5, 5]);
    const view = (await page.locator('#view').boundingBox())!;
    for (const c of [root, ...kids, merge]) {
      const r = (await box(page, toHex(c.id)))!;
      assert.ok(r.x >= view.x && r.y >= view.y && r.x + r.w <= view.x + view.width && r.y + r.h <= view.y + view.height, 'every node fits on screen');
      assert.ok(r.w > 100, 'and is readable at this size');
    }
    // a click on the merge capsule shows it and links its parents
    const m = (await box(page, toHex(merge.id)))!;
    await page.mouse.click(m.x + m.w / 2, m.y + m.h / 2);
    assert.equal((await graph(page)).selected, toHex(merge.id));
    const details = await page.locator('#details').innerText();
    assert.ok(details.includes(toHex(merge.id)), 'details show the clicked capsule id');
    for (const p of [kids[0], kids[1]]) assert.ok(details.includes(toHex(p.id).slice(0, 16)), 'and its parents');
    // a parent link jumps to the parent
    await page.locator(`#details button[title="${toHex(kids[1].id)}"]`).click();
    assert.equal((await graph(page)).selected, toHex(kids[1].id));
    // search by id prefix
    await page.fill('#search', toHex(kids[2].id).slice(0, 6));
    assert.equal(await page.locator('#matches').innerText(), '1 match');
    assert.equal((await graph(page)).selected, toHex(kids[2].id));
    // filters hide what they should
    await page.fill('#search', '');
    await choose(page, 'kind', 'comment');
    assert.equal((await graph(page)).shown, 4);
    assert.equal(await box(page, toHex(root.id)), null, 'the post is hidden');
    await choose(page, 'author', toHex(me.sigPublic).slice(0, 16));
    assert.equal((await graph(page)).shown, 1);
    await page.click('#reset');
    assert.equal((await graph(page)).shown, 5);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no network');
  } finally {
    await browser.close();
  }
});

test('10,000 capsules: page size and render time measured; after fit every status is on screen; a filter takes the others off', { timeout: 600_000 }, async (t) => {
  const d = tempDir();
  let t0 = Date.now();
  const dag = await buildDagStore(d, 10_000);
  const fixtureMs = Date.now() - t0;
  t0 = Date.now();
  const io = captureIO(d);
  assert.equal(await kapsule(['graph', '--db', 'dag.db', '--format', 'html', '--out', 'dag.html'], io), 0, io.stderr);
  const writeMs = Date.now() - t0;
  const bytes = statSync(join(d, 'dag.html')).size;

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const { requests, errors, loadMs } = await open(page, join(d, 'dag.html'));
    const g = await graph(page);
    t.diagnostic(`10,000 capsules: page ${(bytes / 1024 / 1024).toFixed(2)} MiB; kapsule graph wrote it in ${writeMs} ms (fixture ${fixtureMs} ms); `
      + `first drawing ${g.renderMs.toFixed(0)} ms after the script started, ${loadMs} ms after navigation`);
    assert.equal(g.total, 10_000);
    assert.equal(g.shown, 10_000);
    assert.ok(bytes < 8 * 1024 * 1024, `the page is ${bytes} bytes`);
    assert.ok(loadMs < 60_000, `opening took ${loadMs} ms`);

    // after fit: every node inside the view, and each status colour on screen
    const view = (await page.locator('#view').boundingBox())!;
    for (const id of dag.ids.filter((_, i) => i % 997 === 0)) {
      const r = (await box(page, id))!;
      assert.ok(r.x >= view.x - 1 && r.y >= view.y - 1 && r.x + r.w <= view.x + view.width + 1 && r.y + r.h <= view.y + view.height + 1, `${id} is on screen after fit`);
    }
    let shot = decodePng(await page.screenshot({ path: join(process.env.KAPSULE_SHOTS ?? d, 'fit.png') }));
    const pixels = (colour: string) => countColour(shot, colour, { x: view.x, y: view.y, w: view.width, h: view.height });
    const fitted = { executed: pixels(EXECUTED), stored: pixels(STORED), notRecipient: pixels(NOT_RECIPIENT) };
    t.diagnostic(`pixels after fit: ${JSON.stringify(fitted)}`);
    assert.ok(fitted.executed > 500 && fitted.stored > 500 && fitted.notRecipient > 500, JSON.stringify(fitted));

    // filter: not-recipient only → exactly those are shown, and no executed or stored node is drawn
    await choose(page, 'status', 'not-recipient');
    assert.equal((await graph(page)).shown, dag.byStatus['not-recipient']);
    shot = decodePng(await page.screenshot({ path: join(process.env.KAPSULE_SHOTS ?? d, 'not-recipient.png') }));
    assert.equal(pixels(EXECUTED), 0, 'executed capsules are hidden');
    assert.equal(pixels(STORED), 0, 'stored capsules are hidden');
    assert.ok(pixels(NOT_RECIPIENT) > 500);
    // verdict and channel filters count what the fixture made
    await page.click('#reset');
    await choose(page, 'verdict', 'hide');
    assert.equal((await graph(page)).shown, dag.byVerdict.hide);
    shot = decodePng(await page.screenshot());
    assert.ok(pixels(EXECUTED) > 0, 'the hidden-verdict capsules are executed ones');
    assert.equal(pixels(NOT_RECIPIENT), 0);
    await page.click('#reset');
    await choose(page, 'channel', 'ch3');
    assert.equal((await graph(page)).shown, dag.byChannel.ch3);
    // search: a prefix finds the capsule and zooms to it, readable
    await page.click('#reset');
    const target = dag.ids[7777];
    await page.fill('#search', target.slice(0, 10));
    const after = await graph(page);
    assert.equal(after.selected, target);
    assert.ok(after.scale >= 0.8);
    const r = (await box(page, target))!;
    assert.ok(Math.abs(r.x + r.w / 2 - (view.x + view.width / 2)) < 2, 'centred');
    // zoom and fit
    await page.click('#fit');
    const fitScale = (await graph(page)).scale;
    await page.click('#zoom-in');
    assert.ok((await graph(page)).scale > fitScale * 1.3);
    await page.keyboard.press('f');
    assert.equal((await graph(page)).scale, fitScale);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no network');
  } finally {
    await browser.close();
  }
  void api;
});
