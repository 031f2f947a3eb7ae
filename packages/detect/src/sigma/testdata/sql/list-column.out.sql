-- params: ["start","%--inject%",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND coalesce(len(list_filter("process.args", lambda v1: lower(v1) LIKE $2 ESCAPE '\')) > 0, FALSE)
ORDER BY "@timestamp", "event.id"
LIMIT $3
