import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';
import { createRoot } from 'react-dom/client';
import { act } from 'react-dom/test-utils';

import { PlanView } from '../components/PlanView';
import { IPlan } from '../tokens';

const trans = nullTranslator.load('jupyter_trust');

const evil = '<img src=x onerror="window.__pwned = true">';

const blocked: IPlan = {
  id: 'p',
  prefix: '/envs/x',
  specs: ['tampered-tool'],
  blocked: true,
  reasons: [`tampered-tool-1.0-0.conda is UNTRUSTED: ${evil}`],
  needs_confirmation: false,
  warnings: [],
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

describe('PlanView', () => {
  it('renders a blocked plan with a disabled Install button, badges and reasons as text', () => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    act(() => {
      createRoot(host).render(
        <PlanView
          plan={blocked}
          gate={{ enabled: false, reason: blocked.reasons[0], needsConfirmation: false }}
          trans={trans}
          onInstall={() => undefined}
        />
      );
    });
    const button = host.querySelector('button.jp-TrustPanel-install') as HTMLButtonElement;
    expect(button.disabled).toBe(true);
    expect(host.querySelector('.jp-TrustBadge-untrusted')?.textContent).toBe('untrusted');
    expect(host.querySelector('.jp-TrustPanel-blocked')?.textContent).toContain('UNTRUSTED');
    expect(host.querySelector('img')).toBeNull();
    expect(host.textContent).toContain('<img src=x');
    expect((window as unknown as { __pwned?: boolean }).__pwned).toBeUndefined();
  });
});
