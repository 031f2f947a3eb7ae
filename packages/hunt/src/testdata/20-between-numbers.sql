SELECT "event.id"
FROM "events_network"
WHERE coalesce("network.bytes" BETWEEN $1 AND $2, false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: [1000,2000,1000]
-- columns: event.id:keyword
