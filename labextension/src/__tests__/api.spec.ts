import { ServerConnection } from '@jupyterlab/services';

import { endpointUrl, requestAPI, TrustAPI, TrustAPIError } from '../api';

interface ICall {
  url: string;
  method: string;
  body: string | undefined;
  headers: Headers;
}

/** Server settings whose fetch is a local function: ServerConnection.makeRequest itself runs for real. */
function settingsWith(handler: (call: ICall) => Response, calls: ICall[] = []): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/user/a b/',
    token: 'server-auth-token',
    fetch: (async (input: RequestInfo, init?: RequestInit) => {
      const request = typeof input === 'string' ? new Request(input, init) : input;
      const body = await request.text();
      const call = { url: request.url, method: request.method, body: body || undefined, headers: request.headers };
      calls.push(call);
      return handler(call);
    }) as typeof fetch
  });
}

async function failure(promise: Promise<unknown>): Promise<TrustAPIError> {
  try {
    await promise;
  } catch (error) {
    return error as TrustAPIError;
  }
  throw new Error('the request did not fail');
}

// ServerConnection adds a cache-busting number to the query; drop it.
const path = (url: string): string =>
  url.replace('http://localhost:8888/user/a%20b/jupyter-trust/', '').replace(/[?&]\d+$/, '');

const ok = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status });

describe('endpointUrl', () => {
  const settings = settingsWith(() => ok({}));

  it('joins the base URL and the jupyter-trust namespace', () => {
    expect(endpointUrl('status', settings)).toBe('http://localhost:8888/user/a%20b/jupyter-trust/status');
  });

  it('encodes every path part so an id cannot climb out or add a query', () => {
    expect(endpointUrl(['tasks', '../../etc/passwd'], settings)).toBe(
      'http://localhost:8888/user/a%20b/jupyter-trust/tasks/..%2F..%2Fetc%2Fpasswd'
    );
    expect(endpointUrl(['plans', 'x?y=1#z'], settings)).toBe(
      'http://localhost:8888/user/a%20b/jupyter-trust/plans/x%3Fy%3D1%23z'
    );
  });

  it('splits a string end point at "/" and encodes each part', () => {
    expect(endpointUrl('tasks/a b', settings)).toBe('http://localhost:8888/user/a%20b/jupyter-trust/tasks/a%20b');
  });

  it('adds an encoded query', () => {
    expect(endpointUrl('token', settings, { scope: 'user&x=1' })).toBe(
      'http://localhost:8888/user/a%20b/jupyter-trust/token?scope=user%26x%3D1'
    );
  });
});

describe('requestAPI', () => {
  it('goes through ServerConnection: auth header and JSON content type', async () => {
    const calls: ICall[] = [];
    const settings = settingsWith(() => ok({ environments: [], default: null }), calls);
    const envs = await requestAPI<{ default: string | null }>('environments', {}, settings);
    expect(envs.default).toBeNull();
    expect(calls[0].method).toBe('GET');
    expect(calls[0].headers.get('Authorization')).toBe('token server-auth-token');
  });

  it('maps a JSON error body to TrustAPIError(status, message) with the reason', async () => {
    const settings = settingsWith(() => ok({ message: 'policy forbids it', reason: 'locked' }, 403));
    const error = await failure(requestAPI('verification', { method: 'PUT', body: '{}' }, settings));
    expect(error).toBeInstanceOf(TrustAPIError);
    expect(error.status).toBe(403);
    expect(error.message).toBe('policy forbids it');
    expect(error.reason).toBe('locked');
  });

  it('uses the status line when the error body is not JSON', async () => {
    const settings = settingsWith(() => new Response('<html>proxy error</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(requestAPI('status', {}, settings)).rejects.toEqual(new TrustAPIError(502, '502 Bad Gateway'));
  });

  it('fails closed on a 200 answer that is not JSON', async () => {
    const settings = settingsWith(() => new Response('<html>login</html>', { status: 200 }));
    const error = await failure(requestAPI('status', {}, settings));
    expect(error).toBeInstanceOf(TrustAPIError);
    expect(error.status).toBe(200);
  });

  it('reports an unreachable server as status 0', async () => {
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/',
      fetch: (async () => {
        throw new TypeError('connection refused');
      }) as typeof fetch
    });
    const error = await failure(requestAPI('status', {}, settings));
    expect(error).toBeInstanceOf(TrustAPIError);
    expect(error.status).toBe(0);
  });

  it('does not interpret a non-string message as text', async () => {
    const settings = settingsWith(() => ok({ message: { html: '<b>x</b>' } }, 400));
    await expect(requestAPI('plans', { method: 'POST' }, settings)).rejects.toEqual(new TrustAPIError(400, '400'));
  });
});

describe('TrustAPI', () => {
  it('sends JSON bodies and parses JSON answers', async () => {
    const calls: ICall[] = [];
    const api = new TrustAPI(settingsWith(() => ok({ id: 'p1', blocked: false }, 201), calls));
    const plan = await api.createPlan(['numpy'], '/envs/x');
    expect(plan.id).toBe('p1');
    expect(calls[0].url.startsWith('http://localhost:8888/user/a%20b/jupyter-trust/plans')).toBe(true);
    expect(path(calls[0].url)).toBe('plans');
    expect(calls[0].method).toBe('POST');
    expect(JSON.parse(String(calls[0].body))).toEqual({ specs: ['numpy'], prefix: '/envs/x' });
  });

  it('uses the documented verbs and paths', async () => {
    const calls: ICall[] = [];
    const api = new TrustAPI(settingsWith(() => ok({}), calls));
    await api.status(true);
    await api.removeToken('env');
    await api.setVerification(false, 'user');
    await api.install('p/1', true);
    await api.task('t/1');
    await api.cancel('t 1');
    await api.plan('p1');
    await api.tasks();
    const seen = calls.map(c => `${c.method} ${path(c.url)}`);
    expect(seen).toEqual([
      'GET status?refresh=true',
      'DELETE token?scope=env',
      'PUT verification',
      'POST tasks',
      'GET tasks/t%2F1',
      'DELETE tasks/t%201',
      'GET plans/p1',
      'GET tasks'
    ]);
    expect(JSON.parse(String(calls[2].body))).toEqual({ enabled: false, location: { scope: 'user' } });
    expect(JSON.parse(String(calls[3].body))).toEqual({ plan_id: 'p/1', confirm_unsigned: true });
  });

  it('maps error answers to TrustAPIError with the server message', async () => {
    const api = new TrustAPI(settingsWith(() => ok({ message: 'this plan is blocked: x is UNTRUSTED' }, 422)));
    await expect(api.install('p', false)).rejects.toEqual(new TrustAPIError(422, 'this plan is blocked: x is UNTRUSTED'));
  });

  it('puts the token only in the PUT body, never in the URL or a header', async () => {
    const calls: ICall[] = [];
    const api = new TrustAPI(
      settingsWith(() => ok({ token: {}, verification: {}, condarc: '', validated: true, messages: [] }), calls)
    );
    await api.setToken({ token: 'SECRET-123', validate: false, enable_signature_verification: true, scope: 'user' });
    expect(calls[0].method).toBe('PUT');
    expect(calls[0].url).not.toContain('SECRET-123');
    calls[0].headers.forEach(value => expect(value).not.toContain('SECRET-123'));
    expect(JSON.parse(String(calls[0].body))).toEqual({
      token: 'SECRET-123',
      validate: false,
      enable_signature_verification: true,
      location: { scope: 'user' }
    });
  });
});
