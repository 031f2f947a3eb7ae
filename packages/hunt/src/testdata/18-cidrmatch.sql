SELECT "event.id"
FROM "events_network"
WHERE coalesce((regexp_matches(lower("source.ip"), '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$') AND (TRY_CAST(split_part(lower("source.ip"), '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part(lower("source.ip"), '.', 2) AS BIGINT) * 65536 + TRY_CAST(split_part(lower("source.ip"), '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part(lower("source.ip"), '.', 4) AS BIGINT)) BETWEEN $1 AND $2), false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: [3232235776,3232236031,1000]
-- columns: event.id:keyword
