/**
 * The trust report end to end on the synthetic set (small settings): `trustnlu report` writes
 * index.html and report.json; the page opens in headless Chromium without console errors or
 * network requests, every number shown equals report.json at its path (same formatting rule),
 * and a screenshot is taken.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatValue, valueAt } from '../../src/report/index.js';
import { launchChromium } from '../browser.js';

const BIN = join(process.cwd(), 'bin', 'trustnlu.js');

test('trustnlu report on the synthetic set: page and report.json agree, no console errors, screenshot', async () => {
  const out = mkdtempSync(join(tmpdir(), 'report-'));
  const r = spawnSync(
    process.execPath,
    [BIN, 'report', '--dataset', 'synthetic', '--epochs', '3', '--shadows', '2', '--audit-examples', '60', '--workers', '0', '--out', out, '--json'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const printed = JSON.parse(r.stdout.trim());
  assert.equal(printed.synthetic, true);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(report.models.length, 2);
  assert.equal(report.models[0].private, false);
  assert.equal(report.models[1].private, true);
  assert.ok(report.models[1].privacy.epsilon > 0 && report.models[1].privacy.epsilon <= 8 + 1e-9, 'spent ε within the target');
  for (const m of report.models) {
    assert.ok(m.accuracy >= 0 && m.accuracy <= 1);
    assert.equal(m.audit.length, 2);
    for (const a of m.audit) assert.ok(a.auc >= 0 && a.auc <= 1 && a.roc.length >= 2, JSON.stringify(a).slice(0, 200));
    assert.ok(m.fairness && m.fairness.accuracyByGroup.length === 2);
  }
  assert.ok(report.summary.some((s: string) => /SYNTHETIC/.test(s)), 'synthetic data is said in plain words');

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`);
    });
    await page.goto(pathToFileURL(join(out, 'index.html')).href);
    const shown = await page.$$eval('[data-report]', (els) => els.map((e) => ({ path: e.getAttribute('data-report')!, text: e.textContent ?? '' })));
    assert.ok(shown.length >= 40, `only ${shown.length} numbers on the page`);
    for (const { path, text } of shown) {
      const value = valueAt(report, path);
      assert.notEqual(value, undefined, `page shows ${path}, which report.json does not have`);
      assert.equal(text, formatValue(value as number), `${path}: page "${text}" vs report.json ${JSON.stringify(value)}`);
    }
    assert.ok((await page.$$('svg')).length >= 3, 'charts rendered');
    assert.match(await page.textContent('body') ?? '', /Synthetic data/);
    const shot = join(out, 'screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(existsSync(shot) && statSync(shot).size > 10_000);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
