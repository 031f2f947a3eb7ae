SELECT "event.id"
FROM "events_network"
WHERE (coalesce("destination.port" >= $1, false) AND coalesce("destination.port" < $2, false))
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: [1024,49152,1000]
-- columns: event.id:keyword
