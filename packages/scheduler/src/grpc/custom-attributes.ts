import { InvalidArgumentError, OPERATOR_SERVICE, type SearchAttributeTypeName, type ServiceClient } from '@chasm/core';
import { searchAttributeTypeNames, type temporal } from '@chasm/matching';

/**
 * The namespace's registered custom search attributes, asked of whichever package serves
 * OperatorService.ListSearchAttributes (the workflow package): schedules share the namespace's
 * attributes with workflows without importing that package.
 */
export async function customAttributeTypes(services: ServiceClient, namespace: string): Promise<Map<string, SearchAttributeTypeName>> {
  const res = await services.call<temporal.api.operatorservice.v1.IListSearchAttributesResponse>(OPERATOR_SERVICE, 'ListSearchAttributes', { namespace });
  return searchAttributeTypeNames(res.customAttributes ?? {});
}

/** Every attribute must be a registered custom one. */
export function checkCustomAttributes(field: string, sa: temporal.api.common.v1.ISearchAttributes | null | undefined, types: ReadonlyMap<string, SearchAttributeTypeName>, allowed: ReadonlySet<string> = new Set()): void {
  for (const name of Object.keys(sa?.indexedFields ?? {})) {
    if (!types.has(name) && !allowed.has(name)) throw new InvalidArgumentError(field, `search attribute ${name} is not defined`);
  }
}
