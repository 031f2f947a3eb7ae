-- params: [1024,5000,22,60000,10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_network"
WHERE ((coalesce(TRY_CAST(CAST("destination.port" AS VARCHAR) AS DOUBLE) >= $1, FALSE) AND coalesce(TRY_CAST(CAST("destination.port" AS VARCHAR) AS DOUBLE) < $2, FALSE)) OR coalesce(TRY_CAST(CAST("destination.port" AS VARCHAR) AS DOUBLE) <= $3, FALSE) OR coalesce(TRY_CAST(CAST("destination.port" AS VARCHAR) AS DOUBLE) > $4, FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $5
