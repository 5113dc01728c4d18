/**
 * Publisher attestations in the panel: the publisher filter, the environment audit (summary, rows, main-area table,
 * model and REST call) and the Sigstore root and publisher policy in the status details.
 */
import { ServerConnection } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';

import { TrustAPI } from '../api';
import { AuditTable, AuditView } from '../components/AuditView';
import { PlanTable } from '../components/PlanTable';
import { PlanView } from '../components/PlanView';
import { StatusView } from '../components/StatusView';
import { TrustModel } from '../model';
import { attestationOf, publisherFilterUseful, summarizeAudit, withoutVerifiedPublisher } from '../plans';
import { IAttestation, IAudit, IAuditedPackage, IPlannedPackage, IStatus } from '../tokens';
import { makePlan, plannedPackage } from './fixtures';
import { act, reactHost } from './reactHost';

const trans = nullTranslator.load('jupyter_trust');
const view = reactHost();
const render = (element: JSX.Element): void => view.render(element);
const evil = '<img src=x onerror="window.__pwned = true">';

const signer = {
  identity: 'https://github.com/org/tool/.github/workflows/release.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
  repository: 'https://github.com/org/tool',
  ref: 'refs/heads/main',
  commit: 'abc123'
};

function attestation(status: string, extra: Partial<IAttestation> = {}): IAttestation {
  return {
    status,
    signer: status === 'missing' || status === 'not-checked' ? null : signer,
    transport: 'cep50',
    sidecar_sha256: null,
    log_index: 7,
    integrated_time: '2026-01-01T00:00:00Z',
    reason: `attestation ${status}`,
    ...extra
  };
}

function pkg(name: string, verdict: IPlannedPackage['verdict'], status: string | null): IPlannedPackage {
  return plannedPackage(name, verdict, { url: '', attestation: status === null ? null : attestation(status) });
}

const plan = makePlan;

function audited(name: string, verdict: IAuditedPackage['verdict'], status: string | null): IAuditedPackage {
  const { subdir, url, size, action, previous_version, ...rest } = pkg(name, 'trusted', status);
  void [subdir, url, size, action, previous_version];
  return { ...rest, verdict };
}

const demoAudit: IAudit = {
  prefix: '/envs/demo-env',
  packages: [
    audited('trusty-app', 'trusted', 'missing'),
    audited('trusty-lib', 'trusted', 'missing'),
    audited('attested-tool', 'unsigned', 'verified'),
    audited('gone-tool', 'not-found', 'not-checked')
  ],
  summary: {
    total: 4,
    trusted: 2,
    publisher_verified: 1,
    unverified: 1,
    untrusted_or_failed: 0,
    not_found: 1,
    text: '4 packages: 2 trusted, 1 publisher-verified, 1 unverified'
  }
};

const gate = { enabled: true, reason: null, needsConfirmation: false };
const rows = (): string[] =>
  Array.from(view.node.querySelectorAll('.jp-TrustPlan-row .jp-TrustPlan-name')).map(e => e.textContent ?? '');
const click = (selector: string): void => act(() => (view.node.querySelector(selector) as HTMLElement).click());

describe('the publisher filter helpers', () => {
  it('keeps every package without a verified publisher, whatever its content-trust verdict', () => {
    expect(withoutVerifiedPublisher(pkg('a', 'trusted', 'missing'))).toBe(true);
    expect(withoutVerifiedPublisher(pkg('a', 'trusted', null))).toBe(true);
    expect(withoutVerifiedPublisher(pkg('a', 'unsigned', 'untrusted-publisher'))).toBe(true);
    expect(withoutVerifiedPublisher(pkg('a', 'unsigned', 'verified'))).toBe(false);
    expect(withoutVerifiedPublisher({ ...pkg('a', 'n/a', null), action: 'remove' })).toBe(false);
  });

  it('offers the filter only when it would change the list', () => {
    expect(publisherFilterUseful([pkg('a', 'trusted', null), pkg('b', 'trusted', 'not-checked')])).toBe(false);
    // Nobody verified: the filter would show everything; everybody verified: nothing.
    expect(publisherFilterUseful([pkg('a', 'trusted', 'missing'), pkg('b', 'unsigned', 'untrusted-publisher')])).toBe(false);
    expect(publisherFilterUseful([pkg('a', 'unsigned', 'verified')])).toBe(false);
    expect(publisherFilterUseful([pkg('a', 'unsigned', 'verified'), pkg('b', 'trusted', 'missing')])).toBe(true);
  });

  it('reads an attestation only when it is an object with a status', () => {
    const odd = (value: unknown): IPlannedPackage => ({ ...pkg('a', 'unsigned', null), attestation: value as IAttestation });
    expect(attestationOf(odd('verified'))).toBeNull();
    expect(attestationOf(odd({ status: 1 }))).toBeNull();
    expect(attestationOf(odd([]))).toBeNull();
    // A string claiming "verified" is not a verified publisher.
    expect(withoutVerifiedPublisher(odd('verified'))).toBe(true);
  });
});

describe('PlanView publisher filter (sidebar)', () => {
  const mixed = plan([
    pkg('attested-tool', 'unsigned', 'verified'),
    pkg('trusty-app', 'trusted', 'missing'),
    pkg('stranger-tool', 'unsigned', 'untrusted-publisher')
  ]);

  it('shows only the packages without a verified publisher when ticked, and all again when not', () => {
    render(<PlanView plan={mixed} gate={gate} trans={trans} onInstall={() => undefined} />);
    const label = view.node.querySelector('.jp-TrustPlan-publisherFilter') as HTMLElement;
    expect(label.textContent).toBe(' Only packages without verified publisher (2)');
    expect(rows()).toEqual(['attested-tool', 'trusty-app', 'stranger-tool']);
    click('.jp-TrustPlan-publisherFilter input');
    expect(rows()).toEqual(['trusty-app', 'stranger-tool']);
    click('.jp-TrustPlan-publisherFilter input');
    expect(rows().length).toBe(3);
  });

  it('is not offered when it could not change the list (attestations off, nobody or everybody verified)', () => {
    for (const packages of [
      [pkg('a', 'trusted', 'not-checked'), pkg('b', 'trusted', null)],
      [pkg('a', 'trusted', 'missing'), pkg('stranger-tool', 'unsigned', 'untrusted-publisher')],
      [pkg('attested-tool', 'unsigned', 'verified')]
    ]) {
      render(<PlanView plan={plan(packages)} gate={gate} trans={trans} onInstall={() => undefined} />);
      expect(view.node.querySelector('.jp-TrustPlan-publisherFilter')).toBeNull();
    }
  });

  it('shows every row again when a new plan makes the filter useless', () => {
    render(<PlanView plan={mixed} gate={gate} trans={trans} onInstall={() => undefined} />);
    click('.jp-TrustPlan-publisherFilter input');
    expect(rows().length).toBe(2);
    render(<PlanView plan={plan([pkg('attested-tool', 'unsigned', 'verified')], { id: 'p2' })} gate={gate} trans={trans} onInstall={() => undefined} />);
    expect(rows()).toEqual(['attested-tool']);
  });

  it('renders the publisher line of a verified package: "published by" and the result', () => {
    render(<PlanView plan={mixed} gate={gate} trans={trans} onInstall={() => undefined} />);
    const line = view.node.querySelector('.jp-TrustPlan-publisher[data-attestation="verified"]') as HTMLElement;
    expect(line.querySelector('.jp-TrustPlan-publishedBy')?.textContent).toBe(
      'published by github.com/org/tool · release.yml · refs/heads/main'
    );
    expect(line.querySelector('.jp-TrustPlan-attestationStatus')?.textContent).toBe('publisher verified');
    expect(line.getAttribute('data-failed')).toBeNull();
    // A verified attestation's reason restates the signer: tooltip only, with the log entry.
    expect(line.querySelector('.jp-TrustPlan-attestationReason')).toBeNull();
    expect(line.getAttribute('title')).toContain('attestation verified');
    expect(line.getAttribute('title')).toContain('log index 7');
    // A missing attestation says so quietly: no publisher, not marked as failed, no marker in the row.
    const missing = view.node.querySelector('.jp-TrustPlan-publisher[data-attestation="missing"]') as HTMLElement;
    expect(missing.querySelector('.jp-TrustPlan-publishedBy')).toBeNull();
    expect(missing.getAttribute('data-failed')).toBeNull();
    expect(view.node.querySelectorAll('.jp-TrustPlan-attestation').length).toBe(2);
  });

  it('renders a hostile signer and reason as text', () => {
    const hostile = pkg('x', 'unsigned', 'untrusted-publisher');
    hostile.attestation = attestation('untrusted-publisher', {
      signer: { identity: evil, issuer: evil, repository: `https://${evil}`, ref: evil },
      reason: evil
    });
    render(<PlanView plan={plan([hostile], { blocked: true })} gate={gate} trans={trans} onInstall={() => undefined} />);
    expect(view.node.querySelector('img')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPlan-publishedBy')?.textContent).toContain('<img src=x');
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
  });

  it('does not break on an attestation that is not an object', () => {
    const odd = { ...pkg('odd', 'unsigned', null), attestation: 'verified' as unknown as IAttestation };
    render(<PlanView plan={plan([odd])} gate={gate} trans={trans} onInstall={() => undefined} />);
    expect(rows()).toEqual(['odd']);
    expect(view.node.querySelector('.jp-TrustPlan-publisher')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPlan-attestation')).toBeNull();
  });
});

describe('PlanTable publisher filter (main area)', () => {
  it('combines with the verdict filter', () => {
    const p = plan([
      pkg('attested-tool', 'unsigned', 'verified'),
      pkg('plain-tool', 'unsigned', 'missing'),
      pkg('trusty-app', 'trusted', 'missing')
    ]);
    render(<PlanTable plan={p} trans={trans} />);
    const names = (): string[] =>
      Array.from(view.node.querySelectorAll('tbody .jp-TrustPlanTable-name')).map(e => e.textContent ?? '');
    const button = view.node.querySelector('[data-filter="without-verified-publisher"]') as HTMLElement;
    expect(button.textContent).toBe('Only packages without verified publisher (2)');
    click('[data-filter="without-verified-publisher"]');
    expect(button.getAttribute('aria-pressed')).toBe('true');
    expect(names().sort()).toEqual(['plain-tool', 'trusty-app']);
    click('[data-filter="unsigned"]');
    expect(names()).toEqual(['plain-tool']);
    click('[data-filter="without-verified-publisher"]');
    expect(names().sort()).toEqual(['attested-tool', 'plain-tool']);
  });

  it('says when nothing matches, and names a missing attestation quietly in the publisher column', () => {
    render(<PlanTable plan={plan([pkg('attested-tool', 'unsigned', 'verified'), pkg('trusty-app', 'trusted', 'missing')])} trans={trans} />);
    const missing = view.node.querySelector('.jp-TrustPlanTable-publisher[data-attestation="missing"]');
    expect(missing?.textContent).toBe('no publisher attestation');
    click('[data-filter="trusted"]');
    click('[data-filter="without-verified-publisher"]');
    expect(view.node.querySelectorAll('tbody tr').length).toBe(1);
    click('[data-filter="unsigned"]');
    expect(view.node.querySelector('.jp-TrustPlanTable-empty')?.textContent).toBe('No package matches the filters.');
  });
});

describe('summarizeAudit', () => {
  it('gives the counts in the issue\'s words, then what needs attention', () => {
    expect(summarizeAudit(demoAudit, trans)).toEqual({
      state: 'confirm',
      text: '4 packages: 2 trusted, 1 publisher-verified, 1 unverified · 1 no longer listed by its channel'
    });
    const clean = { ...demoAudit, summary: { ...demoAudit.summary, total: 1, trusted: 1, publisher_verified: 0, unverified: 0, not_found: 0 } };
    expect(summarizeAudit(clean, trans)).toEqual({ state: 'ready', text: '1 package: 1 trusted, 0 publisher-verified, 0 unverified' });
    const bad = { ...demoAudit, summary: { ...demoAudit.summary, untrusted_or_failed: 2, not_found: 0 } };
    expect(summarizeAudit(bad, trans)).toEqual({
      state: 'blocked',
      text: '4 packages: 2 trusted, 1 publisher-verified, 1 unverified · 2 untrusted or publisher not trusted'
    });
    const empty = { ...demoAudit, packages: [], summary: { ...demoAudit.summary, total: 0, trusted: 0, publisher_verified: 0, unverified: 0, not_found: 0 } };
    expect(summarizeAudit(empty, trans).state).toBe('empty');
  });
});

describe('AuditView (sidebar)', () => {
  it('shows the summary and one compact row per installed package, verdict first', () => {
    const opened: string[] = [];
    render(<AuditView audit={demoAudit} trans={trans} onOpenInMain={() => opened.push('audit')} />);
    const summary = view.node.querySelector('.jp-TrustAudit-summary') as HTMLElement;
    expect(summary.getAttribute('data-state')).toBe('confirm');
    expect(summary.textContent).toContain('4 packages: 2 trusted, 1 publisher-verified, 1 unverified');
    const badges = Array.from(view.node.querySelectorAll('.jp-TrustPlan-rowSummary > .jp-TrustBadge')).map(b =>
      b.getAttribute('data-verdict')
    );
    expect(badges).toEqual(['trusted', 'trusted', 'unsigned', 'not-found']);
    const gone = view.node.querySelector('.jp-TrustBadge[data-verdict="not-found"]') as HTMLElement;
    expect(gone.textContent).toBe('not found');
    expect(gone.getAttribute('aria-label')).toBe('gone-tool: not found');
    // Installed packages have no action: the row says version and channel.
    expect(view.node.querySelector('.jp-TrustPlan-meta')?.textContent).toBe('1.0 · demo');
    expect(view.node.querySelector('.jp-TrustPlan-attestation[data-attestation="verified"]')?.textContent).toBe('publisher verified');
    click('.jp-TrustAudit-open');
    expect(opened).toEqual(['audit']);
    click('.jp-TrustPlan-publisherFilter input');
    expect(rows()).toEqual(['trusty-app', 'trusty-lib', 'gone-tool']);
  });

  it('renders server text as text', () => {
    const hostile: IAudit = { ...demoAudit, packages: [{ ...demoAudit.packages[0], name: evil, reason: evil }] };
    render(<AuditView audit={hostile} trans={trans} />);
    expect(view.node.querySelector('img')).toBeNull();
    expect(view.node.textContent).toContain('<img src=x');
    expect(view.node.querySelector('.jp-TrustAudit-open')).toBeNull();
  });
});

describe('AuditTable (main area)', () => {
  it('has no Action column, sorts worst first and filters by verdict', () => {
    render(<AuditTable audit={demoAudit} trans={trans} />);
    const headers = Array.from(view.node.querySelectorAll('thead th')).map(th => th.textContent);
    expect(headers).not.toContain('Action');
    expect(headers).toContain('Publisher');
    const verdicts = (): (string | null)[] => Array.from(view.node.querySelectorAll('tbody tr')).map(tr => tr.getAttribute('data-verdict'));
    expect(verdicts()).toEqual(['not-found', 'unsigned', 'trusted', 'trusted']);
    click('[data-filter="not-found"]');
    expect(verdicts()).toEqual(['not-found']);
    expect(view.node.querySelector('.jp-TrustPlanTable-prefix')?.textContent).toContain('/envs/demo-env');
  });
});

function status(attestations: IStatus['attestations']): IStatus {
  return {
    version: '0.1.0',
    verification: { enabled: true, source: 'user', metadata_url: null, metadata_url_source: null, locked: false, lock_reason: null },
    conda: { executable: null, version: null, content_trust_importable: false },
    trust: { metadata_url: null, anchor: null, root: null, key_mgr: null, refreshed_at: null },
    channels: [],
    token: { present: false, masked: null, source: null, location: null, repo_url: '', error: null },
    policy: {},
    engine: { name: 'rattler', effective: 'rattler', available: ['rattler'], conda: { executable: null, version: null }, locked: false, source: 'default', error: null },
    warnings: [],
    interrupted_tasks: [],
    attestations
  };
}

describe('StatusView: Sigstore root and publisher policy', () => {
  const attestations: IStatus['attestations'] = {
    sigstore_root: { source: 'shipped', path: '/site-packages/jupyter_trust/data/trusted_root.json', date: '2025-04-01', sha256: null, error: null },
    channels: [
      { name: 'demo', url: 'http://127.0.0.1/demo', attestations: 'report', publishers: [{ issuer: 'https://token.actions.githubusercontent.com', repository: 'https://github.com/org/tool' }], v0_sigs: false },
      { name: 'open', url: 'http://127.0.0.1/open', attestations: 'require', publishers: null, v0_sigs: true },
      { name: 'closed', url: 'http://127.0.0.1/closed', attestations: 'report', publishers: [] },
      { name: 'quiet', url: 'http://127.0.0.1/quiet', attestations: 'off', publishers: null }
    ]
  };

  it('lists them inside the details, collapsed, with nothing on the at-a-glance line', () => {
    render(<StatusView status={status(attestations)} error={null} trans={trans} onRefresh={() => undefined} />);
    const section = view.node.querySelector('.jp-TrustPanel-attestations') as HTMLDetailsElement;
    expect(section.open).toBe(false);
    expect(section.closest('.jp-TrustPanel-statusDetails')).not.toBeNull();
    expect(view.node.querySelector('.jp-TrustPanel-glance')?.textContent).not.toContain('Sigstore');
    expect(section.querySelector('.jp-TrustPanel-sigstoreSource')?.textContent).toBe('shipped, dated 2025-04-01');
    expect(section.querySelector('.jp-TrustPanel-sigstoreRoot [title]')?.getAttribute('title')).toContain('trusted_root.json');
    const channels = Array.from(section.querySelectorAll('.jp-TrustPanel-channelPublishers')).map(r => r.textContent);
    expect(channels).toEqual([
      'Publishers: demoattestations reportgithub.com/org/tool',
      'Publishers: openattestations require, also unpinned .v0.sigsany valid signer',
      'Publishers: closedattestations reportnobody (every attestation is refused)',
      'Publishers: quietattestations offnot checked (attestations off)'
    ]);
  });

  it('opens by itself when the Sigstore root cannot be used, and renders its error as text', () => {
    render(
      <StatusView
        status={status({ sigstore_root: { source: 'policy', path: '/x.json', date: null, error: evil }, channels: [] })}
        error={null}
        trans={trans}
        onRefresh={() => undefined}
      />
    );
    const section = view.node.querySelector('.jp-TrustPanel-attestations') as HTMLDetailsElement;
    expect(section.open).toBe(true);
    expect(section.querySelector('.jp-TrustPanel-sigstoreSource')?.textContent).toBe('policy');
    expect(section.querySelector('.jp-TrustPanel-error')?.textContent).toBe(evil);
    expect(view.node.querySelector('img')).toBeNull();
  });

  it('is absent for a server without attestations', () => {
    render(<StatusView status={status(undefined)} error={null} trans={trans} onRefresh={() => undefined} />);
    expect(view.node.querySelector('.jp-TrustPanel-attestations')).toBeNull();
  });
});

describe('TrustModel.runAudit', () => {
  function modelWith(audit: (prefix: string) => Promise<IAudit>): { model: TrustModel; asked: string[] } {
    const asked: string[] = [];
    const api = { audit: (prefix: string) => (asked.push(prefix), audit(prefix)) } as unknown as TrustAPI;
    const model = new TrustModel(api);
    return { model, asked };
  }

  it('audits the selected environment', async () => {
    const { model, asked } = modelWith(async () => demoAudit);
    model.selectedPrefix = '/envs/demo-env';
    const running = model.runAudit();
    expect(model.auditing).toBe(true);
    await running;
    expect(asked).toEqual(['/envs/demo-env']);
    expect(model.audit).toBe(demoAudit);
    expect(model.auditing).toBe(false);
    // Choosing another environment drops an audit that describes the previous one.
    model.selectPrefix('/envs/other');
    expect(model.audit).toBeNull();
  });

  it('shows the server\'s error and asks for an environment when none is chosen', async () => {
    const { model, asked } = modelWith(async () => {
      throw new Error('/envs/x is not an environment your policy allows');
    });
    await model.runAudit();
    expect(asked).toEqual([]);
    expect(model.auditError).toBe('Choose an environment.');
    model.selectedPrefix = '/envs/x';
    await model.runAudit();
    expect(model.auditError).toBe('/envs/x is not an environment your policy allows');
    expect(model.audit).toBeNull();
  });

  it('drops an answer about an environment that is no longer selected', async () => {
    let answer: (a: IAudit) => void = () => undefined;
    const { model } = modelWith(() => new Promise<IAudit>(resolve => (answer = resolve)));
    model.selectedPrefix = '/envs/demo-env';
    const running = model.runAudit();
    model.selectPrefix('/envs/other');
    answer(demoAudit);
    await running;
    expect(model.audit).toBeNull();
  });
});

describe('TrustAPI.audit', () => {
  it('GETs environments/audit with the prefix as an encoded query value', async () => {
    const urls: string[] = [];
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      fetch: (async (input: RequestInfo) => {
        urls.push(typeof input === 'string' ? input : input.url);
        return new Response(JSON.stringify(demoAudit), { status: 200 });
      }) as typeof fetch
    });
    const audit = await new TrustAPI(settings).audit('/envs/a b&x=1#frag');
    expect(audit.summary.total).toBe(4);
    expect(urls[0]).toMatch(/^http:\/\/localhost:8888\/jupyter-trust\/environments\/audit\?prefix=%2Fenvs%2Fa%20b%26x%3D1%23frag/);
  });
});
