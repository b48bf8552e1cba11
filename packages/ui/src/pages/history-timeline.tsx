/**
 * The history as a timeline: one bar per activity, timer, child workflow and Nexus operation
 * (from its scheduling event to the event that closed it, or now), and a tick for each signal
 * and update. Positions are fractions of the run's time span.
 */
import type { Json } from '../api';
import { attributesOf, eventType, time } from '../format';

interface Span {
  readonly label: string;
  readonly kind: string;
  readonly start: number;
  readonly end: number | undefined;
  readonly outcome: string;
}

const OPENERS: Record<string, string> = {
  ActivityTaskScheduled: 'activity',
  TimerStarted: 'timer',
  StartChildWorkflowExecutionInitiated: 'child',
  NexusOperationScheduled: 'nexus',
};

export function spansOf(events: Json[]): Span[] {
  const open = new Map<string, { label: string; kind: string; start: number }>();
  const spans: Span[] = [];
  const closed = new Set<string>();
  for (const e of events) {
    const type = eventType(e.eventType);
    const a = attributesOf(e);
    const t = new Date(e.eventTime).getTime();
    const kind = OPENERS[type];
    if (kind) {
      const label = a.activityType?.name ?? a.timerId ?? a.workflowType?.name ?? a.operation ?? type;
      open.set(String(e.eventId), { label, kind, start: t });
      continue;
    }
    const ref = a.scheduledEventId ?? a.startedEventId ?? a.initiatedEventId;
    if (ref !== undefined && open.has(String(ref)) && /Completed|Failed|TimedOut|Canceled|Fired|Terminated/.test(type)) {
      const o = open.get(String(ref))!;
      if (!closed.has(String(ref))) spans.push({ ...o, end: t, outcome: type });
      closed.add(String(ref));
    } else if (/Signaled|UpdateAccepted/.test(type)) {
      spans.push({ label: a.signalName ?? a.acceptedRequest?.input?.name ?? type, kind: 'signal', start: t, end: t, outcome: type });
    }
  }
  for (const [id, o] of open) if (!closed.has(id)) spans.push({ ...o, end: undefined, outcome: 'pending' });
  return spans.sort((x, y) => x.start - y.start);
}

export function HistoryTimeline({ events }: { events: Json[] }) {
  if (events.length === 0) return <p className="muted">No events.</p>;
  const first = new Date(events[0].eventTime).getTime();
  const lastEvent = new Date(events[events.length - 1].eventTime).getTime();
  const spans = spansOf(events);
  const end = Math.max(lastEvent, ...spans.map((s) => s.end ?? Date.now()), first + 1);
  const pct = (t: number) => `${(((t - first) / (end - first)) * 100).toFixed(2)}%`;
  return (
    <div className="timeline" data-testid="history-timeline">
      <div className="timeline-axis">
        <span>{time(events[0].eventTime)}</span>
        <span>{time(new Date(end).toISOString())}</span>
      </div>
      {spans.length === 0 && <p className="muted">No activities, timers, children or signals in this run.</p>}
      {spans.map((s, i) => (
        <div className="timeline-row" key={i}>
          <span className="timeline-label">{s.kind}: {s.label}</span>
          <span className="timeline-track">
            <span
              className={`timeline-bar kind-${s.kind} ${s.end === undefined ? 'pending' : ''}`}
              style={{ left: pct(s.start), width: s.end === s.start ? '3px' : `calc(${pct(s.end ?? end)} - ${pct(s.start)})` }}
              title={`${s.outcome}`}
            />
          </span>
        </div>
      ))}
    </div>
  );
}
