// Postgres counts dates and timestamps from 2000-01-01; everything we hand out counts from the Unix epoch.
export const PG_EPOCH_DAYS = 10957;
export const PG_EPOCH_MICROS = 946_684_800_000_000n;
