/**
 * The REST client: every request goes through ServerConnection (token header, XSRF cookie, base URL).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  CondarcScope,
  IEnvironments,
  IPlan,
  ISettingsResult,
  IStatus,
  ITask,
  ITokenInfo,
  IVerification
} from './tokens';

export const NAMESPACE = 'jupyter-trust';

/** A failed request: the HTTP status and the server's message. */
export class TrustAPIError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
    this.name = 'TrustAPIError';
  }
}

/** The URL of an endpoint; every path part is URL-encoded. */
export function endpointUrl(settings: ServerConnection.ISettings, ...parts: string[]): string {
  return URLExt.join(settings.baseUrl, NAMESPACE, ...parts.map(p => encodeURIComponent(p)));
}

export async function requestAPI<T>(
  settings: ServerConnection.ISettings,
  parts: string[],
  init: RequestInit = {},
  query = ''
): Promise<T> {
  const url = endpointUrl(settings, ...parts) + query;
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new TrustAPIError(0, `The jupyter_trust server extension could not be reached: ${String(error)}`);
  }
  const text = await response.text();
  let data: unknown = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message =
      data && typeof data === 'object' && 'message' in data
        ? String((data as { message: unknown }).message)
        : `${response.status} ${response.statusText}`;
    throw new TrustAPIError(response.status, message);
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
    return requestAPI<IStatus>(this.settings, ['status'], {}, refresh ? '?refresh=true' : '');
  }

  token(): Promise<ITokenInfo> {
    return requestAPI<ITokenInfo>(this.settings, ['token']);
  }

  setToken(options: {
    token: string;
    validate: boolean;
    enable_signature_verification: boolean;
    scope: CondarcScope;
  }): Promise<ISettingsResult> {
    return requestAPI<ISettingsResult>(
      this.settings,
      ['token'],
      json('PUT', {
        token: options.token,
        validate: options.validate,
        enable_signature_verification: options.enable_signature_verification,
        location: { scope: options.scope }
      })
    );
  }

  removeToken(scope: CondarcScope): Promise<ISettingsResult> {
    return requestAPI<ISettingsResult>(
      this.settings,
      ['token'],
      { method: 'DELETE' },
      `?scope=${encodeURIComponent(scope)}`
    );
  }

  verification(): Promise<IVerification> {
    return requestAPI<IVerification>(this.settings, ['verification']);
  }

  setVerification(enabled: boolean, scope: CondarcScope): Promise<ISettingsResult> {
    return requestAPI<ISettingsResult>(
      this.settings,
      ['verification'],
      json('PUT', { enabled, location: { scope } })
    );
  }

  environments(): Promise<IEnvironments> {
    return requestAPI<IEnvironments>(this.settings, ['environments']);
  }

  createPlan(specs: string[], prefix: string): Promise<IPlan> {
    return requestAPI<IPlan>(this.settings, ['plans'], json('POST', { specs, prefix }));
  }

  plan(id: string): Promise<IPlan> {
    return requestAPI<IPlan>(this.settings, ['plans', id]);
  }

  install(planId: string, confirmUnsigned: boolean): Promise<ITask> {
    return requestAPI<ITask>(
      this.settings,
      ['tasks'],
      json('POST', { plan_id: planId, confirm_unsigned: confirmUnsigned })
    );
  }

  task(id: string): Promise<ITask> {
    return requestAPI<ITask>(this.settings, ['tasks', id]);
  }

  cancel(id: string): Promise<ITask> {
    return requestAPI<ITask>(this.settings, ['tasks', id], { method: 'DELETE' });
  }
}
