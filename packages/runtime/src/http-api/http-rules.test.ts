import { describe, expect, it } from 'vitest';
import { lookupService } from '../grpc/proto-root.js';
import { httpBindings, type AnnotatedMethod } from './http-rules.js';

const method = (service: string, name: string): AnnotatedMethod =>
  lookupService(`temporal.api.${service}`).methods[name] as unknown as AnnotatedMethod;

describe('httpBindings (read from the official protos)', () => {
  it('gives the main binding and its /api/v1 additional binding', () => {
    expect(httpBindings(method('workflowservice.v1.WorkflowService', 'StartWorkflowExecution'))).toEqual([
      { method: 'POST', template: '/namespaces/{namespace}/workflows/{workflow_id}', body: '*' },
      { method: 'POST', template: '/api/v1/namespaces/{namespace}/workflows/{workflow_id}', body: '*' },
    ]);
    expect(httpBindings(method('workflowservice.v1.WorkflowService', 'DescribeWorkflowExecution'))).toContainEqual({
      method: 'GET',
      template: '/api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}',
      body: undefined,
    });
  });

  it('reads several additional bindings, DELETE, and nothing for a method without the option', () => {
    expect(httpBindings(method('workflowservice.v1.WorkflowService', 'RecordActivityTaskHeartbeatById'))).toHaveLength(4);
    expect(httpBindings(method('workflowservice.v1.WorkflowService', 'DeleteSchedule'))[0]).toMatchObject({ method: 'DELETE' });
    expect(httpBindings(method('workflowservice.v1.WorkflowService', 'PollWorkflowTaskQueue'))).toEqual([]);
    expect(httpBindings(method('operatorservice.v1.OperatorService', 'ListNexusEndpoints'))).toContainEqual({
      method: 'GET',
      template: '/api/v1/nexus/endpoints',
      body: undefined,
    });
  });
});
