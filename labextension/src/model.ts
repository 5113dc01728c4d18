/**
 * The panel's state: trust status, environments, the current plan and install task.
 * The server is authoritative; this model only mirrors it and polls running tasks.
 */
import { PageConfig } from '@jupyterlab/coreutils';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { TrustAPI } from './api';
import {
  CondarcScope,
  IAudit,
  IEnvironment,
  IPageConfig,
  IPlan,
  IPolicyValue,
  ISettingsResult,
  IStatus,
  ITask,
  TASK_DONE
} from './tokens';

/** The policy the server put into the page config, or null (missing or malformed). */
export function readPagePolicy(): { [name: string]: IPolicyValue } | null {
  const raw = PageConfig.getOption('jupyterTrust');
  if (!raw) {
    return null;
  }
  try {
    const data = JSON.parse(raw) as IPageConfig;
    return data && typeof data.policy === 'object' && data.policy !== null ? data.policy : null;
  } catch {
    return null;
  }
}

export interface IInstallGate {
  /** Whether the Install button may be pressed. */
  enabled: boolean;
  /** Why not (shown next to the disabled button). */
  reason: string | null;
  /** The user must confirm unsigned packages first. */
  needsConfirmation: boolean;
}

export class TrustModel {
  constructor(
    readonly api: TrustAPI,
    options: TrustModel.IOptions = {}
  ) {
    this.pollInterval = options.pollInterval ?? 1000;
    this.trans = options.trans ?? nullTranslator.load('jupyter_trust');
  }

  /** Milliseconds between two GET tasks/{id} while an install runs. */
  readonly pollInterval: number;
  readonly trans: TranslationBundle;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The policy from the page config until the first status arrives; then the status' policy. */
  get policy(): { [name: string]: IPolicyValue } {
    return this.status?.policy ?? this.pagePolicy ?? {};
  }

  pagePolicy: { [name: string]: IPolicyValue } | null = readPagePolicy();
  status: IStatus | null = null;
  statusError: string | null = null;
  environments: IEnvironment[] = [];
  selectedPrefix: string | null = null;
  plan: IPlan | null = null;
  planError: string | null = null;
  task: ITask | null = null;
  taskError: string | null = null;
  busy = false;
  /** The last audit of an environment (cleared when another environment is chosen or an install changes it). */
  audit: IAudit | null = null;
  auditError: string | null = null;
  auditing = false;
  /** What is typed in the specs field (kept here so the palette's Plan command can use it). */
  specText = '';

  setSpecText(text: string): void {
    this.specText = text;
    this._changed.emit();
  }

  /** Load status and environments the first time the panel is shown. */
  ensureLoaded(): void {
    if (!this._loaded) {
      this._loaded = true;
      void this.refresh(true);
      void this.loadEnvironments();
      void this.resumeTasks();
    }
  }

  /** Show (and follow) an install that is still running, e.g. after a page reload. */
  async resumeTasks(): Promise<void> {
    if (this.task) {
      return;
    }
    try {
      const running = (await this.api.tasks()).tasks.find(t => !TASK_DONE.includes(t.state));
      if (running && !this.task) {
        this.task = running;
        this._changed.emit();
        await this._poll();
      }
    } catch (error) {
      this.taskError = (error as Error).message;
      this._changed.emit();
    }
  }

  async refresh(refreshMetadata = false): Promise<void> {
    try {
      this.status = await this.api.status(refreshMetadata);
      this.statusError = null;
    } catch (error) {
      this.statusError = (error as Error).message;
    }
    this._changed.emit();
  }

  async loadEnvironments(): Promise<void> {
    try {
      const envs = await this.api.environments();
      this.environments = envs.environments;
      if (!this.selectedPrefix || !envs.environments.some(e => e.prefix === this.selectedPrefix)) {
        this.selectedPrefix = envs.default ?? envs.environments[0]?.prefix ?? null;
      }
    } catch (error) {
      this.planError = (error as Error).message;
    }
    this._changed.emit();
  }

  selectPrefix(prefix: string): void {
    this.selectedPrefix = prefix;
    this.plan = null;
    this.audit = null;
    this.auditError = null;
    this._changed.emit();
  }

  /** Both verdicts for every package installed in the selected environment (GET environments/audit). */
  async runAudit(): Promise<void> {
    const prefix = this.selectedPrefix;
    if (!prefix) {
      this.auditError = this.trans.__('Choose an environment.');
      this._changed.emit();
      return;
    }
    this.auditing = true;
    this.audit = null;
    this.auditError = null;
    this._changed.emit();
    try {
      const audit = await this.api.audit(prefix);
      // Another environment chosen meanwhile: this answer is about one no longer shown.
      if (this.selectedPrefix === prefix) {
        this.audit = audit;
      }
    } catch (error) {
      if (this.selectedPrefix === prefix) {
        this.auditError = (error as Error).message;
      }
    } finally {
      this.auditing = false;
      this._changed.emit();
    }
  }

  async makePlan(specText: string = this.specText): Promise<void> {
    const specs = specText.split(/\s+/).filter(s => s.length > 0);
    if (specs.length === 0 || !this.selectedPrefix) {
      this.planError =
        specs.length === 0 ? this.trans.__('Enter at least one package.') : this.trans.__('Choose an environment.');
      this._changed.emit();
      return;
    }
    this.busy = true;
    this.plan = null;
    this.planError = null;
    this.task = null;
    this._changed.emit();
    try {
      this.plan = await this.api.createPlan(specs, this.selectedPrefix);
    } catch (error) {
      this.planError = (error as Error).message;
    } finally {
      this.busy = false;
      this._changed.emit();
    }
  }

  /** Whether the current plan may be installed, and if not, why. Derived, never stored. */
  get installGate(): IInstallGate {
    const plan = this.plan;
    if (!plan) {
      return { enabled: false, reason: null, needsConfirmation: false };
    }
    if (plan.blocked) {
      return {
        enabled: false,
        reason: plan.reasons.join(' '),
        needsConfirmation: false
      };
    }
    if (plan.packages.length === 0) {
      return { enabled: false, reason: this.trans.__('Nothing to install.'), needsConfirmation: false };
    }
    if (this.task && !TASK_DONE.includes(this.task.state)) {
      return { enabled: false, reason: this.trans.__('An install is running.'), needsConfirmation: false };
    }
    if (this.task && this.task.plan_id === plan.id && this.task.state === 'succeeded') {
      const reason = this.trans.__('This plan is installed; make a new plan.');
      return { enabled: false, reason, needsConfirmation: false };
    }
    return { enabled: true, reason: null, needsConfirmation: plan.needs_confirmation };
  }

  async install(confirmUnsigned: boolean): Promise<void> {
    const plan = this.plan;
    if (!plan || !this.installGate.enabled) {
      return;
    }
    this.taskError = null;
    try {
      this.task = await this.api.install(plan.id, confirmUnsigned);
    } catch (error) {
      this.taskError = (error as Error).message;
      this._changed.emit();
      return;
    }
    this._changed.emit();
    await this._poll();
  }

  async cancel(): Promise<void> {
    if (this.task && !TASK_DONE.includes(this.task.state)) {
      try {
        this.task = await this.api.cancel(this.task.id);
      } catch (error) {
        this.taskError = (error as Error).message;
      }
      this._changed.emit();
    }
  }

  private async _poll(): Promise<void> {
    while (this.task && !TASK_DONE.includes(this.task.state)) {
      await new Promise(resolve => setTimeout(resolve, this.pollInterval));
      try {
        this.task = await this.api.task(this.task.id);
      } catch (error) {
        this.taskError = (error as Error).message;
        break;
      }
      this._changed.emit();
    }
    if (this.task?.state === 'succeeded') {
      this.audit = null; // describes the environment before this install
      void this.loadEnvironments();
    }
    this._changed.emit();
  }

  async setToken(
    token: string,
    validate: boolean,
    enableVerification: boolean,
    scope: CondarcScope
  ): Promise<ISettingsResult> {
    const result = await this.api.setToken({
      token,
      validate,
      enable_signature_verification: enableVerification,
      scope
    });
    await this.refresh();
    return result;
  }

  async removeToken(scope: CondarcScope): Promise<ISettingsResult> {
    const result = await this.api.removeToken(scope);
    await this.refresh();
    return result;
  }

  async setVerification(enabled: boolean, scope: CondarcScope): Promise<ISettingsResult> {
    const result = await this.api.setVerification(enabled, scope);
    await this.refresh();
    return result;
  }

  private _loaded = false;
  private _changed = new Signal<this, void>(this);
}

export namespace TrustModel {
  export interface IOptions {
    /** Milliseconds between task polls (default 1000). */
    pollInterval?: number;
    trans?: TranslationBundle;
  }
}
