// Drives JupyterLab in Debian's chromium (playwright-core, no browser download) through one scenario.
// Usage: node ui-tests/run.mjs <status|token|plan|verdicts|mainarea|audit|locked> <lab-url> <screenshot.png> [token|theme]
// The panel is used at JupyterLab's DEFAULT sidebar width: nothing here drags the splitter.
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
// View → Activate Command Palette, as a person opens it (Ctrl+Shift+C is ignored while focus sits on some elements,
// e.g. a <summary>), then type `label` and wait for its item. The modal palette closes when it loses focus, which
// under the Hub happens now and then while the lab settles: then it is opened again (three tries).
async function paletteItem(label) {
  const input = page.locator('.lm-CommandPalette-input');
  const item = page.locator(`.lm-CommandPalette-item:has-text("${label.slice(13)}")`).first();
  for (let attempt = 0; ; attempt++) {
    try {
      if (!(await input.isVisible().catch(() => false))) {
        await page.locator('.lm-MenuBar-itemLabel', { hasText: /^View$/ }).click();
        await page.locator('.lm-Menu-itemLabel', { hasText: /^Activate Command Palette$/ }).click();
      }
      await input.fill(label, { timeout: 10000 });
      await item.waitFor({ state: 'attached', timeout: 10000 });
      return item;
    } catch (error) {
      if (attempt === 2) {
        throw error;
      }
    }
  }
}

async function makePlan(specText) {
  await page.getByRole('textbox', { name: 'Package specs' }).fill(specText);
  await page.getByRole('button', { name: 'Plan', exact: true }).click();
  await page.locator('.jp-TrustPanel-planButton:not([disabled])').waitFor({ timeout: 60000 });
}

// No button label cut off, nothing wider than the panel (scrollWidth <= clientWidth).
async function checkNoOverflow(what) {
  const overflowing = await page.locator('#jupyter-trust-panel').evaluate(panel => {
    const bad = [];
    for (const el of panel.querySelectorAll('button, .jp-TrustPlan-summary, .jp-TrustPlan-row')) {
      if (el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1) {
        bad.push(`${el.className}: ${el.scrollWidth} > ${el.clientWidth} (${el.textContent})`);
      }
    }
    if (panel.scrollWidth > panel.clientWidth + 1) {
      bad.push(`the panel scrolls sideways: ${panel.scrollWidth} > ${panel.clientWidth}`);
    }
    return bad;
  });
  check(overflowing.length === 0, `${what}: overflowing ${overflowing.join('; ')}`);
}

// Every badge of the rows under `rows` inside the panel's visible box (bounding boxes, not DOM presence); the
// verdicts found, counted.
async function checkBadgesVisible(rows, what) {
  const panelBox = await page.locator('#jupyter-trust-panel').boundingBox();
  const badges = page.locator(`#jupyter-trust-panel ${rows} .jp-TrustPlan-row .jp-TrustBadge`);
  const found = {};
  for (let i = 0; i < (await badges.count()); i++) {
    const badge = badges.nth(i);
    const verdict = await badge.getAttribute('data-verdict');
    found[verdict] = (found[verdict] ?? 0) + 1;
    check(((await badge.getAttribute('aria-label')) ?? '').includes(verdict.replace('-', ' ')), `badge ARIA label names ${verdict}`);
    check((await badge.innerText()).toLowerCase().includes(verdict.replace('-', ' ')), `badge shows the word ${verdict}`);
    await badge.scrollIntoViewIfNeeded();
    const box = await badge.boundingBox();
    check(
      box && box.x >= panelBox.x && box.x + box.width <= panelBox.x + panelBox.width + 0.5 &&
        box.y >= panelBox.y && box.y + box.height <= panelBox.y + panelBox.height + 0.5,
      `${what}: ${verdict} badge inside the panel's visible box (${JSON.stringify(box)} in ${JSON.stringify(panelBox)})`
    );
  }
  return found;
}

const sortedCounts = o => JSON.stringify(Object.keys(o).sort().map(k => [k, o[k]]));

// The rows' names, in order, of the list under `rows`.
async function rowNames(rows) {
  return await page.locator(`#jupyter-trust-panel ${rows} .jp-TrustPlan-row .jp-TrustPlan-name`).allInnerTexts();
}

async function runPalette(label) {
  await (await paletteItem(label)).click();
}

// Install the current plan (no confirmation needed) and wait for its success.
async function installPlan(count) {
  const install = page.getByRole('button', { name: 'Install', exact: true });
  check(await install.isEnabled(), 'Install enabled for a verified plan');
  await install.click();
  await page.locator('.jp-TrustPanel-task-succeeded').waitFor({ timeout: 120000 });
  const result = await page.locator('.jp-TrustPanel-taskResult').innerText();
  check(result.includes(`Installed ${count} verified package`), `install result: ${result}`);
}

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
  await page.locator('.jp-TrustPanel-verificationOn, .jp-TrustPanel-verificationOff').first().waitFor({ timeout: 30000 });
  if ((scenario === 'verdicts' || scenario === 'audit') && token === 'dark') {
    // Settings → Theme → JupyterLab Dark, as a person switches it.
    await page.locator('.lm-MenuBar-itemLabel', { hasText: 'Settings' }).click();
    await page.locator('.lm-Menu-itemLabel', { hasText: /^Theme$/ }).hover();
    await page.locator('.lm-Menu-itemLabel', { hasText: /^JupyterLab Dark$/ }).click();
    await page.locator('body[data-jp-theme-light="false"]').waitFor({ state: 'attached', timeout: 30000 });
  }

  if (scenario === 'status') {
    check(await page.locator('.jp-TrustPanel-verificationOn').isVisible(), 'verification shown ON at a glance');
    for (const chip of ['.jp-TrustPanel-anchorChip', '.jp-TrustPanel-keymgrChip', '.jp-TrustPanel-tokenChip']) {
      check(await page.locator(chip).isVisible(), `${chip} shown at a glance`);
    }
    check(!(await page.locator('.jp-TrustPanel-engineRow').isVisible()), 'details are collapsed until asked for');
    await page.locator('.jp-TrustPanel-statusDetails > summary').click();
    const anchor = await page.locator('.jp-TrustPanel-anchor').innerText();
    check(anchor.includes('root v1') && anchor.includes('env'), `anchor shown: ${anchor}`);
    check((await page.locator('.jp-TrustPanel-metadataUrl').innerText()).includes('127.0.0.1'), 'signing metadata URL');
    check((await page.locator('.jp-TrustPanel-envSelect option').count()) >= 1, 'environments listed');
    // The palette command opens the same panel.
    await paletteItem('Conda Trust: Show trust panel');
    await page.keyboard.press('Escape');
    check((await page.locator('.jp-TrustPanel-keymgr-verified, .jp-TrustPanel-keymgr-missing').count()) === 1, 'key_mgr state');
    // Publisher attestations: collapsed inside the details; the Sigstore root in use and each channel's publishers.
    const attestations = page.locator('.jp-TrustPanel-attestations');
    check(!(await page.locator('.jp-TrustPanel-sigstoreRoot').isVisible()), 'publisher attestations collapsed');
    await attestations.locator('> summary').click();
    // The demo's policy names its own Sigstore root and the channel's one publisher; the Hub's users have the
    // shipped public-good root and no publisher list (any valid signer).
    const sigstore = await page.locator('.jp-TrustPanel-sigstoreSource').innerText();
    const expectedRoot = hubUser ? /^shipped \(public-good\), dated \d{4}-\d\d-\d\d/ : /^policy \(sigstore_trust_root\), dated \d{4}-\d\d-\d\d/;
    check(expectedRoot.test(sigstore), `the Sigstore root in use and its date: ${sigstore}`);
    const publishers = await page.locator('.jp-TrustPanel-channelPublishers').first().innerText();
    const publisher = hubUser ? 'any valid signer' : 'github.com/jupyter-trust-demo/attested-tool';
    check(publishers.includes(publisher), `the channel's publishers: ${publishers}`);
    check(publishers.includes('attestations report'), `the channel's attestation policy: ${publishers}`);
    await checkNoOverflow('status details with publisher attestations');
    await page.locator('.jp-TrustPanel-attestations').scrollIntoViewIfNeeded();
    shots.push(screenshot.replace('.png', '-attestations.png'));
    await page.screenshot({ path: shots[shots.length - 1] });
    check(await page.locator('.jp-TrustPanel-tokenForm').isVisible(), 'token section shown');
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
  } else if (scenario === 'verdicts') {
    // Trusted, blocked and unsigned plans at the default sidebar width, in the theme given (light|dark).
    const theme = token || 'light';
    const panelBox = await page.locator('#jupyter-trust-panel').boundingBox();
    console.log(`panel width at the default sidebar size: ${Math.round(panelBox.width)}px`);
    check(panelBox.width <= 320, `the sidebar was not widened (${panelBox.width}px)`);
    const plans = [
      ['trusty-app', 'ready', { trusted: 2 }, '2 packages · 2 trusted · ready to install'],
      ['tampered-tool', 'blocked', { trusted: 1, untrusted: 1 }, 'Blocked: 1 untrusted · 1 trusted · 2 packages'],
      ['unsigned-extra', 'confirm', { unsigned: 1 }, 'Needs your confirmation: 1 unsigned · 1 package'],
      // Publish attestations (Sigstore): no content-trust signature, but a trusted / an unknown publisher.
      ['attested-tool', 'ready', { unsigned: 1 }, '1 package · 1 publisher-verified · ready to install'],
      ['stranger-tool', 'blocked', { unsigned: 1 }, 'Blocked: 1 publisher not trusted · 1 package'],
      ['trusty-app attested-tool', 'ready', { trusted: 2, unsigned: 1 }, '3 packages · 2 trusted · 1 publisher-verified · ready to install']
    ];
    for (const [spec, decision, verdicts, summaryText] of plans) {
      await makePlan(spec);
      const summary = page.locator(`.jp-TrustPlan-summary[data-decision="${decision}"]`);
      await summary.waitFor({ timeout: 60000 });
      check((await summary.innerText()).trim() === summaryText, `summary for ${spec}: ${await summary.innerText()}`);
      await summary.scrollIntoViewIfNeeded();
      const found = await checkBadgesVisible('.jp-TrustPanel-plan', spec);
      check(sortedCounts(found) === sortedCounts(verdicts), `${spec}: badges ${JSON.stringify(found)}`);
      await checkNoOverflow(spec);
      const install = page.getByRole('button', { name: 'Install', exact: true });
      check((await install.isEnabled()) === (decision !== 'blocked'), `${spec}: Install enabled only when not blocked`);
      if (decision === 'blocked') {
        // Why, in the row's details: the reason and the record's sha256, with a copy button.
        await page.locator('.jp-TrustPlan-rowSummary').first().click();
        const details = page.locator('.jp-TrustPlan-details').first();
        check((await details.innerText()).includes('UNTRUSTED') || (await details.innerText()).includes('signature'), 'reason in the details');
        check(await details.locator('.jp-TrustPlan-sha256 .jp-TrustEllipsis-copy').isVisible(), 'sha256 with a copy button');
        await checkNoOverflow(`${spec} (expanded)`);
      }
      if (spec === 'attested-tool') {
        const marker = page.locator('.jp-TrustPlan-attestation[data-attestation="verified"]');
        check((await marker.innerText()) === 'publisher verified', 'the row says the publisher is verified');
        await page.locator('.jp-TrustPlan-rowSummary').first().click();
        const publisher = page.locator('.jp-TrustPlan-publisher[data-attestation="verified"]');
        const by = await publisher.locator('.jp-TrustPlan-publishedBy').innerText();
        check(by.startsWith('published by github.com/jupyter-trust-demo/attested-tool · '), `the publisher line: ${by}`);
        check((await publisher.locator('.jp-TrustPlan-attestationStatus').innerText()) === 'publisher verified', 'verified');
        await checkBadgesVisible('.jp-TrustPanel-plan', `${spec} (expanded)`);
        await checkNoOverflow(`${spec} (expanded)`);
      }
      if (spec === 'stranger-tool') {
        // Blocked by its publisher: the row says so, its details name the signer and why, the block says why.
        const marker = page.locator('.jp-TrustPlan-attestation[data-attestation="untrusted-publisher"]');
        check((await marker.innerText()) === 'publisher not trusted', 'the row says the publisher is not trusted');
        const publisher = page.locator('.jp-TrustPlan-publisher[data-attestation="untrusted-publisher"]');
        const by = await publisher.locator('.jp-TrustPlan-publishedBy').innerText();
        check(by.startsWith('published by github.com/someone-else/stranger-tool'), `the stranger's publisher line: ${by}`);
        const why = await publisher.innerText();
        check(/not (a )?trusted|not allowed|not in/i.test(why), `the publisher line says why: ${why}`);
        const blocked = await page.locator('.jp-TrustPanel-blocked').innerText();
        check(blocked.includes('stranger-tool'), `the block names the package: ${blocked}`);
        await checkBadgesVisible('.jp-TrustPanel-plan', `${spec} (expanded)`);
        await checkNoOverflow(`${spec} (expanded)`);
      }
      if (spec === 'trusty-app attested-tool') {
        // The filter "only packages without verified publisher" hides attested-tool, and shows it again.
        const filter = page.locator('#jupyter-trust-panel .jp-TrustPlan-publisherFilter');
        check((await filter.innerText()).trim() === 'Only packages without verified publisher (2)', `filter: ${await filter.innerText()}`);
        await filter.locator('input').check();
        const shown = await rowNames('.jp-TrustPanel-plan');
        check(JSON.stringify([...shown].sort()) === JSON.stringify(['trusty-app', 'trusty-lib']), `filtered rows: ${shown}`);
        const filtered = await checkBadgesVisible('.jp-TrustPanel-plan', `${spec} (filtered)`);
        check(sortedCounts(filtered) === sortedCounts({ trusted: 2 }), `filtered badges ${JSON.stringify(filtered)}`);
        await checkNoOverflow(`${spec} (filtered)`);
        shots.push(screenshot.replace('.png', '-filtered.png'));
        await page.screenshot({ path: shots[shots.length - 1] });
        await filter.locator('input').uncheck();
        check((await rowNames('.jp-TrustPanel-plan')).length === 3, 'all rows again without the filter');
      }
      shots.push(screenshot.replace('.png', `-${spec.replace(' ', '+')}.png`));
      await page.screenshot({ path: shots[shots.length - 1] });
    }
  } else if (scenario === 'mainarea') {
    await makePlan('trusty-app unsigned-extra tampered-tool');
    await page.locator('.jp-TrustPlan-summary[data-decision="blocked"]').waitFor({ timeout: 60000 });
    await page.getByRole('button', { name: 'Open plan in main area' }).click();
    const table = page.locator('#jp-main-dock-panel .jp-TrustPlanTable');
    await table.waitFor({ timeout: 30000 });
    const rows = table.locator('tbody tr');
    check((await rows.count()) === 4, `4 packages in the main-area table: ${await rows.count()}`);
    check((await rows.first().getAttribute('data-verdict')) === 'untrusted', 'worst verdict first');
    await table.locator('[data-filter="untrusted"]').click();
    check((await rows.count()) === 1 && (await rows.first().getAttribute('data-verdict')) === 'untrusted', 'filtered to untrusted');
    await table.locator('[data-filter="all"]').click();
    await table.locator('[data-sort="name"]').click();
    const names = async () => await table.locator('tbody .jp-TrustPlanTable-name').allInnerTexts();
    const ascending = await names();
    check(JSON.stringify(ascending) === JSON.stringify([...ascending].sort()), `sorted by name: ${ascending}`);
    await table.locator('[data-sort="name"]').click();
    check(JSON.stringify(await names()) === JSON.stringify([...ascending].reverse()), 'sorted by name, descending');
    check((await table.locator('th[aria-sort="descending"]').count()) === 1, 'aria-sort says descending');
    shots.push(screenshot.replace('.png', '-table.png'));
    await page.screenshot({ path: shots[shots.length - 1] });
    // The palette has the panel's commands.
    for (const label of ['Conda Trust: Plan an install', 'Conda Trust: Install the verified plan', 'Conda Trust: Refresh trust status', 'Conda Trust: Open plan in main area']) {
      await paletteItem(label);
      if (label.includes('Install')) {
        // The plan is blocked, so the palette's Install is disabled (the server's decision, not the frontend's).
        const disabled = page.locator('.lm-CommandPalette-item[data-command="jupyter-trust:install"].lm-mod-disabled');
        check((await disabled.count()) === 1, 'Install is disabled in the palette for a blocked plan');
      }
    }
    await page.keyboard.press('Escape');
  } else if (scenario === 'plan') {
    const specs = page.getByRole('textbox', { name: 'Package specs' });
    await specs.fill('tampered-tool');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.locator('.jp-TrustBadge-untrusted').first().waitFor({ timeout: 60000 });
    check(await page.locator('.jp-TrustPanel-install').isDisabled(), 'Install disabled for a blocked plan');
    const reason = await page.locator('.jp-TrustPanel-blocked').innerText();
    check(reason.includes('UNTRUSTED'), `blocked reason shown: ${reason}`);
    await page.locator('.jp-TrustPanel-blocked').scrollIntoViewIfNeeded();
    shots.push(screenshot.replace('.png', '-blocked.png'));
    await page.screenshot({ path: shots[shots.length - 1] });
    await specs.fill('trusty-app');
    await page.getByRole('button', { name: 'Plan', exact: true }).click();
    await page.locator('.jp-TrustBadge-trusted').nth(1).waitFor({ timeout: 60000 });
    check((await page.locator('.jp-TrustBadge-untrusted').count()) === 0, 'no untrusted package in the trusted plan');
    const install = page.getByRole('button', { name: 'Install', exact: true });
    check(await install.isEnabled(), 'Install enabled for a verified plan');
    await install.focus();
    await page.keyboard.press('Enter'); // keyboard reachable
    await page.locator('.jp-TrustPanel-task-succeeded').waitFor({ timeout: 120000 });
    const toast = page.locator('.jp-Notification-Toast-success', { hasText: 'Installed 2 verified package' });
    await toast.waitFor({ timeout: 30000 });
    const result = await page.locator('.jp-TrustPanel-taskResult').innerText();
    check(result.includes('Installed 2 verified package'), `install result: ${result}`);
    const packages = await page.locator('.jp-TrustPanel-progress').first().innerText();
    check(packages.includes('Packages 2/2'), `package progress: ${packages}`);
    check(await page.locator('.jp-TrustPanel-install').isDisabled(), 'an installed plan cannot be installed again');
  } else if (scenario === 'audit') {
    // The demo environment after installing trusty-app, then attested-tool: audited from the button and the palette.
    const panelBox = await page.locator('#jupyter-trust-panel').boundingBox();
    check(panelBox.width <= 320, `the sidebar was not widened (${panelBox.width}px)`);
    const audits = [
      ['trusty-app', 2, '2 packages: 2 trusted, 0 publisher-verified, 0 unverified', { trusted: 2 }],
      ['attested-tool', 1, '3 packages: 2 trusted, 1 publisher-verified, 0 unverified', { trusted: 2, unsigned: 1 }]
    ];
    for (const [spec, count, summaryText, verdicts] of audits) {
      await makePlan(spec);
      await page.locator('.jp-TrustPlan-summary[data-decision="ready"]').waitFor({ timeout: 60000 });
      await installPlan(count);
      if (spec === 'trusty-app') {
        const button = page.getByRole('button', { name: 'Audit this environment' });
        await button.scrollIntoViewIfNeeded();
        await button.click();
      } else {
        await runPalette('Conda Trust: Audit this environment');
      }
      const summary = page.locator('#jupyter-trust-panel .jp-TrustAudit-summary');
      await summary.waitFor({ timeout: 60000 });
      check((await summary.innerText()).trim() === summaryText, `audit after ${spec}: ${await summary.innerText()}`);
      check((await summary.getAttribute('data-state')) === 'ready', 'every installed package verified');
      const found = await checkBadgesVisible('.jp-TrustAudit', `audit after ${spec}`);
      check(sortedCounts(found) === sortedCounts(verdicts), `audit badges ${JSON.stringify(found)}`);
      await checkNoOverflow(`audit after ${spec}`);
    }
    // attested-tool's row: publisher verified, the publisher line in its details.
    const row = page.locator('#jupyter-trust-panel .jp-TrustAudit .jp-TrustPlan-row', { hasText: 'attested-tool' });
    check((await row.locator('.jp-TrustPlan-attestation').innerText()) === 'publisher verified', 'audit row: publisher verified');
    await row.locator('.jp-TrustPlan-rowSummary').click();
    const by = await row.locator('.jp-TrustPlan-publishedBy').innerText();
    check(by.startsWith('published by github.com/jupyter-trust-demo/attested-tool'), `audit publisher line: ${by}`);
    await checkBadgesVisible('.jp-TrustAudit', 'audit (expanded)');
    await checkNoOverflow('audit (expanded)');
    // The filter: only the packages without a verified publisher.
    await page.locator('#jupyter-trust-panel .jp-TrustAudit .jp-TrustPlan-publisherFilter input').check();
    const unverified = await rowNames('.jp-TrustAudit');
    check(JSON.stringify([...unverified].sort()) === JSON.stringify(['trusty-app', 'trusty-lib']), `audit filtered: ${unverified}`);
    await page.locator('#jupyter-trust-panel .jp-TrustAudit .jp-TrustPlan-publisherFilter input').uncheck();
    await page.locator('.jp-TrustAudit-summary').scrollIntoViewIfNeeded();
    shots.push(screenshot.replace('.png', '-sidebar.png'));
    await page.screenshot({ path: shots[shots.length - 1] });
    // The full table in the main area, filtered to packages without a verified publisher.
    await page.getByRole('button', { name: 'Open audit in main area' }).click();
    const table = page.locator('#jp-main-dock-panel .jp-TrustPlanTable');
    await table.waitFor({ timeout: 30000 });
    check((await table.locator('tbody tr').count()) === 3, 'three installed packages in the table');
    const cell = await table.locator('tbody tr', { hasText: 'attested-tool' }).locator('.jp-TrustPlanTable-publisher').innerText();
    check(cell.includes('published by github.com/jupyter-trust-demo/attested-tool'), `publisher column: ${cell}`);
    await table.locator('[data-filter="without-verified-publisher"]').click();
    const names = await table.locator('tbody .jp-TrustPlanTable-name').allInnerTexts();
    check(JSON.stringify([...names].sort()) === JSON.stringify(['trusty-app', 'trusty-lib']), `table filtered: ${names}`);
    await table.locator('[data-filter="without-verified-publisher"]').click();
    shots.push(screenshot.replace('.png', '-table.png'));
    await page.screenshot({ path: shots[shots.length - 1] });
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
