SELECT "event.id"
FROM "events_network"
WHERE coalesce("destination.port" IN ($1, $2, $3), false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $4
-- kind: events
-- params: [22,3389,4444,1000]
-- columns: event.id:keyword
