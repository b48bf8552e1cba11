import type { AnyComponentType, ComponentOf } from '../component/component-type.js';
import type { Codec } from '../component/codec.js';
import { jsonCodec } from '../component/codec.js';
import type { Context, MutableContext } from '../context.js';
import type { ComponentRef } from '../ref.js';
import type { Engine } from '../engine/engine.js';

export interface TaskAttributes {
  /** null for immediate tasks. */
  readonly scheduledAt: Date | null;
  readonly taskId: string;
}

/**
 * A pure task runs later inside a transaction on the tree and does no I/O. It is validated at
 * creation, at every commit touching its component, and right before it runs; an invalid task is
 * dropped, never run. After it runs it is removed. Handlers must be idempotent (stamp payloads).
 */
export interface PureTaskType<TComp extends AnyComponentType = AnyComponentType, TPayload = unknown> {
  readonly kind: 'pure';
  readonly name: string;
  readonly component: TComp;
  readonly codec: Codec<TPayload>;
  validate(ctx: Context, component: ComponentOf<TComp>, payload: TPayload, attrs: TaskAttributes): boolean;
  execute(ctx: MutableContext, component: ComponentOf<TComp>, payload: TPayload, attrs: TaskAttributes): void;
  /**
   * Optional (ADR 0069): a `Context.memoryEpoch` at which this task changes nothing on an
   * execution holding no speculative change, i.e. it is invalid or its `execute` returns without
   * a change whenever the epoch still equals the returned one. When it is due and its execution
   * is not in memory (so it holds no speculative change) at that same epoch, the engine finishes
   * it without loading the execution: its row is deleted, nothing is written. Undefined: always
   * run. Only for tasks whose effect when run at an unchanged epoch is none at all (a start guard
   * that finds nothing lost), never for timers that must fire.
   */
  idleAtEpoch?(payload: TPayload): string | undefined;
}

/** What a side-effect handler may use: the engine to re-enter, and a signal for shutdown. */
export interface SideEffectContext {
  readonly engine: Engine;
  readonly signal: AbortSignal;
  now(): Date;
}

/**
 * A side-effect task runs outside the execution lock (call matching, an HTTP endpoint…) and
 * re-enters with `ctx.engine.update(ref, …)`; that re-entry validates the task again under the
 * lock and fails with TaskInvalidError if it went stale. Errors are retried with backoff, except
 * NOT_FOUND-class errors, which drop the task.
 */
export interface SideEffectTaskType<TComp extends AnyComponentType = AnyComponentType, TPayload = unknown> {
  readonly kind: 'sideEffect';
  readonly name: string;
  readonly component: TComp;
  readonly codec: Codec<TPayload>;
  validate(ctx: Context, component: ComponentOf<TComp>, payload: TPayload, attrs: TaskAttributes): boolean;
  execute(ctx: SideEffectContext, ref: ComponentRef, payload: TPayload, attrs: TaskAttributes): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTaskType = PureTaskType<any, any> | SideEffectTaskType<any, any>;
/** The component type a task type runs on. */
export type TaskComponentOf<T> = T extends { readonly component: infer C extends AnyComponentType } ? C : never;
export type TaskPayloadOf<T> = T extends PureTaskType<AnyComponentType, infer P>
  ? P
  : T extends SideEffectTaskType<AnyComponentType, infer P>
    ? P
    : never;

type Without<T, K extends keyof T> = Omit<T, K | 'kind' | 'codec'> & { readonly codec?: Codec<T extends { codec: Codec<infer P> } ? P : never> };

export function definePureTask<TComp extends AnyComponentType, TPayload>(
  def: Without<PureTaskType<TComp, TPayload>, 'kind'>,
): PureTaskType<TComp, TPayload> {
  return { ...def, kind: 'pure', codec: def.codec ?? jsonCodec<TPayload>() };
}

export function defineSideEffectTask<TComp extends AnyComponentType, TPayload>(
  def: Without<SideEffectTaskType<TComp, TPayload>, 'kind'>,
): SideEffectTaskType<TComp, TPayload> {
  return { ...def, kind: 'sideEffect', codec: def.codec ?? jsonCodec<TPayload>() };
}
