import { MainAreaWidget, ReactWidget, UseSignal } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { AuditTable } from '../components/AuditView';
import { PlanTable } from '../components/PlanTable';
import { shieldIcon } from '../icons';
import { TrustModel } from '../model';

/** A main-area view that follows the model, so a new plan (or audit) replaces the table. */
class ModelContent extends ReactWidget {
  constructor(
    private readonly model: TrustModel,
    private readonly view: (model: TrustModel) => JSX.Element
  ) {
    super();
    this.addClass('jp-TrustPlanWidget');
  }

  render(): JSX.Element {
    return <UseSignal signal={this.model.changed}>{() => this.view(this.model)}</UseSignal>;
  }
}

function mainAreaWidget(
  model: TrustModel,
  id: string,
  label: string,
  view: (model: TrustModel) => JSX.Element
): MainAreaWidget<ReactWidget> {
  const widget = new MainAreaWidget<ReactWidget>({ content: new ModelContent(model, view) });
  widget.id = id;
  widget.title.label = label;
  widget.title.icon = shieldIcon;
  widget.title.closable = true;
  return widget;
}

export function createPlanWidget(model: TrustModel, trans: TranslationBundle): MainAreaWidget<ReactWidget> {
  return mainAreaWidget(model, 'jupyter-trust-plan', trans.__('Install plan'), m =>
    m.plan ? (
      <PlanTable key={m.plan.id} plan={m.plan} trans={trans} />
    ) : (
      <div className="jp-TrustPlanTable-empty">{trans.__('No plan yet: make one in the Conda Trust panel.')}</div>
    )
  );
}

/** The last audit in the main area: every installed package, sortable and filterable. */
export function createAuditWidget(model: TrustModel, trans: TranslationBundle): MainAreaWidget<ReactWidget> {
  return mainAreaWidget(model, 'jupyter-trust-audit', trans.__('Environment audit'), m =>
    m.audit ? (
      <AuditTable key={m.audit.prefix} audit={m.audit} trans={trans} />
    ) : (
      <div className="jp-TrustPlanTable-empty">
        {m.auditing
          ? trans.__('Auditing…')
          : trans.__('No audit yet: choose an environment in the Conda Trust panel and audit it.')}
      </div>
    )
  );
}
