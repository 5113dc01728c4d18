/** Plan documents for the component specs (the shape of docs/openapi.yaml's Plan and PlannedPackage). */
import { IPlan, IPlannedPackage } from '../tokens';

/** A package of the demo channel, installed, with the given verdict; `extra` overrides any field. */
export function plannedPackage(
  name: string,
  verdict: IPlannedPackage['verdict'],
  extra: Partial<IPlannedPackage> = {}
): IPlannedPackage {
  return {
    name,
    version: '1.0',
    build: '0',
    filename: `${name}-1.0-0.conda`,
    channel: 'http://127.0.0.1:8000/channel/demo',
    subdir: 'noarch',
    url: `http://127.0.0.1:8000/channel/demo/noarch/${name}-1.0-0.conda`,
    sha256: 'cd'.repeat(32),
    size: 10,
    action: 'install',
    verdict,
    reason: `${name} is ${verdict}`,
    previous_version: null,
    ...extra
  };
}

/** A plan into the demo environment, neither blocked nor needing confirmation unless `extra` says so. */
export function makePlan(packages: IPlannedPackage[], extra: Partial<IPlan> = {}): IPlan {
  return {
    id: 'p1',
    prefix: '/envs/demo-env',
    specs: [],
    blocked: false,
    reasons: [],
    needs_confirmation: false,
    warnings: [],
    packages,
    created_at: '',
    ...extra
  };
}
