/** A React root in a fresh element for every test (shared by the component specs). */
import * as React from 'react';
import { createRoot, Root } from 'react-dom/client';

// React 18.3's act, without the deprecated react-dom/test-utils import.
export const act = (React as unknown as { act: (fn: () => void) => void }).act;
(globalThis as unknown as { IS_REACT_ACT_ENVIRONMENT: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export interface IReactHost {
  /** The element the current test renders into. */
  readonly node: HTMLDivElement;
  render(element: JSX.Element): void;
}

/** Call at the top of a spec file: registers beforeEach/afterEach that mount and unmount the root. */
export function reactHost(): IReactHost {
  let node: HTMLDivElement;
  let root: Root;
  beforeEach(() => {
    node = document.createElement('div');
    document.body.appendChild(node);
    root = createRoot(node);
  });
  afterEach(() => {
    act(() => root.unmount());
    node.remove();
  });
  return {
    get node() {
      return node;
    },
    render(element: JSX.Element) {
      act(() => root.render(element));
    }
  };
}
