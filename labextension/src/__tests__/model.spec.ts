import { PageConfig } from '@jupyterlab/coreutils';

import { TrustAPI, TrustAPIError } from '../api';
import { readPagePolicy, TrustModel } from '../model';
import { IPlan, ITask } from '../tokens';

function plan(overrides: Partial<IPlan> = {}): IPlan {
  return {
    id: 'p1',
    prefix: '/envs/x',
    specs: ['trusty-app'],
    blocked: false,
    reasons: [],
    needs_confirmation: false,
    warnings: [],
    created_at: '',
    packages: [
      {
        name: 'trusty-app',
        version: '1.0',
        build: '0',
        filename: 'trusty-app-1.0-0.conda',
        channel: 'http://127.0.0.1/demo',
        subdir: 'noarch',
        url: '',
        sha256: '',
        size: 1,
        action: 'install',
        verdict: 'trusted',
        reason: 'ok',
        previous_version: null
      }
    ],
    ...overrides
  };
}

function task(state: ITask['state']): ITask {
  return {
    id: 't1',
    plan_id: 'p1',
    prefix: '/envs/x',
    state,
    progress: { phase: 'done', packages_done: 1, packages_total: 1, bytes_done: 0, bytes_total: 0, message: '' },
    result: null,
    error: null,
    created_at: '',
    updated_at: ''
  };
}

describe('TrustModel.installGate', () => {
  it('disables Install for a blocked plan and says why', () => {
    const model = new TrustModel({} as TrustAPI);
    model.plan = plan({ blocked: true, reasons: ['tampered-tool-1.0-0.conda is UNTRUSTED'] });
    expect(model.installGate).toEqual({
      enabled: false,
      reason: 'tampered-tool-1.0-0.conda is UNTRUSTED',
      needsConfirmation: false
    });
  });

  it('asks for confirmation for unsigned packages under warn', () => {
    const model = new TrustModel({} as TrustAPI);
    model.plan = plan({ needs_confirmation: true });
    expect(model.installGate.enabled).toBe(true);
    expect(model.installGate.needsConfirmation).toBe(true);
  });

  it('does not install a blocked plan even if asked', async () => {
    const install = jest.fn();
    const model = new TrustModel({ install } as unknown as TrustAPI);
    model.plan = plan({ blocked: true, reasons: ['x'] });
    await model.install(true);
    expect(install).not.toHaveBeenCalled();
  });

  it('polls a task until it is done', async () => {
    const states: ITask['state'][] = ['running', 'running', 'succeeded'];
    const api = {
      install: jest.fn().mockResolvedValue(task('queued')),
      task: jest.fn().mockImplementation(() => Promise.resolve(task(states.shift() ?? 'succeeded')))
    } as unknown as TrustAPI;
    const model = new TrustModel(api, { pollInterval: 1 });
    model.plan = plan();
    let changes = 0;
    model.changed.connect(() => (changes += 1));
    await model.install(false);
    expect(model.task?.state).toBe('succeeded');
    expect((api.task as jest.Mock).mock.calls.length).toBe(3);
    expect(changes).toBeGreaterThanOrEqual(4);
    // The installed plan cannot be installed a second time.
    expect(model.installGate.enabled).toBe(false);
  });

  it('keeps Install disabled while a task runs', () => {
    const model = new TrustModel({} as TrustAPI);
    model.plan = plan();
    model.task = task('running');
    expect(model.installGate.enabled).toBe(false);
  });

  it('disables Install for an empty plan', () => {
    const model = new TrustModel({} as TrustAPI);
    model.plan = plan({ packages: [] });
    expect(model.installGate.enabled).toBe(false);
  });

  it('shows a refused install (409/422) as the task error and starts no polling', async () => {
    const api = {
      install: jest.fn().mockRejectedValue(new TrustAPIError(409, 'the plan changed: repodata digest differs')),
      task: jest.fn()
    } as unknown as TrustAPI;
    const model = new TrustModel(api, { pollInterval: 1 });
    model.plan = plan();
    await model.install(false);
    expect(model.taskError).toBe('the plan changed: repodata digest differs');
    expect(model.task).toBeNull();
    expect(api.task).not.toHaveBeenCalled();
  });

  it('stops polling and reports the error when the task cannot be read', async () => {
    const api = {
      install: jest.fn().mockResolvedValue(task('running')),
      task: jest.fn().mockRejectedValue(new TrustAPIError(404, 'no such task'))
    } as unknown as TrustAPI;
    const model = new TrustModel(api, { pollInterval: 1 });
    model.plan = plan();
    await model.install(false);
    expect(model.taskError).toBe('no such task');
    expect(api.task).toHaveBeenCalledTimes(1);
  });

  it('cancels a running task', async () => {
    const states: ITask['state'][] = ['running', 'cancelled'];
    const api = {
      install: jest.fn().mockResolvedValue(task('running')),
      task: jest.fn().mockImplementation(() => Promise.resolve(task(states.shift() ?? 'cancelled'))),
      cancel: jest.fn().mockResolvedValue(task('running'))
    } as unknown as TrustAPI;
    const model = new TrustModel(api, { pollInterval: 1 });
    model.plan = plan();
    let cancelling: Promise<void> | null = null;
    model.changed.connect(() => {
      if (model.task && !cancelling) {
        cancelling = model.cancel();
      }
    });
    await model.install(false);
    await cancelling;
    expect(api.cancel).toHaveBeenCalledWith('t1');
    expect(model.task?.state).toBe('cancelled');
  });
});

describe('TrustModel.makePlan', () => {
  it('splits specs on whitespace and plans into the selected environment', async () => {
    const createPlan = jest.fn().mockResolvedValue(plan({ blocked: true, reasons: ['x is UNTRUSTED'] }));
    const model = new TrustModel({ createPlan } as unknown as TrustAPI);
    model.selectedPrefix = '/envs/x';
    await model.makePlan('  trusty-app   "numpy>=1"\n');
    expect(createPlan).toHaveBeenCalledWith(['trusty-app', '"numpy>=1"'], '/envs/x');
    expect(model.installGate.enabled).toBe(false);
    expect(model.busy).toBe(false);
  });

  it('refuses an empty request without calling the server', async () => {
    const createPlan = jest.fn();
    const model = new TrustModel({ createPlan } as unknown as TrustAPI);
    model.selectedPrefix = '/envs/x';
    await model.makePlan('   ');
    expect(createPlan).not.toHaveBeenCalled();
    expect(model.planError).toBe('Enter at least one package.');
  });

  it('shows a 400 from the server as the plan error and keeps no plan', async () => {
    const createPlan = jest.fn().mockRejectedValue(new TrustAPIError(400, 'refused spec: URLs are not allowed'));
    const model = new TrustModel({ createPlan } as unknown as TrustAPI);
    model.selectedPrefix = '/envs/x';
    model.plan = plan();
    await model.makePlan('https://example.invalid/x.conda');
    expect(model.plan).toBeNull();
    expect(model.planError).toBe('refused spec: URLs are not allowed');
  });
});

describe('TrustModel.policy', () => {
  it('falls back to the page config policy until the status arrives', () => {
    const model = new TrustModel({} as TrustAPI);
    model.pagePolicy = { allow_user_token: { value: false, locked: true, source: 'admin' } };
    expect(model.policy.allow_user_token.value).toBe(false);
  });

  it('reads the jupyterTrust page config and ignores malformed values', () => {
    PageConfig.setOption('jupyterTrust', JSON.stringify({ policy: { unsigned: { value: 'block', locked: true, source: 'x' } } }));
    expect(readPagePolicy()?.unsigned.value).toBe('block');
    PageConfig.setOption('jupyterTrust', '{not json');
    expect(readPagePolicy()).toBeNull();
    PageConfig.setOption('jupyterTrust', '');
    expect(readPagePolicy()).toBeNull();
  });
});
