// Drives JupyterLab in Debian's chromium (playwright-core, no browser download) through one scenario.
// Usage: node ui-tests/run.mjs <status|token|plan|locked> <lab-url> <screenshot.png> [token]
// The lab URL carries a server token, or, with JUPYTER_TRUST_HUB_USER set, is a JupyterHub user's /user/<name>/lab:
// the browser then logs in through the Hub's login page (any password: DummyAuthenticator) and the OAuth redirects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const [scenario, url, screenshot, token] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const hubUser = process.env.JUPYTER_TRUST_HUB_USER;

function check(condition, message) {
  if (!condition) {
    throw new Error(`assertion failed: ${message}`);
  }
}

// A fresh profile every run (--user-data-dir, passed by launchPersistentContext).
const profile = mkdtempSync(process.env.JUPYTER_TRUST_BROWSER_PROFILE || join(tmpdir(), 'jupyter-trust-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1500, height: 1000 },
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync'
  ]
});
let failed = null;
const shots = [screenshot];
const page = context.pages()[0] ?? (await context.newPage());
const pageErrors = [];
page.on('pageerror', error => pageErrors.push(String(error)));
// Only the lab server on 127.0.0.1 may be contacted.
await context.route('**/*', route => {
  const host = new URL(route.request().url()).hostname;
  return host === '127.0.0.1' || host === 'localhost' ? route.continue() : route.abort();
});
try {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  if (hubUser) {
    // Not logged in: the Hub sends the browser to its login form, then back through OAuth to the lab.
    check(new URL(page.url()).pathname === '/hub/login', `redirected to the hub's login page: ${page.url()}`);
    await page.locator('input[name="username"]').fill(hubUser);
    await page.locator('input[name="password"]').fill('any password');
    await Promise.all([
      page.waitForURL(u => u.pathname === new URL(url).pathname, { timeout: 60000, waitUntil: 'domcontentloaded' }),
      page.locator('#login_submit').click()
    ]);
  }
  const tab = page.locator('li[data-id="jupyter-trust-panel"]');
  await tab.waitFor({ timeout: 90000 });
  await tab.click();
  // Widen the sidebar (as a person would, by dragging the splitter) so the plan table fits the screenshots.
  const handle = page.locator('#jp-main-split-panel > .lm-SplitPanel-handle').first();
  const box = await handle.boundingBox();
  if (box) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 330, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
  }
  await page.locator('.jp-TrustPanel-verificationOn, .jp-TrustPanel-verificationOff').first().waitFor({ timeout: 30000 });

  if (scenario === 'status') {
    check(await page.locator('.jp-TrustPanel-verificationOn').isVisible(), 'verification banner says ON');
    const anchor = await page.locator('.jp-TrustPanel-anchor').innerText();
    check(anchor.includes('root v1') && anchor.includes('env'), `anchor shown: ${anchor}`);
    check((await page.locator('.jp-TrustPanel-metadataUrl').innerText()).includes('127.0.0.1'), 'signing metadata URL');
    check((await page.locator('.jp-TrustPanel-envSelect option').count()) >= 1, 'environments listed');
    check(await page.locator('.jp-TrustPanel-tokenForm').isVisible(), 'token section shown');
    // The palette command opens the same panel.
    await page.keyboard.press('Control+Shift+C');
    await page.locator('.lm-CommandPalette-input').fill('Conda Trust: Show trust panel');
    await page.locator('.lm-CommandPalette-item:has-text("Show trust panel")').first().waitFor({ timeout: 10000 });
    await page.keyboard.press('Escape');
    check((await page.locator('.jp-TrustPanel-keymgr-verified, .jp-TrustPanel-keymgr-missing').count()) === 1, 'key_mgr state');
    await page.locator('.jp-TrustPanel-refresh').click();
    await page.locator('.jp-TrustPanel-keymgr-verified').waitFor({ timeout: 30000 });
  } else if (scenario === 'token') {
    await page.locator('.jp-TrustPanel-tokenInput').fill(token);
    await page.locator('.jp-TrustPanel-saveToken').click();
    const masked = page.locator('.jp-TrustPanel-tokenState .jp-TrustPanel-tokenMasked');
    await masked.waitFor({ timeout: 30000 });
    check((await masked.innerText()) === `****${token.slice(-4)}`, 'masked token shown');
    check((await page.locator('.jp-TrustPanel-tokenInput').inputValue()) === '', 'input cleared after submit');
    check(!(await page.content()).includes(token), 'the token is nowhere in the page');
    shots.push(screenshot.replace('.png', '-set.png'));
    await page.screenshot({ path: shots[shots.length - 1] });
    await page.locator('.jp-TrustPanel-removeToken').click();
    await page.locator('.jp-Dialog .jp-mod-warn').click();
    await masked.waitFor({ state: 'detached', timeout: 30000 });
  } else if (scenario === 'plan') {
    const specs = page.locator('.jp-TrustPanel-specs');
    await specs.fill('tampered-tool');
    await page.locator('.jp-TrustPanel-planButton').click();
    await page.locator('.jp-TrustBadge-untrusted').first().waitFor({ timeout: 60000 });
    check(await page.locator('.jp-TrustPanel-install').isDisabled(), 'Install disabled for a blocked plan');
    const reason = await page.locator('.jp-TrustPanel-blocked').innerText();
    check(reason.includes('UNTRUSTED'), `blocked reason shown: ${reason}`);
    await page.locator('.jp-TrustPanel-blocked').scrollIntoViewIfNeeded();
    shots.push(screenshot.replace('.png', '-blocked.png'));
    await page.screenshot({ path: shots[shots.length - 1] });
    await specs.fill('trusty-app');
    await page.locator('.jp-TrustPanel-planButton').click();
    await page.locator('.jp-TrustBadge-trusted').nth(1).waitFor({ timeout: 60000 });
    check((await page.locator('.jp-TrustBadge-untrusted').count()) === 0, 'no untrusted package in the trusted plan');
    check(await page.locator('.jp-TrustPanel-install').isEnabled(), 'Install enabled for a verified plan');
    await page.locator('.jp-TrustPanel-install').click();
    await page.locator('.jp-TrustPanel-task-succeeded').waitFor({ timeout: 120000 });
    const result = await page.locator('.jp-TrustPanel-taskResult').innerText();
    check(result.includes('Installed 2 verified package'), `install result: ${result}`);
    const packages = await page.locator('.jp-TrustPanel-progress').first().innerText();
    check(packages.includes('Packages 2/2'), `package progress: ${packages}`);
    check(await page.locator('.jp-TrustPanel-install').isDisabled(), 'an installed plan cannot be installed again');
  } else if (scenario === 'locked') {
    // An admin policy file locks require_verification: the toggle is on, disabled, and says why.
    const toggle = page.locator('.jp-TrustPanel-verificationCheckbox');
    await toggle.waitFor({ timeout: 30000 });
    check(await toggle.isChecked(), 'verification shown on');
    check(await toggle.isDisabled(), 'the verification toggle is disabled');
    const reason = await page.locator('.jp-TrustPanel-verificationToggle .jp-TrustPanel-locked').innerText();
    check(reason.includes('administrator requires signature verification'), `lock reason shown: ${reason}`);
    // The admin also supplies the token (token_env_var): shown masked, with no way to replace or remove it.
    const tokenLock = await page.locator('.jp-TrustPanel-tokenLocked').innerText();
    check(tokenLock.includes('supplied by your administrator'), `token shown as the administrator's: ${tokenLock}`);
    check((await page.locator('.jp-TrustPanel-tokenInput, .jp-TrustPanel-removeToken').count()) === 0, 'no token input or Remove');
    check((await page.locator('.jp-TrustPanel-tokenState .jp-TrustPanel-tokenMasked').innerText()).startsWith('****'), 'the token is shown masked');
    await page.locator('.jp-TrustPanel-verificationToggle').scrollIntoViewIfNeeded();
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
} catch (error) {
  failed = error;
} finally {
  if (scenario === 'status') {
    await page.locator('.jp-TrustPanel').evaluate(el => (el.scrollTop = 0)).catch(() => undefined);
  } else if (scenario === 'plan') {
    await page.locator('.jp-TrustPanel-task').scrollIntoViewIfNeeded().catch(() => undefined);
  }
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => undefined);
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
for (const shot of shots) {
  console.log(`screenshot: ${shot}`);
}
if (!failed && pageErrors.length > 0) {
  failed = new Error(`errors in the page: ${pageErrors.join('; ')}`);
}
if (failed) {
  console.error(String(failed.stack || failed));
  process.exit(1);
}
