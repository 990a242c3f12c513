import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { buildWeb, initialScripts, repoRoot } from './build-web';
import { DEMO, openPage, signIn, until as untilOn } from './session';
import { startStack, type Stack } from './stack';

const ARTIFACTS = path.join(repoRoot, 'tmp/e2e-artifacts');

let stack: Stack;
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

/** Polls `read` until `ok` holds, for at most `ms`; returns the last value read either way. */
const until = <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> => untilOn(page, read, ok, ms);

/** The element's box on the page; it must be shown. */
async function boxOf(locator: Locator) {
  const box = await locator.boundingBox();
  if (!box) throw new Error(`${locator} is not shown`);
  return box;
}

// Set here, not only in the project's config: on a loaded CI run these tests timed out at jest's
// default 5 s. Each step of this suite may take seconds.
jest.setTimeout(120_000);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack('web_e2e_chart');
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  const errors = pageErrors.splice(0);
  expect(errors).toEqual([]);
});

describe('the history chart', () => {
  const scrub = () => page.getByTestId('replay-scrub');
  const plot = () => page.getByTestId('history-chart-plot');
  /** The scrubber's range and value, epoch milliseconds. */
  const range = async () => {
    const s = scrub();
    return {
      min: Number(await s.getAttribute('min')),
      max: Number(await s.getAttribute('max')),
      value: Number(await s.inputValue()),
    };
  };
  const chartCursorMs = async () => Number(await plot().getAttribute('data-cursor-ms'));
  /** Where the chart's cursor line is, as a fraction of the plotting area's width. */
  const markerFraction = async () => {
    const over = await boxOf(plot().locator('.u-over'));
    const line = await boxOf(page.getByTestId('chart-cursor'));
    return (line.x + line.width / 2 - over.x) / over.width;
  };

  it('shows the speed of a seeded day under the replay, with its figures in words', async () => {
    await signIn(page, stack.webUrl, DEMO);
    await page.getByText('25 vehicles shown').waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByTestId('period-vehicle').selectOption({ label: 'Van 01' });
    // The seed drives every vehicle on the three days before the day it ran (UTC).
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('From', { exact: true }).fill(`${day}T00:00`);
    await page.getByLabel('To', { exact: true }).fill(`${day}T23:59`);
    await page.getByRole('button', { name: 'Show' }).click();

    await plot().locator('canvas').waitFor({ timeout: 20_000 });
    const figure = page.getByRole('figure', { name: 'Chart of the period' });
    const summaryId = await page.getByTestId('chart-summary').getAttribute('id');
    await expect(figure.getAttribute('aria-describedby')).resolves.toBe(summaryId);
    const caption = await page.getByTestId('chart-summary').textContent();
    expect(caption).toMatch(/^Speed: maximum \d+ km\/h, average \d+ km\/h\./);
    const [, max, avg] = /maximum (\d+) km\/h, average (\d+) km\/h/.exec(caption ?? '')?.map(Number) ?? [];
    expect(max).toBeGreaterThan(0);
    expect(avg).toBeLessThanOrEqual(max);
    await expect(plot().locator('.u-legend').innerText()).resolves.toContain('Speed (km/h)');
    // At load the replay and the chart's cursor are both at the first fix, the chart's left edge.
    const { min, value } = await range();
    expect(value).toBe(min);
    expect(await until(chartCursorMs, (ms) => ms === min)).toBe(min);
    expect(await markerFraction()).toBeCloseTo(0, 2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chart-01-loaded.png') });
  });

  it('moves the chart’s cursor with the replay’s slider and while playing', async () => {
    const { min, max } = await range();
    const target = min + Math.round((0.4 * (max - min)) / 1000) * 1000;
    await scrub().fill(String(target));
    expect(await until(chartCursorMs, (ms) => Math.abs(ms - target) <= 1000)).toBeCloseTo(target, -4);
    expect(await markerFraction()).toBeCloseTo((target - min) / (max - min), 2);

    await page.getByLabel('Speed', { exact: true }).selectOption('64');
    await page.getByTestId('replay-play').click();
    await until(range, (r) => r.value > target + 30_000);
    await page.getByTestId('replay-play').click(); // pause
    const paused = (await range()).value;
    expect(paused).toBeGreaterThan(target + 30_000);
    expect(Math.abs((await until(chartCursorMs, (ms) => Math.abs(ms - paused) <= 1000)) - paused)).toBeLessThanOrEqual(
      1000,
    );
    expect(await markerFraction()).toBeCloseTo((paused - min) / (max - min), 2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chart-02-followed.png') });
  });

  it('seeks the replay where the chart is clicked, and follows a drag along it', async () => {
    const { min, max } = await range();
    const over = await boxOf(plot().locator('.u-over'));
    const y = over.y + over.height / 2;
    // One CSS pixel of the plot is this much time; allow two and the slider's one-second step.
    const tolerance = (2 * (max - min)) / over.width + 1000;
    const at = (f: number) => min + f * (max - min);

    await page.mouse.click(over.x + 0.75 * over.width, y);
    const clicked = await until(range, (r) => Math.abs(r.value - at(0.75)) <= tolerance);
    expect(Math.abs(clicked.value - at(0.75))).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((await chartCursorMs()) - at(0.75))).toBeLessThanOrEqual(tolerance);
    expect(await markerFraction()).toBeCloseTo(0.75, 2);
    const factsAtClick = await page.getByTestId('cursor-facts').innerText();

    await page.mouse.move(over.x + 0.2 * over.width, y);
    await page.mouse.down();
    await page.mouse.move(over.x + 0.35 * over.width, y, { steps: 5 });
    const mid = await until(range, (r) => Math.abs(r.value - at(0.35)) <= tolerance);
    expect(Math.abs(mid.value - at(0.35))).toBeLessThanOrEqual(tolerance);
    await page.mouse.move(over.x + 0.5 * over.width, y, { steps: 5 });
    await page.mouse.up();
    const dropped = await until(range, (r) => Math.abs(r.value - at(0.5)) <= tolerance);
    expect(Math.abs(dropped.value - at(0.5))).toBeLessThanOrEqual(tolerance);
    expect(await markerFraction()).toBeCloseTo(0.5, 2);
    // The rest of the replay went along: the facts at the cursor are another moment's.
    await expect(page.getByTestId('cursor-facts').innerText()).resolves.not.toBe(factsAtClick);
    // A move without the button held does not seek.
    await page.mouse.move(over.x + 0.9 * over.width, y, { steps: 3 });
    expect(Math.abs((await range()).value - dropped.value)).toBeLessThanOrEqual(1000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'chart-03-dragged.png') });
  });

  it('speaks Spanish with the rest of the page', async () => {
    await page.getByTestId('language-switch').selectOption('es');
    await page.getByRole('figure', { name: 'Gráfica del periodo' }).waitFor();
    await expect(page.getByTestId('chart-summary').textContent()).resolves.toMatch(
      /Velocidad: máxima \d+ km\/h, media \d+ km\/h\./,
    );
    await until(
      () => plot().locator('.u-legend').innerText(),
      (text) => text.includes('Velocidad (km/h)'),
    );
    await expect(plot().locator('.u-legend').innerText()).resolves.toContain('Velocidad (km/h)');
    await page.getByTestId('language-switch').selectOption('en');
  });

  it('leaves uPlot out of the JavaScript the app loads first, which stays within 300 KB gzip', () => {
    const out = path.join(repoRoot, 'tmp', `e2e-chart-size-${process.pid}`);
    try {
      buildWeb(out);
      const gzKb = (file: string) => gzipSync(readFileSync(path.join(out, file)), { level: 9 }).length / 1024;
      const initial = initialScripts(out);
      const withUplot = readdirSync(path.join(out, 'assets')).filter(
        (f) => f.endsWith('.js') && readFileSync(path.join(out, 'assets', f), 'utf8').includes('u-over'),
      );
      expect(withUplot).toHaveLength(1); // the chart's own chunk
      expect(initial.map((f) => path.basename(f))).not.toContain(withUplot[0]);
      expect(initial.reduce((kb, f) => kb + gzKb(f), 0)).toBeLessThanOrEqual(300);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
