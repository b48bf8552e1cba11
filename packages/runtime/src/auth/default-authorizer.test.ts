import { describe, expect, it } from 'vitest';
import { servedProtoMethods } from '../grpc/grpc-server.js';
import { Access, accessOf } from './api-access.js';
import { Role, type Claims } from './claims.js';
import { DefaultAuthorizer } from './default-authorizer.js';

const authorizer = new DefaultAuthorizer();
const decide = (claims: Claims, method: string, namespace = 'default', service = 'WorkflowService') =>
  authorizer.authorize(claims, { service, method, namespace }).allow;
const role = (r: Role, ns = 'default'): Claims => ({ namespaces: { [ns]: r } });

describe('accessOf', () => {
  it.each([
    ['WorkflowService', 'GetSystemInfo', Access.Always],
    ['WorkflowService', 'DescribeWorkflowExecution', Access.Read],
    ['WorkflowService', 'GetWorkflowExecutionHistory', Access.Read],
    ['WorkflowService', 'ListWorkflowExecutions', Access.Read],
    ['WorkflowService', 'CountWorkflowExecutions', Access.Read],
    ['WorkflowService', 'QueryWorkflow', Access.Read],
    ['WorkflowService', 'PollWorkflowTaskQueue', Access.Worker],
    ['WorkflowService', 'RespondActivityTaskCompleted', Access.Worker],
    ['WorkflowService', 'RecordActivityTaskHeartbeatById', Access.Worker],
    ['WorkflowService', 'StartWorkflowExecution', Access.Write],
    ['WorkflowService', 'TerminateWorkflowExecution', Access.Write],
    ['WorkflowService', 'UpdateTaskQueueConfig', Access.Admin],
    ['WorkflowService', 'RegisterNamespace', Access.System],
    ['WorkflowService', 'UpdateNamespace', Access.System],
    ['WorkflowService', 'DeprecateNamespace', Access.System],
    ['OperatorService', 'DeleteNamespace', Access.System],
    ['OperatorService', 'ListSearchAttributes', Access.System],
  ])('%s/%s needs %s', (service, method, access) => {
    expect(accessOf(service, method)).toBe(access);
  });

  it('classifies every served method, and only GetSystemInfo is open', () => {
    const open = servedProtoMethods().filter((m) => accessOf(m.serviceName, m.method) === Access.Always);
    expect(open.map((m) => m.method)).toEqual(['GetSystemInfo']);
  });
});

describe('DefaultAuthorizer', () => {
  it('refuses everything but GetSystemInfo to a caller with no claims', () => {
    expect(decide({ namespaces: {} }, 'GetSystemInfo', '')).toBe(true);
    expect(decide({ namespaces: {} }, 'DescribeNamespace')).toBe(false);
    expect(decide({ namespaces: {} }, 'StartWorkflowExecution')).toBe(false);
  });

  it('lets a reader read but not write or poll', () => {
    expect(decide(role(Role.Reader), 'DescribeWorkflowExecution')).toBe(true);
    expect(decide(role(Role.Reader), 'TerminateWorkflowExecution')).toBe(false);
    expect(decide(role(Role.Reader), 'PollWorkflowTaskQueue')).toBe(false);
  });

  it('lets a worker poll and respond, but not start', () => {
    expect(decide(role(Role.Worker), 'PollActivityTaskQueue')).toBe(true);
    expect(decide(role(Role.Worker), 'RespondWorkflowTaskCompleted')).toBe(true);
    expect(decide(role(Role.Worker), 'StartWorkflowExecution')).toBe(false);
  });

  it('keeps a role to its namespace', () => {
    expect(decide(role(Role.Writer, 'orders'), 'StartWorkflowExecution', 'orders')).toBe(true);
    expect(decide(role(Role.Writer, 'orders'), 'StartWorkflowExecution', 'default')).toBe(false);
    // A namespace role says nothing about cluster-scoped reads.
    expect(decide(role(Role.Admin, 'orders'), 'ListNamespaces', '')).toBe(false);
  });

  it('gives routing changes to the namespace admin, and cluster administration to the system admin only', () => {
    expect(decide(role(Role.Writer), 'UpdateTaskQueueConfig')).toBe(false);
    expect(decide(role(Role.Admin), 'UpdateTaskQueueConfig')).toBe(true);
    expect(decide(role(Role.Admin), 'UpdateNamespace')).toBe(false);
    expect(decide(role(Role.Admin), 'DeleteNamespace', 'default', 'OperatorService')).toBe(false);
    const systemAdmin: Claims = { system: Role.Admin, namespaces: {} };
    expect(decide(systemAdmin, 'UpdateNamespace')).toBe(true);
    expect(decide(systemAdmin, 'DeleteNamespace', 'default', 'OperatorService')).toBe(true);
    expect(decide(systemAdmin, 'StartWorkflowExecution', 'anything')).toBe(true);
  });

  it('lets a system reader read any namespace and list namespaces, but not write', () => {
    const systemReader: Claims = { system: Role.Reader, namespaces: {} };
    expect(decide(systemReader, 'ListNamespaces', '')).toBe(true);
    expect(decide(systemReader, 'DescribeWorkflowExecution', 'orders')).toBe(true);
    expect(decide(systemReader, 'SignalWorkflowExecution', 'orders')).toBe(false);
  });

  it('names the method and what it needs when it refuses', () => {
    expect(authorizer.authorize(role(Role.Reader), { service: 'WorkflowService', method: 'StartWorkflowExecution', namespace: 'default' })).toEqual({
      allow: false,
      reason: "WorkflowService/StartWorkflowExecution needs write access to namespace 'default'",
    });
  });
});
