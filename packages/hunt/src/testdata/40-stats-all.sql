WITH "q1" AS (SELECT "host.id" AS "host.id", "process.name" AS "process.name", count(*) AS "count", count(DISTINCT "destination.ip") AS "peers", min("destination.port") AS "min(destination.port)", max("destination.port") AS "max(destination.port)", CAST(sum("network.bytes") AS DOUBLE) AS "bytes", avg("network.bytes") AS "mean"
FROM "events_network"
GROUP BY "host.id", "process.name")
SELECT "host.id", "process.name", "count", "peers", "min(destination.port)", "max(destination.port)", "bytes", "mean"
FROM "q1"
ORDER BY "host.id" ASC NULLS LAST, "process.name" ASC NULLS LAST
LIMIT $1
-- kind: stats
-- params: [1000]
-- columns: host.id:keyword, process.name:keyword, count:number, peers:number, min(destination.port):number, max(destination.port):number, bytes:number, mean:number
