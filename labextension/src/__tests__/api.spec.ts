import { ServerConnection } from '@jupyterlab/services';

import { endpointUrl, TrustAPI, TrustAPIError } from '../api';

function settingsWith(handler: (url: string, init: RequestInit) => Response): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/user/a b/',
    fetch: (async (input: RequestInfo, init?: RequestInit) => {
      if (typeof input === 'string') {
        return handler(input, init ?? {});
      }
      const body = await input.text();
      return handler(input.url, { method: input.method, body: body || undefined });
    }) as typeof fetch
  });
}

describe('endpointUrl', () => {
  it('joins the base URL and encodes every path part', () => {
    const settings = settingsWith(() => new Response('{}'));
    expect(endpointUrl(settings, 'tasks', '../../etc/passwd')).toBe(
      'http://localhost:8888/user/a%20b/jupyter-trust/tasks/..%2F..%2Fetc%2Fpasswd'
    );
  });
});

describe('TrustAPI', () => {
  it('sends JSON bodies and parses JSON answers', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const api = new TrustAPI(
      settingsWith((url, init) => {
        calls.push({ url, init });
        return new Response(JSON.stringify({ id: 'p1', blocked: false }), { status: 201 });
      })
    );
    const plan = await api.createPlan(['numpy'], '/envs/x');
    expect(plan.id).toBe('p1');
    expect(calls[0].url).toContain('/jupyter-trust/plans');
    expect(calls[0].init.method).toBe('POST');
    expect(JSON.parse(String(calls[0].init.body))).toEqual({ specs: ['numpy'], prefix: '/envs/x' });
  });

  it('maps error answers to TrustAPIError with the server message', async () => {
    const api = new TrustAPI(
      settingsWith(
        () => new Response(JSON.stringify({ message: 'this plan is blocked: x is UNTRUSTED' }), { status: 422 })
      )
    );
    await expect(api.install('p', false)).rejects.toEqual(
      new TrustAPIError(422, 'this plan is blocked: x is UNTRUSTED')
    );
  });

  it('never puts the token in the URL', async () => {
    const urls: string[] = [];
    const api = new TrustAPI(
      settingsWith(url => {
        urls.push(url);
        return new Response('{"token":{},"verification":{},"condarc":"","validated":true,"messages":[]}');
      })
    );
    await api.setToken({ token: 'SECRET-123', validate: true, enable_signature_verification: true, scope: 'user' });
    expect(urls[0]).not.toContain('SECRET-123');
  });
});
