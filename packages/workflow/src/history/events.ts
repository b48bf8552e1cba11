import { EventType, type HistoryEvent, type temporal } from '../proto.js';

type Attrs = temporal.api.history.v1.IHistoryEvent;
/** The name of an `*EventAttributes` field of HistoryEvent. */
export type AttrField = Extract<keyof Attrs, `${string}EventAttributes`>;

/** Event type enum value for each attributes field (derived from the field name). */
const typeOfField = new Map<AttrField, number>();
for (const [name, value] of Object.entries(EventType)) {
  if (typeof value !== 'number' || !name.startsWith('EVENT_TYPE_')) continue;
  const camel = name
    .slice('EVENT_TYPE_'.length)
    .toLowerCase()
    .replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
  typeOfField.set(`${camel}EventAttributes` as AttrField, value);
}

/** Builds an event (without id and time) from its attributes field. */
export function event<F extends AttrField>(field: F, attrs: NonNullable<Attrs[F]>): HistoryEvent {
  const eventType = typeOfField.get(field);
  if (eventType === undefined) throw new Error(`no event type for ${field}`);
  return { eventType, [field]: attrs } as HistoryEvent;
}

/** The attributes object of an event, whichever it is. */
export function attributesOf(ev: HistoryEvent): Record<string, unknown> | undefined {
  for (const [k, v] of Object.entries(ev)) {
    if (k.endsWith('EventAttributes') && v) return v as Record<string, unknown>;
  }
  return undefined;
}
