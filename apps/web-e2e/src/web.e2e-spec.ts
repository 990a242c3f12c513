import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from './build-web';
import { launchChromium } from './browser';
import { DEMO, openPage } from './session';
import { startStack, type Stack } from './stack';

const ARTIFACTS = path.join(repoRoot, 'tmp/e2e-artifacts');

let stack: Stack;
let browser: Browser;
let page: Page;
let accessToken: string;
let pageErrors: string[] = [];

async function shot(name: string) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

async function api<T>(method: string, route: string, body?: unknown, token = accessToken): Promise<T> {
  const res = await fetch(`${stack.apiUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

// Set here, not only in the project's config: on a loaded CI run these tests timed out at jest's
// default 5 s. Each step of this suite may take seconds.
jest.setTimeout(120_000);

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stack = await startStack('web_e2e');
  browser = await launchChromium();
  // UTC and English whatever the machine says, so dates and texts are what the test expects.
  ({ page, errors: pageErrors } = await openPage(browser));
  const login = await fetch(`${stack.apiUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...DEMO, client: 'mobile' }),
  });
  accessToken = ((await login.json()) as { accessToken: string }).accessToken;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  // A script error in the page fails the step that caused it.
  const errors = pageErrors.splice(0);
  expect(errors).toEqual([]);
});

describe('the web app against the running stack', () => {
  it('signs the demo user in and shows the seeded fleet on the map and in the list', async () => {
    await page.goto(stack.webUrl);
    await page.getByLabel('E-mail').fill(DEMO.email);
    await page.getByLabel('Password').fill(DEMO.password);
    await shot('01-login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('25 vehicles shown').waitFor({ timeout: 15_000 });
    await page.locator('[data-vehicle-row]').first().waitFor();
    await page.locator('.leaflet-marker-icon').first().waitFor();
    expect(await page.locator('.leaflet-marker-icon').count()).toBeGreaterThan(3);
    await shot('02-live-map');
    // The list is virtual (only rows in view exist): search brings any vehicle up.
    await page.getByLabel('Search').fill('van 01');
    await page.getByText('1 vehicle shown').waitFor();
    expect(await page.locator('[data-vehicle-row]').count()).toBe(1);
    await expect(page.locator('[data-vehicle-row]').innerText()).resolves.toMatch(/^Van 01/);
  });

  it('moves a vehicle’s marker within 2 s of a position posted to the ingest API, without reload', async () => {
    const vehicles = await api<{ items: { id: string; name: string }[] }>('GET', '/api/v1/vehicles?q=Van%2001');
    const van = vehicles.items.find((v) => v.name === 'Van 01')!;
    const { deviceToken } = await api<{ deviceToken: string }>('POST', `/api/v1/vehicles/${van.id}/device-token`);

    await page.getByRole('button', { name: /^Van 01/ }).click();
    const card = page.getByTestId('vehicle-card');
    await card.waitFor();
    const marker = page.locator(`[data-vehicle-id="${van.id}"]`);
    await marker.waitFor();
    const before = (await marker.boundingBox())!;
    const [lat, lon] = (await page.getByTestId('vehicle-coordinates').innerText()).split(',').map(Number);
    await shot('03-vehicle-selected');

    const target = { lat: +(lat + 0.0015).toFixed(6), lon: +(lon + 0.002).toFixed(6) };
    const sent = Date.now();
    const res = await fetch(`${stack.apiUrl}/api/v1/positions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ts: new Date().toISOString(), ...target, speed: 32, heading: 45, battery: 88 }),
    });
    expect(res.status).toBe(202);
    let moved = 0;
    while (Date.now() - sent < 5000) {
      const box = await marker.boundingBox();
      if (box && (Math.abs(box.x - before.x) > 5 || Math.abs(box.y - before.y) > 5)) {
        moved = Date.now() - sent;
        break;
      }
      await page.waitForTimeout(25);
    }
    await shot('04-marker-moved');
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThanOrEqual(2000);
    // north-east of where it was on screen, and the card shows the new fix
    const after = (await marker.boundingBox())!;
    expect(after.x).toBeGreaterThan(before.x);
    expect(after.y).toBeLessThan(before.y);
    await expect(page.getByTestId('vehicle-coordinates').innerText()).resolves.toBe(
      `${target.lat.toFixed(5)}, ${target.lon.toFixed(5)}`,
    );
    console.log(`marker moved ${moved} ms after the ingest request was sent`);
  });

  it('draws a polygon geofence, names it and finds it saved', async () => {
    await page.getByRole('link', { name: 'Geofences' }).click();
    await page.getByRole('heading', { name: 'Geofences' }).waitFor();
    await page.locator('.leaflet-pm-icon-polygon').click();
    const map = (await page.locator('.map').boundingBox())!;
    const cx = map.x + map.width / 2;
    const cy = map.y + map.height / 2;
    const corners = [
      [cx - 120, cy - 80],
      [cx + 120, cy - 90],
      [cx + 140, cy + 90],
      [cx - 100, cy + 100],
    ];
    for (const [x, y] of corners) {
      await page.mouse.click(x, y);
      await page.waitForTimeout(150);
    }
    await page.mouse.click(corners[0][0], corners[0][1]); // back on the first corner closes it
    const form = page.getByTestId('new-geofence');
    await form.waitFor();
    await form.getByLabel('Name').fill('E2E depot');
    await shot('05-geofence-drawn');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('geofence-list').getByText('E2E depot').waitFor();
    const saved = await api<{ items: { name: string; kind: string; geometry: { coordinates: number[][][] } }[] }>(
      'GET',
      '/api/v1/geofences?q=E2E',
    );
    expect(saved.items).toHaveLength(1);
    expect(saved.items[0].kind).toBe('polygon');
    expect(saved.items[0].geometry.coordinates[0]).toHaveLength(5); // 4 corners, closed
    await shot('06-geofence-saved');
  });

  it('replays a seeded day and lists its trips', async () => {
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    await page.getByTestId('period-vehicle').selectOption({ label: 'Van 01' });
    // The seed drives every vehicle on the three days before the day it ran (UTC).
    const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('From', { exact: true }).fill(`${day}T00:00`);
    await page.getByLabel('To', { exact: true }).fill(`${day}T23:59`);
    await page.getByRole('button', { name: 'Show' }).click();
    const trips = page.getByTestId('trip-list').locator('li');
    await trips.first().waitFor({ timeout: 20_000 });
    expect(await trips.count()).toBeGreaterThan(1);
    await expect(page.getByTestId('totals').innerText()).resolves.toMatch(/km/);
    await expect(page.getByTestId('track-points').innerText()).resolves.toMatch(/Van 01: \d+ points/);

    const scrub = page.getByTestId('replay-scrub');
    const start = Number(await scrub.inputValue());
    await page.getByLabel('Speed').selectOption('64');
    await page.getByTestId('replay-play').click();
    await page.waitForTimeout(1500);
    await page.getByTestId('replay-play').click(); // pause
    expect(Number(await scrub.inputValue())).toBeGreaterThan(start + 30_000);
    await trips.nth(1).getByRole('button').click(); // jump to the second trip
    await expect(page.getByTestId('cursor-facts').innerText()).resolves.toMatch(/km\/h/);
    await shot('07-replay');
  });

  it('switches the interface to Spanish and back', async () => {
    await page.getByTestId('language-switch').selectOption('es');
    await page.getByRole('link', { name: 'Histórico' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('es');
    await expect(page.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Histórico');
    await shot('08-spanish');
    await page.getByTestId('language-switch').selectOption('en');
    await page.getByRole('link', { name: 'History' }).waitFor();
  });

  it('opens a notification’s event link: that vehicle’s events, the event pointed out', async () => {
    const seeded = await api<{ items: { id: string; vehicleId: string; vehicleName: string }[] }>(
      'GET',
      '/api/v1/events?limit=1',
    );
    expect(seeded.items).toHaveLength(1);
    const { vehicleId, vehicleName } = seeded.items[0];
    const ofVehicle = await api<{ items: { id: string }[] }>('GET', `/api/v1/events?vehicleId=${vehicleId}&limit=2`);
    // The vehicle's second newest (its newest when it has one): not simply the top row of the page.
    const linked = ofVehicle.items[ofVehicle.items.length - 1];
    // As the e-mail's link opens it: a new page load, signed in again by the refresh cookie.
    await page.goto(`${stack.webUrl}/events?vehicleId=${vehicleId}&event=${linked.id}`);
    const row = page.getByTestId('events-table').locator('tr[aria-current="true"]');
    await row.waitFor({ timeout: 15_000 });
    await expect(row.innerText()).resolves.toContain(vehicleName);
    await page.getByRole('region', { name: 'The event of the link' }).waitFor();
    await expect(page.getByLabel('Vehicle').inputValue()).resolves.toBe(vehicleId);
    // Only that vehicle's events are listed.
    const vehicles = await page.getByTestId('events-table').locator('tbody tr td:nth-child(3)').allInnerTexts();
    expect(new Set(vehicles)).toEqual(new Set([vehicleName]));
    await shot('09-event-link');
  });
});
