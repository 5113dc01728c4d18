import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';

import { MiddleEllipsis, tailLength } from '../components/MiddleEllipsis';
import { PlanTable } from '../components/PlanTable';
import { VerdictBadge } from '../components/VerdictBadge';
import { PlanView } from '../components/PlanView';
import { channelShortName, describeSigner, sortPackages, summarize } from '../plans';
import { makePlan, plannedPackage } from './fixtures';
import { act, reactHost } from './reactHost';

const trans = nullTranslator.load('jupyter_trust');
const view = reactHost();
const render = (element: JSX.Element): void => view.render(element);

const pkg = plannedPackage;
const plan = makePlan;

describe('summarize', () => {
  it('words the server decision with counts, worst verdict first', () => {
    expect(summarize(plan([pkg('a', 'trusted'), pkg('b', 'trusted')]), trans).text).toBe(
      '2 packages · 2 trusted · ready to install'
    );
    const blocked = plan([pkg('a', 'trusted'), pkg('t', 'untrusted')], { blocked: true });
    expect(summarize(blocked, trans)).toMatchObject({ decision: 'blocked', text: 'Blocked: 1 untrusted · 1 trusted · 2 packages' });
    const confirm = plan([pkg('u', 'unsigned')], { needs_confirmation: true });
    expect(summarize(confirm, trans).text).toBe('Needs your confirmation: 1 unsigned · 1 package');
    expect(summarize(plan([]), trans).decision).toBe('empty');
  });

  it('never re-derives the decision: an untrusted package the server did not block is not called blocked', () => {
    // The frontend only words what the server decided (the server is the one enforcing it).
    const odd = plan([pkg('t', 'untrusted')]);
    expect(summarize(odd, trans).decision).toBe('ready');
    // A plan blocked for a reason that is no package's verdict (e.g. an expired root) is still blocked.
    const expired = plan([pkg('a', 'trusted')], { blocked: true, reasons: ['root expired'] });
    expect(summarize(expired, trans).text).toBe('Blocked: 1 trusted · 1 package');
  });
});

describe('channelShortName', () => {
  it('keeps the last path part of a channel URL', () => {
    expect(channelShortName('http://127.0.0.1:8000/channel/demo')).toBe('demo');
    expect(channelShortName('http://127.0.0.1:8000/channel/demo/')).toBe('demo');
    expect(channelShortName('conda-forge')).toBe('conda-forge');
    expect(channelShortName('')).toBe('');
  });
});

describe('sortPackages', () => {
  it('sorts verdicts worst first and any column both ways', () => {
    const packages = [pkg('b', 'trusted'), pkg('a', 'unsigned'), pkg('c', 'untrusted')];
    expect(sortPackages(packages, 'verdict', true).map(p => p.name)).toEqual(['c', 'a', 'b']);
    expect(sortPackages(packages, 'name', true).map(p => p.name)).toEqual(['a', 'b', 'c']);
    expect(sortPackages(packages, 'name', false).map(p => p.name)).toEqual(['c', 'b', 'a']);
    expect(packages.map(p => p.name)).toEqual(['b', 'a', 'c']); // not sorted in place
  });
});

describe('VerdictBadge', () => {
  it('has an icon, the word, data-verdict and an ARIA label', () => {
    render(<VerdictBadge verdict="unsigned" trans={trans} name="x" />);
    const badge = view.node.querySelector('.jp-TrustBadge') as HTMLElement;
    expect(badge.getAttribute('data-verdict')).toBe('unsigned');
    expect(badge.getAttribute('aria-label')).toBe('x: unsigned');
    expect(badge.querySelector('svg[aria-hidden="true"]')).not.toBeNull();
    expect(badge.textContent).toBe('unsigned');
  });

  it('shows n/a for removals and unknown verdicts', () => {
    render(<VerdictBadge verdict="something-else" trans={trans} />);
    expect(view.node.querySelector('.jp-TrustBadge')?.textContent).toBe('n/a');
  });
});

describe('MiddleEllipsis', () => {
  it('keeps the end visible, the full value on hover, and copies it', () => {
    const value = '/home/someone/.local/share/jupyter/jupyter_trust/demo-run/condarc';
    render(<MiddleEllipsis value={value} trans={trans} copy="path" />);
    expect(view.node.querySelector('[title]')?.getAttribute('title')).toBe(value);
    const tail = view.node.querySelector('.jp-TrustEllipsis-tail')?.textContent ?? '';
    expect(tail.length).toBe(tailLength(value));
    expect((view.node.querySelector('.jp-TrustEllipsis-head')?.textContent ?? '') + tail).toBe(value);
    expect(view.node.querySelector('button')?.getAttribute('aria-label')).toBe('Copy path');
  });

  it('has no copy button unless asked for, and copes with short values', () => {
    render(<MiddleEllipsis value="ab" trans={trans} />);
    expect(view.node.querySelector('button')).toBeNull();
    expect(view.node.textContent).toBe('ab');
  });
});

describe('PlanTable', () => {
  const mixed = plan([pkg('b-lib', 'trusted'), pkg('a-extra', 'unsigned'), pkg('c-tool', 'untrusted')], {
    blocked: true,
    reasons: ['c-tool is UNTRUSTED']
  });
  const names = (): string[] => Array.from(view.node.querySelectorAll('tbody .jp-TrustPlanTable-name')).map(e => e.textContent ?? '');
  const click = (selector: string): void => act(() => (view.node.querySelector(selector) as HTMLButtonElement).click());

  it('lists every package, worst verdict first, and sorts by a column', () => {
    render(<PlanTable plan={mixed} trans={trans} />);
    expect(names()).toEqual(['c-tool', 'a-extra', 'b-lib']);
    click('[data-sort="name"]');
    expect(names()).toEqual(['a-extra', 'b-lib', 'c-tool']);
    click('[data-sort="name"]');
    expect(names()).toEqual(['c-tool', 'b-lib', 'a-extra']);
    expect(view.node.querySelector('th[aria-sort="descending"]')?.textContent).toContain('Name');
  });

  it('filters by verdict and says how many each filter shows', () => {
    render(<PlanTable plan={mixed} trans={trans} />);
    const labels = Array.from(view.node.querySelectorAll('[data-filter]')).map(b => b.textContent);
    expect(labels).toEqual(['All (3)', 'untrusted (1)', 'unsigned (1)', 'trusted (1)']);
    click('[data-filter="unsigned"]');
    expect(names()).toEqual(['a-extra']);
    expect(view.node.querySelector('[data-filter="unsigned"]')?.getAttribute('aria-pressed')).toBe('true');
    click('[data-filter="all"]');
    expect(names().length).toBe(3);
    expect(view.node.querySelector('.jp-TrustPanel-blocked')?.textContent).toContain('c-tool is UNTRUSTED');
  });
});

describe('PlanTable publisher column', () => {
  it('appears only when a package has an attestation', () => {
    render(<PlanTable plan={plan([pkg('a', 'trusted')])} trans={trans} />);
    expect(view.node.textContent).not.toContain('Publisher');
    const attested = pkg('a', 'trusted', {
      attestation: {
        status: 'verified',
        signer: { identity: 'dev@example.org', issuer: 'https://issuer.example' },
        transport: 'cep50',
        sidecar_sha256: null,
        log_index: null,
        integrated_time: null,
        reason: ''
      }
    });
    render(<PlanTable plan={plan([attested])} trans={trans} />);
    const cell = view.node.querySelector('.jp-TrustPlanTable-publisher') as HTMLElement;
    expect(cell.querySelector('.jp-TrustPlan-publishedBy')?.textContent).toBe('published by dev@example.org (https://issuer.example)');
    expect(cell.querySelector('.jp-TrustPlan-attestationStatus')?.textContent).toBe('publisher verified');
  });
});

describe('publish attestations', () => {
  const signer = {
    identity: 'https://github.com/org/tool/.github/workflows/release.yml@refs/heads/main',
    issuer: 'https://token.actions.githubusercontent.com',
    repository: 'https://github.com/org/tool',
    ref: 'refs/heads/main',
    commit: null
  };
  const attestation = (status: string) => ({
    status,
    signer,
    transport: 'cep50',
    sidecar_sha256: null,
    log_index: 1,
    integrated_time: null,
    reason: `attestation ${status}`
  });

  it('describes the signer as the CLI does', () => {
    expect(describeSigner(signer)).toBe('github.com/org/tool · release.yml · refs/heads/main');
    expect(describeSigner({ identity: 'dev@example.org', issuer: 'https://issuer.example' })).toBe(
      'dev@example.org (https://issuer.example)'
    );
    expect(describeSigner(null)).toBe('');
  });

  it('counts an unsigned package with a verified publisher as publisher-verified', () => {
    const p = plan([pkg('attested-tool', 'unsigned', { attestation: attestation('verified') })]);
    expect(summarize(p, trans).text).toBe('1 package · 1 publisher-verified · ready to install');
  });

  it('counts a failed attestation as a publisher not trusted', () => {
    const p = plan([pkg('stranger-tool', 'unsigned', { attestation: attestation('untrusted-publisher') })], { blocked: true });
    expect(summarize(p, trans).text).toBe('Blocked: 1 publisher not trusted · 1 package');
  });

  it('shows the publisher and the attestation status in the row', () => {
    const p = plan([pkg('stranger-tool', 'unsigned', { attestation: attestation('untrusted-publisher') })], { blocked: true });
    render(<PlanView plan={p} gate={{ enabled: false, reason: null, needsConfirmation: false }} trans={trans} onInstall={() => undefined} />);
    expect(view.node.querySelector('.jp-TrustPlan-attestation')?.textContent).toBe('publisher not trusted');
    const line = view.node.querySelector('.jp-TrustPlan-publisher') as HTMLElement;
    expect(line.getAttribute('data-attestation')).toBe('untrusted-publisher');
    expect(line.getAttribute('data-failed')).toBe('true');
    expect(line.querySelector('.jp-TrustPlan-publishedBy')?.textContent).toBe(
      'published by github.com/org/tool · release.yml · refs/heads/main'
    );
    expect(line.querySelector('.jp-TrustPlan-attestationReason')?.textContent).toBe('attestation untrusted-publisher');
    // The tooltip has the whole identity and the log entry.
    expect(line.getAttribute('title')).toContain(signer.identity);
    expect(line.getAttribute('title')).toContain('log index 1');
  });
});

describe('PlanTable without attestations', () => {
  it('has no publisher column when every attestation is missing or not checked', () => {
    const missing = {
      status: 'missing',
      signer: null,
      transport: null,
      sidecar_sha256: null,
      log_index: null,
      integrated_time: null,
      reason: 'nothing advertised'
    };
    render(<PlanTable plan={plan([pkg('a', 'trusted', { attestation: missing })])} trans={trans} />);
    expect(view.node.textContent).not.toContain('Publisher');
  });
});
