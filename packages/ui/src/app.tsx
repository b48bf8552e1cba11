/** Routes (every view has a deep link) and the layout around them. */
import { Link, NavLink, Navigate, Route, Routes, useParams } from 'react-router-dom';
import { ActivitiesPage, ActivityDetailPage } from './pages/activities';
import { InspectorPage } from './pages/inspector';
import { NamespacesPage } from './pages/namespaces';
import { NexusEndpointsPage } from './pages/nexus-endpoints';
import { NexusOperationDetailPage, NexusOperationsPage } from './pages/nexus-operations';
import { ScheduleDetailPage, SchedulesPage } from './pages/schedules';
import { TaskQueuePage } from './pages/task-queues';
import { WorkflowDetailPage } from './pages/workflow-detail';
import { WorkflowsPage } from './pages/workflows';

export function App() {
  return (
    <Routes>
      <Route path="/" element={<Navigate to="/namespaces/default/workflows" replace />} />
      <Route path="/namespaces" element={<Layout><NamespacesPage /></Layout>} />
      <Route path="/nexus/endpoints" element={<Layout><NexusEndpointsPage /></Layout>} />
      <Route path="/namespaces/:namespace/*" element={<NamespaceRoutes />} />
      <Route path="*" element={<Layout><p>No such page.</p></Layout>} />
    </Routes>
  );
}

function NamespaceRoutes() {
  return (
    <Layout>
      <Routes>
        <Route path="workflows" element={<WorkflowsPage />} />
        <Route path="workflows/:workflowId" element={<WorkflowDetailPage />} />
        <Route path="workflows/:workflowId/:runId" element={<WorkflowDetailPage />} />
        <Route path="schedules" element={<SchedulesPage />} />
        <Route path="schedules/:scheduleId" element={<ScheduleDetailPage />} />
        <Route path="activities" element={<ActivitiesPage />} />
        <Route path="activities/:activityId" element={<ActivityDetailPage />} />
        <Route path="nexus-operations" element={<NexusOperationsPage />} />
        <Route path="nexus-operations/:operationId" element={<NexusOperationDetailPage />} />
        <Route path="task-queues" element={<TaskQueuePage />} />
        <Route path="task-queues/:taskQueue" element={<TaskQueuePage />} />
        <Route path="chasm" element={<InspectorPage />} />
        <Route path="chasm/:businessId" element={<InspectorPage />} />
        <Route path="*" element={<p>No such page.</p>} />
      </Routes>
    </Layout>
  );
}

function Layout({ children }: { children: React.ReactNode }) {
  const namespace = useParams()['namespace'] ?? 'default';
  const ns = `/namespaces/${encodeURIComponent(namespace)}`;
  return (
    <div className="layout">
      <header>
        <Link to={`${ns}/workflows`} className="brand">
          chasm-temporal
        </Link>
        <nav>
          <NavLink to="/namespaces">Namespaces</NavLink>
          <span className="ns" title="namespace">
            {namespace}
          </span>
          <NavLink to={`${ns}/workflows`}>Workflows</NavLink>
          <NavLink to={`${ns}/schedules`}>Schedules</NavLink>
          <NavLink to={`${ns}/activities`}>Activities</NavLink>
          <NavLink to={`${ns}/task-queues`}>Task queues</NavLink>
          <NavLink to={`${ns}/nexus-operations`}>Nexus operations</NavLink>
          <NavLink to="/nexus/endpoints">Nexus endpoints</NavLink>
          <NavLink to={`${ns}/chasm`}>CHASM inspector</NavLink>
        </nav>
      </header>
      <main>{children}</main>
    </div>
  );
}
