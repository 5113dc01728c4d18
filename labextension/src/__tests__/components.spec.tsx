import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';

import { PlanView } from '../components/PlanView';
import { StatusView } from '../components/StatusView';
import { TaskProgress } from '../components/TaskProgress';
import { TokenForm } from '../components/TokenForm';
import { VerificationToggle } from '../components/VerificationToggle';
import { IPlan, IStatus, ITask } from '../tokens';
import { act, reactHost } from './reactHost';

const trans = nullTranslator.load('jupyter_trust');
const evil = '<img src=x onerror="window.__pwned = true">';

const view = reactHost();
const render = (element: JSX.Element): void => view.render(element);

function expectNoInjectedMarkup(): void {
  expect(view.node.querySelector('img')).toBeNull();
  expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
}

const blocked: IPlan = {
  id: 'p',
  prefix: '/envs/x',
  specs: ['tampered-tool'],
  blocked: true,
  reasons: [`tampered-tool-1.0-0.conda is UNTRUSTED: ${evil}`],
  needs_confirmation: false,
  warnings: [evil],
  created_at: '',
  packages: [
    {
      name: 'tampered-tool',
      version: '1.0',
      build: '0',
      filename: 'tampered-tool-1.0-0.conda',
      channel: 'http://127.0.0.1/demo',
      subdir: 'noarch',
      url: '',
      sha256: '',
      size: 1,
      action: 'install',
      verdict: 'untrusted',
      reason: evil,
      previous_version: null
    }
  ]
};

function status(overrides: Partial<IStatus> = {}): IStatus {
  return {
    version: '0.1.0',
    verification: {
      enabled: false,
      source: 'default',
      metadata_url: null,
      metadata_url_source: null,
      locked: false,
      lock_reason: null
    },
    conda: { executable: null, version: null, content_trust_importable: false },
    trust: {
      metadata_url: 'http://127.0.0.1:1/demo',
      anchor: { source: 'env', path: '/x/1.root.json', version: 1, expiration: '2020-01-01T00:00:00Z', expired: true },
      root: { version: 1, expiration: '2020-01-01T00:00:00Z', expired: true, error: null },
      key_mgr: { state: 'invalid', version: null, expiration: null, expired: false, error: evil },
      refreshed_at: null
    },
    channels: [{ name: 'demo', url: 'http://127.0.0.1:1/demo' }],
    token: { present: true, masked: '****abcd', source: 'binstar', location: '/home/u/.continuum', repo_url: '', error: null },
    policy: {
      allow_user_token: { value: true, locked: false, source: 'default' },
      unsigned: { value: 'block', locked: true, source: '/etc/jupyter/jupyter_server_config.json' }
    },
    engine: {
      name: 'rattler',
      effective: 'rattler',
      available: ['rattler'],
      conda: { executable: null, version: null },
      locked: false,
      source: 'default',
      error: null
    },
    warnings: [evil],
    interrupted_tasks: [],
    ...overrides
  };
}

describe('PlanView', () => {
  it('renders a blocked plan with a disabled Install button, badges and reasons as text', () => {
    render(
      <PlanView
        plan={blocked}
        gate={{ enabled: false, reason: blocked.reasons[0], needsConfirmation: false }}
        trans={trans}
        onInstall={() => undefined}
      />
    );
    const button = view.node.querySelector('button.jp-TrustPanel-install') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    const badge = view.node.querySelector('.jp-TrustBadge-untrusted');
    expect(badge?.textContent).toBe('untrusted');
    expect(badge?.getAttribute('data-verdict')).toBe('untrusted');
    expect(badge?.getAttribute('aria-label')).toBe('tampered-tool: untrusted');
    expect(view.node.querySelector('.jp-TrustPlan-summary')?.textContent).toBe('Blocked: 1 untrusted · 1 package');
    expect(view.node.querySelector('.jp-TrustPlan-summary')?.getAttribute('data-decision')).toBe('blocked');
    expect(view.node.querySelector('.jp-TrustPanel-blocked')?.textContent).toContain('UNTRUSTED');
    expect(view.node.textContent).toContain('<img src=x');
    expectNoInjectedMarkup();
  });

  it('puts the verdict first in a compact row: name, version, action, channel short name; the rest in details', () => {
    const plan = { ...blocked, blocked: false, reasons: [], warnings: [] };
    plan.packages = [
      {
        ...blocked.packages[0],
        verdict: 'trusted',
        reason: 'signed by key_mgr v1',
        sha256: 'ab'.repeat(32),
        url: 'http://127.0.0.1/demo/noarch/tampered-tool-1.0-0.conda'
      }
    ];
    render(
      <PlanView plan={plan} gate={{ enabled: true, reason: null, needsConfirmation: false }} trans={trans} onInstall={() => undefined} />
    );
    const row = view.node.querySelector('.jp-TrustPlan-rowSummary') as HTMLElement;
    expect(row.firstElementChild?.getAttribute('data-verdict')).toBe('trusted');
    expect(row.querySelector('.jp-TrustPlan-name')?.textContent).toBe('tampered-tool');
    expect(row.querySelector('.jp-TrustPlan-meta')?.textContent).toBe('1.0 · install · demo');
    const details = view.node.querySelector('.jp-TrustPlan-details') as HTMLElement;
    expect(details.textContent).toContain('signed by key_mgr v1');
    expect(details.querySelector('.jp-TrustPlan-sha256 [title]')?.getAttribute('title')).toBe('ab'.repeat(32));
    expect(details.querySelector('.jp-TrustPlan-sha256 button')?.getAttribute('aria-label')).toBe('Copy sha256');
    expect(details.querySelector('.jp-TrustPlan-publisher')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPlan-summary')?.textContent).toBe('1 package · 1 trusted · ready to install');
    const install = view.node.querySelector('button.jp-TrustPanel-install') as HTMLButtonElement;
    expect(install.disabled).toBe(false);
    expect(install.getAttribute('aria-label')).toBe('Install');
  });

  it('shows the publisher of an attested package, as text', () => {
    const plan = { ...blocked, blocked: false, reasons: [], warnings: [] };
    plan.packages = [
      {
        ...blocked.packages[0],
        verdict: 'trusted',
        attestation: {
          status: 'verified',
          signer: { identity: evil, issuer: evil },
          transport: 'cep50',
          sidecar_sha256: null,
          log_index: null,
          integrated_time: null,
          reason: evil
        }
      }
    ];
    render(
      <PlanView plan={plan} gate={{ enabled: true, reason: null, needsConfirmation: false }} trans={trans} onInstall={() => undefined} />
    );
    expect(view.node.querySelector('.jp-TrustPlan-publisher')?.textContent).toContain(evil);
    expectNoInjectedMarkup();
  });

  it('offers the main-area view only when asked to and there are packages', () => {
    let opened = 0;
    render(
      <PlanView
        plan={blocked}
        gate={{ enabled: false, reason: null, needsConfirmation: false }}
        trans={trans}
        onInstall={() => undefined}
        onOpenInMain={() => (opened += 1)}
      />
    );
    act(() => (view.node.querySelector('.jp-TrustPanel-openPlan') as HTMLButtonElement).click());
    expect(opened).toBe(1);
    render(
      <PlanView
        plan={{ ...blocked, blocked: false, packages: [] }}
        gate={{ enabled: false, reason: null, needsConfirmation: false }}
        trans={trans}
        onInstall={() => undefined}
        onOpenInMain={() => (opened += 1)}
      />
    );
    expect(view.node.querySelector('.jp-TrustPanel-openPlan')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPlan-summary')?.getAttribute('data-decision')).toBe('empty');
  });

  it('keeps Install disabled until the inline unsigned confirmation is ticked', () => {
    const plan = { ...blocked, blocked: false, reasons: [], needs_confirmation: true };
    plan.packages = [{ ...blocked.packages[0], verdict: 'unsigned', reason: 'no signature' }];
    const gate = { enabled: true, reason: null, needsConfirmation: true };
    const planView = (checked: boolean): JSX.Element => (
      <PlanView plan={plan} gate={gate} trans={trans} onInstall={() => undefined} inlineConfirm={{ checked, onChange: () => undefined }} />
    );
    render(planView(false));
    expect((view.node.querySelector('button.jp-TrustPanel-install') as HTMLButtonElement).disabled).toBe(true);
    expect(view.node.querySelector('.jp-TrustPanel-confirmUnsigned input')).not.toBeNull();
    render(planView(true));
    expect((view.node.querySelector('button.jp-TrustPanel-install') as HTMLButtonElement).disabled).toBe(false);
  });
});

describe('StatusView', () => {
  it('shows the OFF banner, expired anchor and root, locked policy, and server text as text', () => {
    render(<StatusView status={status()} error={null} trans={trans} onRefresh={() => undefined} />);
    expect(view.node.querySelector('.jp-TrustPanel-verificationOff')?.textContent).toContain('Signature verification is OFF');
    expect(view.node.querySelector('.jp-TrustPanel-verificationOn')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPanel-anchor')?.textContent).toBe('root v1 (env)');
    expect(view.node.querySelectorAll('.jp-TrustBadge-expired').length).toBe(2);
    expect(view.node.querySelector('.jp-TrustPanel-keymgr-invalid')).not.toBeNull();
    const locked = view.node.querySelector('.jp-TrustPanel-policy-locked');
    expect(locked?.textContent).toContain('block');
    expect(locked?.querySelector('.jp-TrustPanel-lock')).not.toBeNull();
    expect(view.node.querySelector('.jp-TrustPanel-policy')?.querySelector('.jp-TrustPanel-lock')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPanel-tokenRow')?.textContent).toContain('****abcd');
    expectNoInjectedMarkup();
  });

  it('shows the engine, the conda executable found and an engine error as text', () => {
    render(<StatusView status={status()} error={null} trans={trans} onRefresh={() => undefined} />);
    const row = view.node.querySelector('.jp-TrustPanel-engineRow');
    expect(row?.querySelector('.jp-TrustPanel-engineName')?.textContent).toBe('rattler');
    expect(row?.textContent).toContain('available: rattler');
    expect(row?.textContent).toContain('no conda executable found');
    const s = status();
    s.engine = {
      ...s.engine,
      name: 'conda',
      effective: null,
      locked: true,
      source: '/etc/jupyter/jupyter_trust_policy.json',
      error: evil
    };
    render(<StatusView status={s} error={null} trans={trans} onRefresh={() => undefined} />);
    const locked = view.node.querySelector('.jp-TrustPanel-engineRow');
    expect(locked?.querySelector('.jp-TrustPanel-engineName')?.textContent).toBe('conda');
    expect(locked?.textContent).toContain('[locked]');
    expect(locked?.querySelector('.jp-TrustPanel-error')?.textContent).toBe(evil);
    const found = status();
    found.engine = {
      ...found.engine,
      name: 'auto',
      available: ['rattler', 'conda'],
      conda: { executable: '/opt/conda/bin/conda', version: '25.1.1' }
    };
    render(<StatusView status={found} error={null} trans={trans} onRefresh={() => undefined} />);
    const auto = view.node.querySelector('.jp-TrustPanel-engineRow')?.textContent ?? '';
    expect(auto).toContain('solves with rattler');
    expect(auto).toContain('available: rattler, conda');
    expect(auto).toContain('conda found: /opt/conda/bin/conda 25.1.1');
    expectNoInjectedMarkup();
  });

  it('says ON in a chip (no banner) and keeps the details collapsed', () => {
    const s = status();
    s.verification.enabled = true;
    render(<StatusView status={s} error={null} trans={trans} onRefresh={() => undefined} />);
    expect(view.node.querySelector('.jp-TrustPanel-verificationOn')?.textContent).toBe('Verification on');
    expect(view.node.querySelector('.jp-TrustPanel-verificationOff')).toBeNull();
    expect((view.node.querySelector('.jp-TrustPanel-statusDetails') as HTMLDetailsElement).open).toBe(false);
  });

  it('sums the state up at a glance: expired root, key_mgr state, masked token', () => {
    render(<StatusView status={status()} error={null} trans={trans} onRefresh={() => undefined} />);
    const chip = (name: string): Element | null => view.node.querySelector(`.jp-TrustPanel-${name}Chip`);
    expect(chip('anchor')?.textContent).toBe('Root expired');
    expect(chip('anchor')?.getAttribute('data-state')).toBe('bad');
    expect(chip('keymgr')?.textContent).toBe('key_mgr invalid');
    expect(chip('token')?.textContent).toBe('Token ****abcd');
    const fine = status();
    fine.trust.anchor = { ...fine.trust.anchor!, expired: false };
    fine.trust.root = { ...fine.trust.root!, expired: false };
    fine.trust.key_mgr = { state: 'verified', version: 1, expiration: null, expired: false, error: null };
    fine.token = { ...fine.token, present: false, masked: null };
    render(<StatusView status={fine} error={null} trans={trans} onRefresh={() => undefined} />);
    expect(chip('anchor')?.textContent).toBe('Root v1 ok');
    expect(chip('keymgr')?.getAttribute('data-state')).toBe('ok');
    expect(chip('token')?.textContent).toBe('No token');
  });

  it('does not shout about what needs no action: conda-content-trust stays in the details', () => {
    render(<StatusView status={status()} error={null} trans={trans} onRefresh={() => undefined} />);
    const glance = view.node.querySelector('.jp-TrustPanel-glance')?.textContent ?? '';
    expect(glance).not.toContain('conda-content-trust');
    expect(view.node.querySelector('.jp-TrustPanel-statusDetails')?.textContent).toContain('not needed here');
  });

  it('shows an error with a Refresh button when the status cannot be read', () => {
    let refreshed = 0;
    render(<StatusView status={null} error={evil} trans={trans} onRefresh={() => (refreshed += 1)} />);
    expect(view.node.querySelector('.jp-TrustPanel-error')?.textContent).toBe(evil);
    act(() => (view.node.querySelector('.jp-TrustPanel-refresh') as HTMLButtonElement).click());
    expect(refreshed).toBe(1);
    expectNoInjectedMarkup();
  });
});

describe('TokenForm', () => {
  it('is replaced by the lock reason when the policy forbids personal tokens', () => {
    const policy = { allow_user_token: { value: false, locked: true, source: 'admin policy file' } };
    render(<TokenForm status={null} policy={policy} trans={trans} onSave={async () => undefined} onRemove={async () => undefined} />);
    expect(view.node.querySelector('input[type=password]')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPanel-tokenLocked')?.textContent).toContain('admin policy file');
  });

  it('shows an administrator-supplied token locked: no field to replace it, no Remove button', () => {
    for (const source of ['env', 'secret_file']) {
      const admin = status({
        token: { present: true, masked: '****wxyz', source, location: '$ANACONDA_SECRET', repo_url: '', error: null }
      });
      render(<TokenForm status={admin} policy={{}} trans={trans} onSave={async () => undefined} onRemove={async () => undefined} />);
      expect(view.node.querySelector('input[type=password]')).toBeNull();
      expect(view.node.querySelector('button.jp-TrustPanel-removeToken')).toBeNull();
      expect(view.node.querySelector('.jp-TrustPanel-tokenLocked')?.textContent).toContain('$ANACONDA_SECRET');
    }
  });

  it('is a password field, cleared after submit; the token goes only to onSave', async () => {
    const saved: unknown[][] = [];
    render(
      <TokenForm
        status={null}
        policy={{}}
        trans={trans}
        onSave={async (...args) => void saved.push(args)}
        onRemove={async () => undefined}
      />
    );
    const input = view.node.querySelector('input.jp-TrustPanel-tokenInput') as HTMLInputElement;
    expect(input.type).toBe('password');
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    act(() => {
      setValue.call(input, 'SECRET-TOKEN-9876');
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    act(() => (view.node.querySelector('.jp-TrustPanel-validate') as HTMLInputElement).click());
    await (React as unknown as { act: (fn: () => Promise<void>) => Promise<void> }).act(async () => {
      (view.node.querySelector('button.jp-TrustPanel-saveToken') as HTMLButtonElement).click();
    });
    expect(saved).toEqual([['SECRET-TOKEN-9876', false, true, 'user']]);
    expect(input.value).toBe('');
    expect(view.node.innerHTML).not.toContain('SECRET-TOKEN-9876');
  });
});

describe('VerificationToggle', () => {
  it('is disabled with the reason when the administrator locked it', () => {
    const verification = { ...status().verification, locked: true, lock_reason: 'set by the administrator' };
    render(<VerificationToggle verification={verification} trans={trans} onChange={() => undefined} />);
    expect((view.node.querySelector('input.jp-TrustPanel-verificationCheckbox') as HTMLInputElement).disabled).toBe(true);
    expect(view.node.querySelector('.jp-TrustPanel-locked')?.textContent).toContain('set by the administrator');
  });
});

describe('TaskProgress', () => {
  const task = (state: ITask['state']): ITask => ({
    id: 't',
    plan_id: 'p',
    prefix: '/envs/x',
    state,
    progress: {
      phase: 'downloading',
      packages_done: 1,
      packages_total: 2,
      bytes_done: 1500,
      bytes_total: 3_000_000,
      message: evil
    },
    result: null,
    error: state === 'failed' ? evil : null,
    created_at: '',
    updated_at: ''
  });

  it('shows packages and bytes progress and a Cancel button while running', () => {
    render(<TaskProgress task={task('running')} trans={trans} onCancel={() => undefined} />);
    expect(view.node.textContent).toContain('Packages 1/2');
    expect(view.node.textContent).toContain('Downloaded 1.5 kB of 3.0 MB');
    expect(view.node.querySelector('.jp-TrustPanel-cancel')).not.toBeNull();
    expectNoInjectedMarkup();
  });

  it('shows the error and no Cancel button when the task failed', () => {
    render(<TaskProgress task={task('failed')} trans={trans} onCancel={() => undefined} />);
    expect(view.node.querySelector('.jp-TrustPanel-cancel')).toBeNull();
    expect(view.node.querySelector('.jp-TrustPanel-error')?.textContent).toBe(evil);
    expectNoInjectedMarkup();
  });
});
