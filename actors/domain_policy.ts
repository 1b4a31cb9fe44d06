// The wallet's view of policy by province and date (E7, E8): the scenario's calendar turns a
// virtual time into a Beijing date, and actors/policy.ts answers for that date. Regions the
// policy tables do not know (a malformed code from the wire) are never allowed.
import { Calendar, parseDate } from './calendar.ts';
import type { ProtocolConfig } from './config.ts';
import { crossProvinceAllowed, kinshipAllowed } from './policy.ts';
import type { WalletPolicy } from './wallet.machine.ts';

export function policyFor(config: ProtocolConfig): WalletPolicy {
  const calendar = new Calendar(parseDate(config.startDate));
  return {
    kinshipAllowed: (donorRegion, kinship, now) =>
      safely(() => kinshipAllowed(donorRegion, kinship, calendar.dateAt(now))),
    transferAllowed: (donorRegion, recipientRegion, now) =>
      safely(() => crossProvinceAllowed(donorRegion, recipientRegion, calendar.dateAt(now))),
  };
}

function safely(answer: () => boolean): boolean {
  try {
    return answer();
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}
