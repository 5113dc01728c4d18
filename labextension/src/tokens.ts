/**
 * The JSON documents of the jupyter_trust REST API (docs/openapi.yaml).
 */

export interface IPolicyValue {
  value: unknown;
  locked: boolean;
  source: string;
}

export interface IVerification {
  enabled: boolean;
  source: string;
  metadata_url: string | null;
  metadata_url_source: string | null;
  locked: boolean;
  lock_reason: string | null;
}

export interface ITokenInfo {
  present: boolean;
  masked: string | null;
  source: string | null;
  location: string | null;
  repo_url: string;
  error: string | null;
}

export interface IMetadataState {
  version: number | null;
  expiration: string | null;
  expired: boolean;
  error: string | null;
  state?: 'verified' | 'cached' | 'missing' | 'invalid';
}

export interface IAnchor {
  source: 'explicit' | 'env' | 'conda' | 'builtin';
  path: string;
  version: number;
  expiration: string;
  expired: boolean;
}

export interface ITrust {
  metadata_url: string | null;
  anchor: IAnchor | null;
  root: IMetadataState | null;
  key_mgr: IMetadataState | null;
  refreshed_at: string | null;
  error?: string;
}

export interface IStatus {
  version: string;
  verification: IVerification;
  conda: {
    executable: string | null;
    version: string | null;
    content_trust_importable: boolean;
  };
  trust: ITrust;
  channels: { name: string; url: string }[];
  token: ITokenInfo;
  policy: { [name: string]: IPolicyValue };
  engine: IEngineStatus;
  warnings: string[];
  interrupted_tasks: ITask[];
  /** The Sigstore root and each channel's publisher policy (absent from servers without attestations). */
  attestations?: IAttestationsStatus;
}

/** The Sigstore trust root verifying publish attestations (docs/openapi.yaml, Status.attestations). */
export interface ISigstoreRoot {
  /** policy (sigstore_trust_root), environment (JUPYTER_TRUST_SIGSTORE_ROOT) or shipped (public-good). */
  source: string;
  path?: string | null;
  date?: string | null;
  sha256?: string | null;
  error?: string | null;
}

/** One channel's attestation policy: `publishers` null = any valid signer, [] = nobody. */
export interface IChannelPublishers {
  name: string;
  url: string;
  attestations: 'off' | 'report' | 'require' | string;
  publishers: { [key: string]: string }[] | null;
  v0_sigs?: boolean;
}

export interface IAttestationsStatus {
  sigstore_root?: ISigstoreRoot | null;
  channels?: IChannelPublishers[];
}

/**
 * The solver engine: the configured one, the one plans use (null when it cannot run, see `error`), the
 * engines available here and the conda executable found. Installs always use the verifying rattler installer.
 */
export interface IEngineStatus {
  name: 'rattler' | 'conda' | 'auto' | string;
  effective: string | null;
  available: string[];
  conda: { executable: string | null; version: string | null };
  locked: boolean;
  source: string;
  error: string | null;
}

export interface ISettingsResult {
  token: ITokenInfo;
  verification: IVerification;
  condarc: string;
  validated: boolean | null;
  messages: string[];
}

export type CondarcScope = 'user' | 'env' | 'system';

export interface IEnvironment {
  name: string;
  prefix: string;
  kind: 'kernel' | 'named' | 'admin';
  is_server_prefix: boolean;
}

export interface IEnvironments {
  environments: IEnvironment[];
  default: string | null;
}

export type Verdict = 'trusted' | 'untrusted' | 'unsigned' | 'n/a';

export type PackageAction = 'install' | 'update' | 'downgrade' | 'reinstall' | 'remove';

/** An audit's verdict: a plan's, or `not-found` (the channel no longer lists the installed file). */
export type AuditVerdict = Exclude<Verdict, 'n/a'> | 'not-found';

/** What a planned and an audited package have in common: both verdicts and what names the file. */
export interface IPackageVerdicts {
  name: string;
  version: string;
  build: string;
  filename: string;
  channel: string;
  sha256: string;
  verdict: Verdict | AuditVerdict;
  reason: string;
  /** A publisher attestation (Sigstore), when the server has one for this package. */
  attestation?: IAttestation | null;
  subdir?: string;
  url?: string;
  size?: number;
  action?: PackageAction;
  previous_version?: string | null;
}

export interface IPlannedPackage extends IPackageVerdicts {
  subdir: string;
  url: string;
  size: number;
  action: PackageAction;
  verdict: Verdict;
  previous_version: string | null;
}

/** One installed package of an audit (docs/openapi.yaml, /environments/audit). */
export interface IAuditedPackage extends IPackageVerdicts {
  verdict: AuditVerdict;
}

export interface IAuditSummary {
  total: number;
  trusted: number;
  publisher_verified: number;
  unverified: number;
  untrusted_or_failed: number;
  not_found: number;
  text: string;
}

/** Both verdicts for every package installed in an environment. */
export interface IAudit {
  prefix: string;
  packages: IAuditedPackage[];
  summary: IAuditSummary;
}

/** The signing certificate's identity (docs/openapi.yaml, Attestation.signer). */
export interface IAttestationSigner {
  identity: string;
  issuer: string;
  repository?: string | null;
  ref?: string | null;
  commit?: string | null;
}

export type AttestationStatus = 'verified' | 'untrusted-publisher' | 'invalid' | 'retrieval-failed' | 'missing' | 'not-checked';

/** The publish attestation (Sigstore, CEP 27) result for a package; the panel shows who published it. */
export interface IAttestation {
  status: AttestationStatus | string;
  signer: IAttestationSigner | null;
  transport: string | null;
  sidecar_sha256: string | null;
  log_index: number | null;
  integrated_time: string | null;
  reason: string;
}

export interface IPlan {
  id: string;
  prefix: string;
  specs: string[];
  blocked: boolean;
  reasons: string[];
  needs_confirmation: boolean;
  warnings: string[];
  packages: IPlannedPackage[];
  created_at: string;
}

export interface IProgress {
  phase: 'checking' | 'downloading' | 'verifying' | 'linking' | 'done';
  packages_done: number;
  packages_total: number;
  bytes_done: number;
  bytes_total: number;
  message: string;
}

export interface IInstallResult {
  plan_id: string;
  prefix: string;
  installed: boolean;
  linked: string[];
  removed: string[];
  message: string;
}

export type TaskState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface ITask {
  id: string;
  plan_id: string;
  prefix: string;
  state: TaskState;
  progress: IProgress;
  result: IInstallResult | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

export const TASK_DONE: TaskState[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

/** What the server puts into the page config as `jupyterTrust` (REST stays authoritative). */
export interface IPageConfig {
  policy: { [name: string]: IPolicyValue };
}

/** The panel's user settings (labextension/schema/plugin.json). */
export interface IPanelSettings {
  refreshInterval: number;
  showUnsignedConfirm: boolean;
}
