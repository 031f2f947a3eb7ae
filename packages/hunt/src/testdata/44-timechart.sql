WITH "q1" AS (SELECT make_timestamp((epoch_us("@timestamp") // CAST($1 AS BIGINT)) * CAST($1 AS BIGINT)) AS "@timestamp", count(*) AS "count"
FROM events
GROUP BY make_timestamp((epoch_us("@timestamp") // CAST($1 AS BIGINT)) * CAST($1 AS BIGINT)))
SELECT "@timestamp", "count"
FROM "q1"
ORDER BY "@timestamp" ASC NULLS LAST
LIMIT $2
-- kind: timechart
-- params: [3600000000,1000]
-- columns: @timestamp:date, count:number
