import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium } from './browser';
import { repoRoot } from './build-web';
import { DEMO, openPage, signIn, until } from './session';
import { startStack, type Stack } from './stack';

// Issue #16's browser acceptance, through the UI as a fleet manager does it: a group and an operator
// limited to it, a maintenance rule, a notification rule, a scheduled report, and the speed chart
// following the replay. The demo seed provides the vehicles and three days of driving each.

const ARTIFACTS = path.join(repoRoot, 'tmp/e2e-artifacts');
const run = randomBytes(3).toString('hex');
const REGION = `Norte ${run}`;
const DEPOT = `Depot Norte ${run}`;
const INSIDE = 'Van 01'; // put in the depot
const OUTSIDE = 'Truck 02'; // left outside any group
const OPERATOR = { email: `ops-${run}@example.com`, password: `operator-pass-${run}-2026` };

let stack: Stack;
let browser: Browser;
let page: Page;
let operator: { page: Page; errors: string[] } | undefined;
let pageErrors: string[] = [];

async function shot(name: string, p = page) {
  await p.screenshot({ path: path.join(ARTIFACTS, `fleet-${name}.png`) });
}

const nav = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
const adminTab = (name: string) =>
  page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name, exact: true });

/** Posts fixes for the named vehicle through the ingest API, as its tracker would (seeding, not UI). */
async function postFixes(vehicleName: string, fixes: Record<string, unknown>[]) {
  const call = async <T>(method: string, route: string, token?: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${stack.apiUrl}${route}`, {
      method,
      headers: { ...(token && { authorization: `Bearer ${token}` }), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  };
  const { accessToken } = await call<{ accessToken: string }>('POST', '/api/v1/auth/login', undefined, {
    ...DEMO,
    client: 'mobile',
  });
  const found = await call<{ items: { id: string; name: string }[] }>(
    'GET',
    `/api/v1/vehicles?q=${encodeURIComponent(vehicleName)}`,
    accessToken,
  );
  const vehicle = found.items.find((v) => v.name === vehicleName);
  if (!vehicle) throw new Error(`no vehicle named ${vehicleName}`);
  const { deviceToken } = await call<{ deviceToken: string }>(
    'POST',
    `/api/v1/vehicles/${vehicle.id}/device-token`,
    accessToken,
  );
  await call('POST', '/api/v1/positions', deviceToken, fixes);
}

/** The value of the option of `select` whose text is `text` (indents of nested groups aside). */
async function optionValue(select: Locator, text: string): Promise<string> {
  const values = await select
    .locator('option')
    .evaluateAll(
      (os, want) => os.filter((o) => o.textContent?.trim() === want).map((o) => (o as HTMLOptionElement).value),
      text,
    );
  if (values.length !== 1) throw new Error(`${values.length} options named ${text} in ${select}`);
  return values[0];
}

// The web-e2e project's testTimeout is not applied when jest runs from the root: set here.
jest.setTimeout(180_000);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack('web_e2e_fleet');
  browser = await launchChromium();
  ({ page, errors: pageErrors } = await openPage(browser));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  // A script error in either user's page fails the step that caused it.
  const errors = [...pageErrors.splice(0), ...(operator?.errors.splice(0) ?? [])];
  expect(errors).toEqual([]);
});

describe('fleet management in the browser', () => {
  it('nests a depot group in a region and puts a vehicle in it', async () => {
    await signIn(page, stack.webUrl, DEMO);
    await nav('Administration').click();
    await adminTab('Groups').click();
    const tree = page.getByRole('list', { name: 'Groups' });
    for (const [name, parent] of [
      [REGION, undefined],
      [DEPOT, REGION],
    ] as const) {
      await page.getByRole('button', { name: 'New group' }).click();
      const form = page.getByRole('form', { name: 'New group' });
      await form.getByLabel('Name').fill(name);
      if (parent) {
        const inside = form.getByLabel('Inside');
        await inside.selectOption(await optionValue(inside, parent));
      }
      await form.getByRole('button', { name: 'Save' }).click();
      await tree.getByText(name, { exact: true }).waitFor({ timeout: 15_000 });
    }
    // The depot is listed under the region, indented one level, with no vehicle yet.
    const depotItem = tree.locator('li', { has: page.getByText(DEPOT, { exact: true }) });
    await expect(depotItem.innerText()).resolves.toContain('0 vehicles');
    const indent = async (name: string) =>
      tree
        .locator('li', { has: page.getByText(name, { exact: true }) })
        .evaluate((li) => parseFloat(getComputedStyle(li).paddingInlineStart));
    expect(await indent(DEPOT)).toBeGreaterThan(await indent(REGION));

    await adminTab('Vehicles').click();
    await page.getByRole('button', { name: `Edit ${INSIDE}`, exact: true }).click();
    const group = page.getByLabel('Group', { exact: true }).last();
    await group.selectOption(await optionValue(group, DEPOT));
    await page.getByRole('button', { name: 'Save' }).click();
    const row = page.locator('tbody tr', { has: page.getByRole('cell', { name: INSIDE, exact: true }) });
    await row.getByRole('cell', { name: DEPOT, exact: true }).waitFor({ timeout: 15_000 });

    await adminTab('Groups').click();
    await until(
      page,
      () => depotItem.innerText(),
      (text) => text.includes('1 vehicle'),
      15_000,
    );
    await expect(depotItem.innerText()).resolves.toContain('1 vehicle');
    await shot('01-groups');
  });

  it('invites an operator, limits them to the depot, and they see only its vehicle', async () => {
    await adminTab('Users').click();
    const invite = page.getByRole('form', { name: 'Invite a user' });
    await invite.getByLabel('E-mail').fill(OPERATOR.email);
    await invite.getByLabel('Name').fill(`Depot operator ${run}`);
    await invite.getByLabel('Role').selectOption('operator');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    const link = await page
      .getByRole('group', { name: 'Invitation link (valid for 7 days)' })
      .locator('code')
      .innerText({ timeout: 15_000 });
    expect(link).toMatch(/\/accept-invitation\?token=/);

    // The invitee, in a browser of their own: sets a password from the link.
    operator = await openPage(browser);
    const ops = operator.page;
    await ops.goto(link);
    await ops.getByLabel('Password').fill(OPERATOR.password);
    await ops.getByRole('button', { name: 'Set my password' }).click();
    await ops.getByRole('status').getByText('Done: you can sign in now.').waitFor({ timeout: 15_000 });

    // The admin reloads the users page, finds the new user there and limits them to the depot.
    await page.reload();
    const scope = page.getByLabel(`Groups of ${OPERATOR.email}`);
    await scope.waitFor({ timeout: 15_000 });
    await scope.selectOption([await optionValue(scope, DEPOT)]);
    const userRow = page.locator('tbody tr', { has: scope });
    await until(
      page,
      () => userRow.innerText(),
      (text) => !text.includes('Whole organization'),
      15_000,
    );
    await expect(userRow.innerText()).resolves.not.toContain('Whole organization');
    await expect(
      scope.evaluate((s) => [...(s as HTMLSelectElement).selectedOptions].map((o) => o.text.trim())),
    ).resolves.toEqual([DEPOT]);
    await shot('02-operator-scoped');

    await signIn(ops, stack.webUrl, OPERATOR);
    await ops.getByText('1 vehicle shown', { exact: true }).waitFor();
    const rows = ops.locator('[data-vehicle-row]');
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().innerText()).resolves.toMatch(new RegExp(`^${INSIDE}`));
    await ops.getByLabel('Search').fill(OUTSIDE);
    await ops.getByText('0 vehicles shown', { exact: true }).waitFor();
    // An operator has no administration.
    await expect(ops.getByRole('link', { name: 'Administration' }).count()).resolves.toBe(0);
    await shot('03-operator-view', ops);
    // The admin, for comparison, sees the vehicle outside the depot.
    await nav('Live map').click();
    await page.getByLabel('Search').fill(OUTSIDE);
    await page.getByText('1 vehicle shown', { exact: true }).waitFor();
  });

  it('creates a maintenance rule every 15,000 km for the depot and lists the vehicle’s status', async () => {
    const name = `Service 15k ${run}`;
    // Seeding only (the UI has no way to drive): the tracker of the depot's vehicle reports its odometer,
    // 14,600 km, through the ingest API; the worker moves the vehicle's counters from it.
    await postFixes(INSIDE, [
      { ts: new Date().toISOString(), lat: 40.4531, lon: -3.6883, speed: 0, attributes: { odometer: 14_600_000 } },
    ]);
    await nav('Maintenance').click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Applies to').selectOption('group');
    const group = form.getByLabel('Group', { exact: true });
    await group.selectOption(await optionValue(group, DEPOT));
    await form.getByLabel('Every (km)').fill('15000');
    await form.getByLabel('Notice (km before)').fill('500');
    await form.getByRole('button', { name: 'Create' }).click();

    const rule = page.getByTestId('maintenance-rules').locator('tbody tr', { hasText: name });
    await rule.waitFor({ timeout: 15_000 });
    await expect(rule.innerText()).resolves.toMatch(new RegExp(`${DEPOT}\\s+15,000 km\\s+500 km\\s+Enabled`));
    // The depot's vehicle (and only it) gets the rule: its odometer and where the next service falls.
    // The depot's vehicle (and only it) gets the rule, with the odometer its tracker reported: within the
    // 500 km notice of 15,000 km, so due. The worker may still be on the fix: the page is read again.
    const status = page.getByTestId('maintenance-status').locator('tbody tr', { hasText: name });
    const statusText = async () => {
      await status.first().waitFor({ timeout: 15_000 });
      return status.first().innerText();
    };
    const text = await until(
      page,
      statusText,
      (t) => t.includes('14,600 km'),
      60_000,
      () => page.reload(),
    );
    await expect(status.count()).resolves.toBe(1);
    expect(text).toMatch(new RegExp(`^${INSIDE}\\s+14,600 km`));
    expect(text).toContain(`Due · ${name}: at 15,000 km`);
    await shot('04-maintenance');
  });

  it('creates an e-mail notification rule for an event type and lists it', async () => {
    const name = `Overspeed mail ${run}`;
    await nav('Notifications').click();
    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('E-mail', { exact: true }).fill(`alerts-${run}@example.com`);
    await form.getByLabel('Overspeed', { exact: true }).check();
    await form.getByLabel(`— ${DEPOT}`, { exact: true }).check();
    await form.getByRole('button', { name: 'Create' }).click();

    const row = page.locator('tbody tr', { hasText: name });
    await row.waitFor({ timeout: 15_000 });
    const text = await row.innerText();
    expect(text).toContain('Overspeed');
    expect(text).toContain(`E-mail: alerts-${run}@example.com`);
    expect(text).toContain('Enabled');
    await shot('05-notification-rule');
  });

  it('schedules a daily trips report for the depot and lists its next send', async () => {
    const name = `Depot trips ${run}`;
    await nav('Reports').click();
    const section = page.getByRole('region', { name: 'Scheduled reports' });
    await section.getByRole('button', { name: 'New scheduled report' }).click();
    const form = section.getByRole('form', { name: 'New scheduled report' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Report', { exact: true }).selectOption('trips');
    await form.getByLabel('Recipients (e-mail)').fill(`reports-${run}@example.com`);
    await form.getByLabel('Frequency').selectOption('daily');
    await form.getByLabel('Hour (0–23)').fill('6');
    await form.getByLabel('Time zone').fill('UTC');
    await form.getByLabel(`— ${DEPOT}`, { exact: true }).check();
    await form.getByRole('button', { name: 'Create' }).click();

    const row = section.locator('tbody tr', { hasText: name });
    await row.waitFor({ timeout: 15_000 });
    const cells = await row.locator('td').allInnerTexts();
    expect(cells.slice(0, 4)).toEqual([name, 'Trips', 'Every day at 06:00 UTC', `reports-${run}@example.com`]);
    // The next send: today's 06:00 UTC if still ahead, else tomorrow's, as the page writes a moment.
    const next = new Date();
    next.setUTCHours(6, 0, 0, 0);
    if (next.getTime() <= Date.now()) next.setUTCDate(next.getUTCDate() + 1);
    const written = new Intl.DateTimeFormat('en', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'UTC' }).format(
      next,
    );
    const spaces = (text: string) => text.replace(/\s+/g, ' ');
    expect(spaces(cells[4])).toBe(spaces(written));
    await shot('06-report-schedule');
  });

  it('replays a seeded day with the speed chart’s cursor following it, and seeks from the chart', async () => {
    await nav('History').click();
    await page.getByTestId('period-vehicle').selectOption({ label: INSIDE });
    // The seed drives every vehicle on the three days before the day it ran (UTC).
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('From', { exact: true }).fill(`${day}T00:00`);
    await page.getByLabel('To', { exact: true }).fill(`${day}T23:59`);
    await page.getByRole('button', { name: 'Show' }).click();
    const plot = page.getByTestId('history-chart-plot');
    await plot.locator('canvas').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('chart-summary').textContent()).resolves.toMatch(/^Speed: maximum \d+ km\/h/);

    const scrub = page.getByTestId('replay-scrub');
    const min = Number(await scrub.getAttribute('min'));
    const max = Number(await scrub.getAttribute('max'));
    const replayMs = async () => Number(await scrub.inputValue());
    const cursorMs = async () => Number(await plot.getAttribute('data-cursor-ms'));
    const close = (a: number, b: number) => Math.abs(a - b) <= 1000;
    expect(max).toBeGreaterThan(min);

    // Moving the replay's slider moves the chart's cursor there.
    const target = min + Math.round((0.3 * (max - min)) / 1000) * 1000;
    await scrub.fill(String(target));
    expect(await until(page, cursorMs, (ms) => close(ms, target))).toBeCloseTo(target, -4);
    const factsAtTarget = await page.getByTestId('cursor-facts').innerText();
    expect(factsAtTarget).toMatch(/km\/h/);

    // Playing moves both, together.
    await page.getByLabel('Speed', { exact: true }).selectOption('64');
    await page.getByTestId('replay-play').click();
    await until(page, replayMs, (ms) => ms > target + 60_000, 30_000);
    await page.getByTestId('replay-play').click(); // pause
    const paused = await replayMs();
    expect(paused).toBeGreaterThan(target + 60_000);
    const followed = await until(page, cursorMs, (ms) => close(ms, paused));
    expect(Math.abs(followed - paused)).toBeLessThanOrEqual(1000);
    // …and the line drawn on the chart is there too, as a fraction of the plotting area's width.
    const area = await plot.locator('.u-over').boundingBox();
    const line = await page.getByTestId('chart-cursor').boundingBox();
    if (!area || !line) throw new Error('the chart’s plotting area or cursor line is not shown');
    expect((line.x + line.width / 2 - area.x) / area.width).toBeCloseTo((paused - min) / (max - min), 2);

    // A click on the chart moves the replay (slider and facts) to that moment.
    const over = await plot.locator('.u-over').boundingBox();
    if (!over) throw new Error('the chart’s plotting area is not shown');
    await page.mouse.click(over.x + 0.8 * over.width, over.y + over.height / 2);
    const at = min + 0.8 * (max - min);
    const tolerance = (2 * (max - min)) / over.width + 1000;
    const seeked = await until(page, replayMs, (ms) => Math.abs(ms - at) <= tolerance);
    expect(Math.abs(seeked - at)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((await until(page, cursorMs, (ms) => close(ms, seeked))) - seeked)).toBeLessThanOrEqual(1000);
    await expect(page.getByTestId('cursor-facts').innerText()).resolves.not.toBe(factsAtTarget);
    await shot('07-replay-chart');
  });
});
