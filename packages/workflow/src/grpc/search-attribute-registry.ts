import { searchAttributeProblem, type NamespaceSearchAttributes, type SearchAttributeLimits } from './search-attribute-checks.js';
import { lib } from '../library-builder.js';
import { DEFAULT_WORKFLOW_CONFIG } from '../config.js';
import {
  type SearchAttributeType,
  ExecutionAlreadyStartedError,
  InvalidArgumentError,
  NotFoundError,
  OPERATOR_SERVICE,
  type ComponentOf,
  type Engine,
  type NamespaceResolver,
  type RpcHandlerSet,
} from '@chasm/core';
import { searchAttributeTypeNames } from '@chasm/matching';
import { Enums, type temporal } from '../proto.js';
import { SYSTEM_SEARCH_ATTRIBUTES } from '../query/workflow-query.js';
import { stampSearchAttributes } from '../workflow/search-attributes.js';

/** Custom search attributes of one namespace: name → IndexedValueType number. */
export interface SearchAttributesState {
  attributes: Record<string, number>;
}

/** One execution per namespace holds its registered search attributes (no table of our own). */
export const SearchAttributes = lib.component({
  name: 'searchAttributes',
  lifecycle: (_s: SearchAttributesState) => 'running',
});
export type SearchAttributesComponent = ComponentOf<typeof SearchAttributes>;

const REGISTRY_ID = '__search_attributes__';
const SYSTEM: Readonly<Record<string, number>> = {
  WorkflowId: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  RunId: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  WorkflowType: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  ExecutionStatus: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  TaskQueue: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  StartTime: Enums.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  CloseTime: Enums.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  ExecutionTime: Enums.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  TemporalChangeVersion: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BuildIds: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  BinaryChecksums: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  TemporalScheduledStartTime: Enums.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  TemporalScheduledById: Enums.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
};
/** System attributes a worker or starter may set (Temporal's predefined category). */
const PREDEFINED: Readonly<Record<string, number>> = Object.fromEntries(Object.entries(SYSTEM).filter(([n]) => n in SYSTEM_SEARCH_ATTRIBUTES));
/** System attributes only the server sets ("WorkflowId attribute can't be set in SearchAttributes"). */
const RESERVED: ReadonlySet<string> = new Set(Object.keys(SYSTEM).filter((n) => !(n in SYSTEM_SEARCH_ATTRIBUTES)));

/** Reads (cached) and changes the registered search attributes of namespaces. */
export class SearchAttributeRegistry {
  private readonly cache = new Map<string, Record<string, number>>();

  constructor(private readonly engine: Engine) {}

  /** The system attributes and their IndexedValueType codes. */
  system(): Record<string, number> {
    return { ...SYSTEM };
  }

  async custom(namespaceId: string): Promise<Record<string, number>> {
    const cached = this.cache.get(namespaceId);
    if (cached) return cached;
    const attrs = await this.engine
      .read({ type: SearchAttributes, namespaceId, businessId: REGISTRY_ID }, (c) => ({ ...c.state.attributes }))
      .catch((e: unknown) => {
        if (e instanceof NotFoundError) return {};
        throw e;
      });
    this.cache.set(namespaceId, attrs);
    return attrs;
  }

  /** name → type name ('Keyword', 'Int', …), custom attributes only. */
  async types(namespaceId: string): Promise<Map<string, SearchAttributeType>> {
    // AddSearchAttributes refuses UNSPECIFIED, so every stored type has a name
    return searchAttributeTypeNames(await this.custom(namespaceId));
  }

  /** Every search attribute's type name, custom and system (what payloads are stamped with). */
  async allTypes(namespaceId: string): Promise<Map<string, SearchAttributeType>> {
    return new Map([...searchAttributeTypeNames(SYSTEM), ...(await this.types(namespaceId))]);
  }

  /**
   * What requests and commands of a namespace may set (custom and predefined attributes with
   * their types) and the system attributes they may not; from the cached registry.
   */
  async settable(namespaceId: string): Promise<NamespaceSearchAttributes> {
    const types = new Map([...searchAttributeTypeNames(PREDEFINED), ...(await this.types(namespaceId))]);
    return { types, reserved: RESERVED };
  }

  /**
   * Refuses what Temporal's search attribute validator refuses (too many, a system or undefined
   * name, a value not of its type, a value or the whole set too large: INVALID_ARGUMENT naming
   * the attribute); returns them stamped with their types (`stampSearchAttributes`), which is
   * what the run stores and echoes.
   */
  async validate(
    namespaceId: string,
    sa: temporal.api.common.v1.ISearchAttributes | null | undefined,
    limits: SearchAttributeLimits = DEFAULT_WORKFLOW_CONFIG,
  ): Promise<temporal.api.common.v1.ISearchAttributes | null | undefined> {
    if (Object.keys(sa?.indexedFields ?? {}).length === 0) return sa;
    const problem = searchAttributeProblem(sa, await this.settable(namespaceId), limits);
    if (problem) throw new InvalidArgumentError('search_attributes', problem.message);
    return stampSearchAttributes(sa, await this.allTypes(namespaceId));
  }

  async change(namespaceId: string, fn: (attrs: Record<string, number>) => void): Promise<void> {
    const apply = (c: SearchAttributesComponent): void => fn(c.state.attributes);
    try {
      await this.engine.start(
        SearchAttributes,
        { namespaceId, businessId: REGISTRY_ID },
        { requestId: `sa-${namespaceId}`, init: () => ({ attributes: {} }), conflictPolicy: 'useExisting' },
      );
    } catch (e) {
      if (!(e instanceof ExecutionAlreadyStartedError)) throw e;
    }
    this.cache.delete(namespaceId);
    await this.engine.update({ type: SearchAttributes, namespaceId, businessId: REGISTRY_ID }, (c) => apply(c));
    this.cache.delete(namespaceId);
  }
}

/** OperatorService: AddSearchAttributes, RemoveSearchAttributes, ListSearchAttributes. */
export function searchAttributeRpcHandlers(registry: SearchAttributeRegistry, namespaces: NamespaceResolver): RpcHandlerSet {
  return {
    service: OPERATOR_SERVICE,
    methods: {
      async AddSearchAttributes(req: temporal.api.operatorservice.v1.IAddSearchAttributesRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        const wanted = Object.entries(req.searchAttributes ?? {});
        for (const [name, type] of wanted) {
          if (name in SYSTEM) throw new InvalidArgumentError('search_attributes', `search attribute ${name} is reserved by system`);
          if (!type) throw new InvalidArgumentError('search_attributes', `search attribute ${name} has no type`);
        }
        await registry.change(namespaceId, (attrs) => {
          for (const [name, type] of wanted) {
            const existing = attrs[name];
            if (existing !== undefined && existing !== type) {
              throw new InvalidArgumentError('search_attributes', `search attribute ${name} already exists with another type`);
            }
            attrs[name] = type;
          }
        });
        return {};
      },
      async RemoveSearchAttributes(req: temporal.api.operatorservice.v1.IRemoveSearchAttributesRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        await registry.change(namespaceId, (attrs) => {
          for (const name of req.searchAttributes ?? []) {
            if (!(name in attrs)) throw new NotFoundError(`search attribute ${name} doesn't exist`);
            delete attrs[name];
          }
        });
        return {};
      },
      async ListSearchAttributes(req: temporal.api.operatorservice.v1.IListSearchAttributesRequest) {
        const namespaceId = await namespaces.idOf(req.namespace ?? '');
        return { customAttributes: await registry.custom(namespaceId), systemAttributes: SYSTEM, storageSchema: {} };
      },
    },
  };
}
