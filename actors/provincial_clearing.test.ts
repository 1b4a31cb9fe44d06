// K8 at the provincial level: month M clears between the province's regions on day 10 of M+1 at
// 02:00, moved to the next working day when day 10 is not one.
import { expect, it } from 'vitest';

import { Calendar, parseDate } from './calendar.ts';
import { HOUR_MS } from './config.ts';
import { provincialClearingAt } from './provincial_clearing.ts';

const cal = new Calendar(parseDate('2025-09-01'));
const at2 = (date: string) => cal.msAt(parseDate(date)) + 2 * HOUR_MS;

it('K8: September clears on Friday 10 October at 02:00', () => {
  expect(provincialClearingAt(cal, 202509)).toBe(at2('2025-10-10'));
});

it('K8: December clears on Monday 12 January, day 10 being a Saturday', () => {
  expect(provincialClearingAt(cal, 202512)).toBe(at2('2026-01-12'));
});
