WITH "q1" AS (SELECT make_timestamp((epoch_us("@timestamp") // CAST($1 AS BIGINT)) * CAST($1 AS BIGINT)) AS "@timestamp", "host.id" AS "host.id", count(*) AS "count", count(DISTINCT "destination.ip") AS "peers"
FROM "events_network"
GROUP BY make_timestamp((epoch_us("@timestamp") // CAST($1 AS BIGINT)) * CAST($1 AS BIGINT)), "host.id")
SELECT "@timestamp", "host.id", "count", "peers"
FROM "q1"
ORDER BY "@timestamp" ASC NULLS LAST, "host.id" ASC NULLS LAST
LIMIT $2
-- kind: timechart
-- params: [900000000,1000]
-- columns: @timestamp:date, host.id:keyword, count:number, peers:number
