// Drives JupyterLab in Debian's chromium (playwright-core, no browser download) through one scenario.
// Usage: node ui-tests/run.mjs <status|token|plan> <lab-url-with-token> <screenshot.png> [token]
import { chromium } from 'playwright-core';

const [scenario, url, screenshot, token] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

function check(condition, message) {
  if (!condition) {
    throw new Error(`assertion failed: ${message}`);
  }
}

const browser = await chromium.launch({
  executablePath,
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
const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
try {
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const tab = page.locator('li[data-id="jupyter-trust-panel"]');
  await tab.waitFor({ timeout: 90000 });
  await tab.click();
  await page.locator('.jp-TrustPanel-verificationOn, .jp-TrustPanel-verificationOff').first().waitFor({ timeout: 30000 });

  if (scenario === 'status') {
    check(await page.locator('.jp-TrustPanel-verificationOn').isVisible(), 'verification banner says ON');
    const anchor = await page.locator('.jp-TrustPanel-anchor').innerText();
    check(anchor.includes('root v1') && anchor.includes('env'), `anchor shown: ${anchor}`);
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
    await page.screenshot({ path: screenshot.replace('.png', '-set.png') });
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
    await page.screenshot({ path: screenshot.replace('.png', '-blocked.png') });
    await specs.fill('trusty-app');
    await page.locator('.jp-TrustPanel-planButton').click();
    await page.locator('.jp-TrustBadge-trusted').nth(1).waitFor({ timeout: 60000 });
    check((await page.locator('.jp-TrustBadge-untrusted').count()) === 0, 'no untrusted package in the trusted plan');
    check(await page.locator('.jp-TrustPanel-install').isEnabled(), 'Install enabled for a verified plan');
    await page.locator('.jp-TrustPanel-install').click();
    await page.locator('.jp-TrustPanel-task-succeeded').waitFor({ timeout: 120000 });
    const result = await page.locator('.jp-TrustPanel-taskResult').innerText();
    check(result.includes('Installed 2 verified package'), `install result: ${result}`);
  } else {
    throw new Error(`unknown scenario ${scenario}`);
  }
} catch (error) {
  failed = error;
} finally {
  await page.screenshot({ path: screenshot, fullPage: true }).catch(() => undefined);
  await browser.close();
}
console.log(`screenshot: ${screenshot}`);
if (failed) {
  console.error(String(failed.stack || failed));
  process.exit(1);
}
