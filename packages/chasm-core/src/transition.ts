import type { MutableContext } from './context.js';
import { InvalidTransitionError } from './errors.js';

/** How to read and write the state-machine status of a component (Go's StateMachine[S]). */
export interface StatusAccessor<TComp, TStatus extends string> {
  get(component: TComp): TStatus;
  set(component: TComp, status: TStatus): void;
}

export interface Transition<TComp, TStatus extends string, TEvent = void> {
  readonly name: string;
  readonly from: readonly TStatus[];
  readonly to: TStatus;
  /** Whether the component is in one of the source states. Validators reuse this. */
  possible(component: TComp): boolean;
  /** Fails with InvalidTransitionError unless possible; runs `apply` (seeing the source state), then sets `to`. */
  apply(component: TComp, ctx: MutableContext, event: TEvent): void;
}

export interface TransitionSpec<TComp, TStatus extends string, TEvent> {
  readonly name: string;
  readonly from: readonly TStatus[];
  readonly to: TStatus;
  readonly apply?: (component: TComp, ctx: MutableContext, event: TEvent) => void;
}

/** Binds transitions to one status accessor: `const m = stateMachine(acc); m.transition({...})`. */
export function stateMachine<TComp, TStatus extends string>(status: StatusAccessor<TComp, TStatus>) {
  return {
    transition<TEvent = void>(spec: TransitionSpec<TComp, TStatus, TEvent>): Transition<TComp, TStatus, TEvent> {
      const possible = (c: TComp): boolean => spec.from.includes(status.get(c));
      return {
        name: spec.name,
        from: spec.from,
        to: spec.to,
        possible,
        apply(c, ctx, event) {
          if (!possible(c)) throw new InvalidTransitionError(spec.name, status.get(c));
          spec.apply?.(c, ctx, event);
          status.set(c, spec.to);
        },
      };
    },
  };
}
