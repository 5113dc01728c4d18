/**
 * The REST client: every request goes through ServerConnection (token header, XSRF cookie, base URL).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  CondarcScope,
  IAudit,
  IEnvironments,
  IPlan,
  ISettingsResult,
  IStatus,
  ITask,
  ITokenInfo,
  IVerification
} from './tokens';

export const NAMESPACE = 'jupyter-trust';

/** A failed request: the HTTP status (0 = server not reachable), the server's message and reason. */
export class TrustAPIError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason: string | null = null
  ) {
    super(message);
    this.name = 'TrustAPIError';
  }
}

/** An endpoint below the namespace: a string is split at '/', an array gives the path parts as they are. */
export type EndPoint = string | readonly string[];

/** The URL of an endpoint; every path part is URL-encoded (a part can never add a path level or a query). */
export function endpointUrl(
  endPoint: EndPoint,
  settings: ServerConnection.ISettings,
  query: { [key: string]: string } = {}
): string {
  const parts = typeof endPoint === 'string' ? endPoint.split('/').filter(p => p.length > 0) : [...endPoint];
  const url = URLExt.join(settings.baseUrl, NAMESPACE, ...parts.map(p => encodeURIComponent(p)));
  const search = Object.keys(query).length > 0 ? URLExt.objectToQueryString(query) : '';
  return url + search;
}

function errorText(data: unknown, key: 'message' | 'reason'): string | null {
  if (data !== null && typeof data === 'object' && key in data) {
    const value = (data as { [k: string]: unknown })[key];
    return typeof value === 'string' ? value : null;
  }
  return null;
}

/**
 * Call the jupyter_trust REST API through ServerConnection (token header, XSRF cookie, base URL).
 * Non-2xx answers become TrustAPIError with the JSON body's `message`; an answer that is not JSON is an error too.
 */
export async function requestAPI<T>(
  endPoint: EndPoint,
  init: RequestInit = {},
  serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings(),
  query: { [key: string]: string } = {}
): Promise<T> {
  const url = endpointUrl(endPoint, serverSettings, query);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, serverSettings);
  } catch (error) {
    throw new TrustAPIError(0, `The jupyter_trust server extension could not be reached: ${String(error)}`);
  }
  const text = await response.text();
  let data: unknown = null;
  let parsed = text.length === 0;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
      parsed = true;
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = errorText(data, 'message') ?? `${response.status} ${response.statusText}`.trim();
    throw new TrustAPIError(response.status, message, errorText(data, 'reason'));
  }
  if (!parsed) {
    throw new TrustAPIError(response.status, 'The jupyter_trust server answered with something that is not JSON.');
  }
  return data as T;
}

function json(method: string, body: unknown): RequestInit {
  return { method, body: JSON.stringify(body) };
}

/** Typed calls, one per REST operation. */
export class TrustAPI {
  constructor(readonly settings: ServerConnection.ISettings) {}

  status(refresh = false): Promise<IStatus> {
    return requestAPI<IStatus>('status', {}, this.settings, refresh ? { refresh: 'true' } : {});
  }

  token(): Promise<ITokenInfo> {
    return requestAPI<ITokenInfo>('token', {}, this.settings);
  }

  /** The token travels only in the PUT body, never in a URL. */
  setToken(options: {
    token: string;
    validate: boolean;
    enable_signature_verification: boolean;
    scope: CondarcScope;
  }): Promise<ISettingsResult> {
    const body = {
      token: options.token,
      validate: options.validate,
      enable_signature_verification: options.enable_signature_verification,
      location: { scope: options.scope }
    };
    return requestAPI<ISettingsResult>('token', json('PUT', body), this.settings);
  }

  removeToken(scope: CondarcScope): Promise<ISettingsResult> {
    return requestAPI<ISettingsResult>('token', { method: 'DELETE' }, this.settings, { scope });
  }

  verification(): Promise<IVerification> {
    return requestAPI<IVerification>('verification', {}, this.settings);
  }

  setVerification(enabled: boolean, scope: CondarcScope): Promise<ISettingsResult> {
    return requestAPI<ISettingsResult>('verification', json('PUT', { enabled, location: { scope } }), this.settings);
  }

  environments(): Promise<IEnvironments> {
    return requestAPI<IEnvironments>('environments', {}, this.settings);
  }

  /** Both verdicts for every package installed in an environment (name or prefix path). */
  audit(prefix: string): Promise<IAudit> {
    return requestAPI<IAudit>('environments/audit', {}, this.settings, { prefix });
  }

  createPlan(specs: string[], prefix: string): Promise<IPlan> {
    return requestAPI<IPlan>('plans', json('POST', { specs, prefix }), this.settings);
  }

  plan(id: string): Promise<IPlan> {
    return requestAPI<IPlan>(['plans', id], {}, this.settings);
  }

  tasks(): Promise<{ tasks: ITask[] }> {
    return requestAPI<{ tasks: ITask[] }>('tasks', {}, this.settings);
  }

  install(planId: string, confirmUnsigned: boolean): Promise<ITask> {
    return requestAPI<ITask>('tasks', json('POST', { plan_id: planId, confirm_unsigned: confirmUnsigned }), this.settings);
  }

  task(id: string): Promise<ITask> {
    return requestAPI<ITask>(['tasks', id], {}, this.settings);
  }

  cancel(id: string): Promise<ITask> {
    return requestAPI<ITask>(['tasks', id], { method: 'DELETE' }, this.settings);
  }
}
