/** Earliest and latest calendar years Temporal recognises (`minCalendarYear`/`maxCalendarYear`). */
export const MIN_CALENDAR_YEAR = 2000;
export const MAX_CALENDAR_YEAR = 2100;

/** Longest `comment` a calendar may carry. */
export const MAX_COMMENT_LENGTH = 200;

/** Field bounds of a StructuredCalendarSpec, in the names Temporal's messages use. */
export const CALENDAR_FIELDS = [
  { key: 'second', name: 'Second', proto: 'second', min: 0, max: 59 },
  { key: 'minute', name: 'Minute', proto: 'minute', min: 0, max: 59 },
  { key: 'hour', name: 'Hour', proto: 'hour', min: 0, max: 23 },
  { key: 'dayOfMonth', name: 'DayOfMonth', proto: 'day_of_month', min: 1, max: 31 },
  { key: 'month', name: 'Month', proto: 'month', min: 1, max: 12 },
  { key: 'year', name: 'Year', proto: 'year', min: MIN_CALENDAR_YEAR, max: MAX_CALENDAR_YEAR },
  { key: 'dayOfWeek', name: 'DayOfWeek', proto: 'day_of_week', min: 0, max: 6 },
] as const;

export type CalendarFieldKey = (typeof CALENDAR_FIELDS)[number]['key'];
