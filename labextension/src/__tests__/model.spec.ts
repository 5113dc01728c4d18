import { TrustAPI } from '../api';
import { TrustModel } from '../model';
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
    const model = new TrustModel(api, 1);
    model.plan = plan();
    await model.install(false);
    expect(model.task?.state).toBe('succeeded');
    expect(model.installGate.enabled).toBe(true);
  });
});
