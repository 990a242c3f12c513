import type { Browser, Page } from 'playwright-core';

/** The demo organization's administrator, as tools/seed creates it. */
export const DEMO = { email: 'demo@example.com', password: 'demo-fleet-2026' };

/**
 * A page in a browser context of its own (its own cookies: another user can be signed in beside it), in UTC
 * and English whatever the machine says, so dates and texts are what the tests expect. Script errors in the
 * page are collected in `errors` for the suite to fail the step that caused them.
 */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, errors };
}

/** Signs in through the login form at `webUrl` and waits for the live map's list to say how many vehicles it shows. */
export async function signIn(page: Page, webUrl: string, user: { email: string; password: string }) {
  await page.goto(webUrl);
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(/^\d+ vehicles? shown$/).waitFor({ timeout: 30_000 });
}

/**
 * Polls `read` until `ok` holds, for at most `ms`; returns the last value read either way. `between` runs
 * before each new read (a reload, when what is read only changes on the server); else 25 ms pass.
 */
export async function until<T>(
  page: Page,
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  ms = 10_000,
  between: () => Promise<unknown> = () => page.waitForTimeout(25),
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < deadline) {
    await between();
    value = await read();
  }
  return value;
}
